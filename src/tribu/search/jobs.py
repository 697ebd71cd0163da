"""Periodic safety net for the search index: the actions index what they change after their commit;
this catches the rest (events and groups, whose apps do not call ``index_later``; a crash between a
commit and its indexing)."""

from __future__ import annotations

from datetime import timedelta

from tribu.core.schedule import periodic


@periodic("search.sweep", every=timedelta(minutes=10))
def sweep_index() -> int:
    from .indexing import sweep

    return sweep()
