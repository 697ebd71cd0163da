"""Registry of periodic jobs. An app declares ``@periodic("name", every=timedelta(...))`` on a
function taking no argument; the scheduler (``tribu scheduler`` or inside ``tribu serve``) enqueues
each due job once, driven by the ``ScheduledJob`` rows, so restarts and several schedulers are safe.

Jobs are imported from each app's ``jobs`` module (``tribu.<app>.jobs``) at scheduler start."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    func: Callable[[], object]


JOBS: dict[str, PeriodicJob] = {}


def periodic(name: str, *, every: timedelta) -> Callable[[Callable[[], object]], Callable[[], object]]:
    def decorator(func: Callable[[], object]) -> Callable[[], object]:
        JOBS[name] = PeriodicJob(name=name, every=every, func=func)
        return func

    return decorator
