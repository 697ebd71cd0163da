"""Periodic work of the media app (run by the scheduler)."""

from __future__ import annotations

from datetime import timedelta

from tribu.core.schedule import periodic


@periodic("media.sweep", every=timedelta(days=1))
def sweep() -> int:
    from .sweep import sweep_orphans

    return sweep_orphans()
