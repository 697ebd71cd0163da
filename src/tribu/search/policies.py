"""Who may search: people with an account (members, guests, the team). What each finds is decided
per document by ``queries.visible_q`` with the pages' own rules."""

from __future__ import annotations

from typing import Any

from tribu.core import policies as core_policies


def can_search(user: Any) -> bool:
    return core_policies.is_member_area_allowed(user)
