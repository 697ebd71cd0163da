"""Demo data: the directory holds nothing of its own; it indexes the members the apps before it
(accounts, companies, memberships) created. Idempotent."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def populate(faker: Any, now: datetime) -> str:
    from .index import rebuild

    return f"{rebuild()} members indexed"
