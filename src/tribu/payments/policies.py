"""Who may do what with payments. Denied by default.

- one's own payments page, paying one's dues (a self-selectable paid tier, or renewing the tier one
  holds), giving a donation: anyone with an account (members, guests, animators, the team);
- the payments list, recording an offline payment, the offline payment settings: the team (admins and
  staff); only admins change the settings;
- one payment: its payer (for a company's payment: the company's contacts), and the team;
- a company's dues (every seat at once, by card or transfer/cheque): the company's contacts, and the
  team; a colleague who is not a contact, another member or a visitor may not.
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


def can_pay_for_company(user: Any, company: Any) -> bool:
    """Pay or renew a company's membership for all its seats: its contacts and the team."""
    from tribu.companies.policies import is_contact_of

    return is_team(user) or is_contact_of(user, company)


def can_view_payment(user: Any, payment: Any) -> bool:
    if is_team(user):
        return True
    if not is_member_area_allowed(user):
        return False
    if payment.company_id is not None and payment.user_id is None:
        from tribu.companies.policies import is_contact_of

        return is_contact_of(user, payment.company_id)
    return payment.user_id == user.pk
