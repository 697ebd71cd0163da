"""Tier access rules: what a member's tiers let them see. (Stable signatures; the memberships helper
fills in the implementation.)"""

from __future__ import annotations

from typing import Any


def effective_tier_ids(user: Any) -> set[int]:
    """The tiers ``user`` holds right now: their own active (or in-grace) membership, and their
    company's when a seat of it covers them."""
    return set()


def check_area(user: Any, area: str) -> None:
    """Raise ``Http404`` or ``TierRequired`` (a 403 with an explanation and an upgrade link) when a
    community area restricted to tiers (``"directory"``, ``"companies"``) is closed to ``user``."""
    return None
