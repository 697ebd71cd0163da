"""What other apps call so search sees their writes: ``index_later(obj)`` after creating or
changing a searchable object (a published post, a comment, a resource, an event, a member's
profile, a group) and ``remove_later(obj)`` when it is deleted or stops being searchable.

Both are called from inside the writing action's transaction and act after the commit, so a
rolled-back write never reaches the index. The search app fills these in; until then they do
nothing, so callers can already use them.
"""

from __future__ import annotations

from typing import Any


def index_later(obj: Any) -> None:
    """Index (or re-index) ``obj`` once the current transaction commits."""


def remove_later(obj: Any) -> None:
    """Remove ``obj`` from the index once the current transaction commits."""
