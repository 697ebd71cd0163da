"""Periodic safety net for the directory index (the actions that change members refresh it on commit;
this catches anything they missed: a raw update, a crash between commit and refresh)."""

from __future__ import annotations

from datetime import timedelta

from tribu.core.schedule import periodic


@periodic("directory.refresh_stale", every=timedelta(minutes=15))
def refresh_stale_entries() -> int:
    from .index import refresh_stale

    return refresh_stale()


@periodic("directory.rebuild", every=timedelta(days=1))
def rebuild_directory() -> int:
    from .index import rebuild

    return rebuild()
