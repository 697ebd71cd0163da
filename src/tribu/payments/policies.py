"""Who may do what with payments. Denied by default.

- one's own payments page, paying one's dues (a self-selectable paid tier, or renewing the tier one
  holds), giving a donation: anyone with an account (members, guests, animators, the team);
- the payments list, recording an offline payment, the offline payment settings: the team (admins and
  staff); only admins change the settings;
- one payment: its payer, and the team.
"""

from __future__ import annotations

from typing import Any

from tribu.accounts.models import Role
from tribu.core.policies import _role, is_member_area_allowed, is_team


def can_view_own_payments(user: Any) -> bool:
    return is_member_area_allowed(user)


def can_pay_for_tier(user: Any, tier: Any, current: Any = None) -> bool:
    """A paid tier for oneself: one the member may choose, or the one their current membership holds."""
    if not is_member_area_allowed(user) or not tier.active or tier.is_company_tier or not tier.price_cents:
        return False
    if tier.period == "free":
        return False
    return bool(tier.self_selectable or (current is not None and current.tier_id == tier.pk))


def can_donate(user: Any) -> bool:
    return is_member_area_allowed(user)


def can_manage_payments(user: Any) -> bool:
    return is_team(user)


def can_edit_payment_settings(user: Any) -> bool:
    return _role(user) == Role.ADMIN


def can_view_payment(user: Any, payment: Any) -> bool:
    if is_team(user):
        return True
    return is_member_area_allowed(user) and payment.user_id == user.pk
