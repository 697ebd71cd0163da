"""Who may do what with tiers and memberships. Denied by default.

- tiers admin page: the team reads it; only admins create, edit, reorder, archive tiers and set the
  area restrictions;
- memberships by hand (grant, extend, change tier, cancel, activate a pending one): the team;
- one's own membership page and choosing a self-selectable tier: anyone with an account.
"""

from __future__ import annotations

from typing import Any

from tribu.accounts.models import Role
from tribu.core.policies import _role, is_member_area_allowed, is_team


def can_view_tiers_admin(user: Any) -> bool:
    return is_team(user)


def can_manage_tiers(user: Any) -> bool:
    return _role(user) == Role.ADMIN


def can_manage_memberships(user: Any) -> bool:
    return is_team(user)


def can_view_own_membership(user: Any) -> bool:
    return is_member_area_allowed(user)


def can_choose_tier(user: Any, tier: Any) -> bool:
    return (
        is_member_area_allowed(user)
        and tier.active
        and tier.self_selectable
        and not tier.is_company_tier
    )
