"""Demo step of search: it runs last (search comes after the apps it indexes), so it indexes the demo
community in full at once; a new site's first search finds the demo posts, events and resources
without waiting for the sweep."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def populate(faker: Any, now: datetime) -> str:
    from .indexing import reindex
    from .models import Kind

    done = {kind: reindex(kind) for kind in Kind.values}
    return ", ".join(f"{count} {kind}" for kind, count in done.items())
