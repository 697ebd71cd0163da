"""Periodic jobs of the runtime itself."""

from __future__ import annotations

from datetime import timedelta

from tribu.core.schedule import periodic

from . import recovery


@periodic("core.recover_tasks", every=timedelta(seconds=30))
def recover_tasks() -> dict[str, int]:
    """Queue again the jobs of dead workers and the failed jobs that still have attempts left."""
    return recovery.sweep()
