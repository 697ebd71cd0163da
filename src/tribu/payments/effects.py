"""What a payment does to a membership.

The team's actions in ``tribu.memberships.actions`` (grant, activate, extend, change_tier) ask for a
team member and a typed reason; a confirmed payment is its own permission and is often made by the
system (a Stripe webhook). Like ``memberships.lifecycle``, this module therefore makes the same
transitions with the memberships app's own helpers — the holder's row lock, ``current_membership``,
``periods``, the same activity verbs (so the membership's history and emails read the same),
``promote_guest``, ``tell`` and ``_after`` (directory refresh, access cache) — and writes nothing else.

- no current membership: a new active one from today, for one period of the tier;
- a pending one (chosen, waiting for its dues): active from today;
- an active one or one in its grace period, same tier: one more period, following on from its end;
- another tier (a guest upgrading to Premium): that tier, a new period from today.

``ends_on`` (a Stripe subscription's current period end) replaces the computed end; the call does
nothing when the membership already reaches it, so a replayed or late event changes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from tribu.memberships import actions as m_actions
from tribu.memberships import periods
from tribu.memberships.models import Membership, MembershipStatus, Tier


def _reason(payment: Any) -> str:
    return gettext("Payment %(reference)s (%(method)s)") % {
        "reference": payment.reference, "method": payment.get_method_display(),
    }


def apply_dues(actor: Any, payment: Any, *, ends_on: date | None = None) -> Membership | None:
    """Start or extend the payer's membership for the payment's tier. Call inside the transaction that
    marks the payment paid. Returns the membership (None when the payment is not dues)."""
    tier: Tier | None = payment.tier
    if tier is None or (payment.user_id is None and payment.company_id is None):
        return None
    user, company = payment.user, payment.company
    holder = {"user": user} if user is not None else {"company": company}
    today = timezone.localdate()
    reason = _reason(payment)
    with transaction.atomic(savepoint=False):  # the caller's transaction rolls back as a whole
        m_actions._lock_holder(**holder)
        current = m_actions.current_membership(lock=True, **holder)
        old_status = current.status if current else ""
        if current is None:
            current = Membership.objects.create(
                tier=tier, status=MembershipStatus.ACTIVE, starts_on=today,
                ends_on=ends_on or periods.end_date(tier, today, trial=False), source="payment", **holder,
            )
            verb, event, extra = "membership.granted", "granted", {}
        elif current.status == MembershipStatus.PENDING:
            current.tier = tier
            current.status = MembershipStatus.ACTIVE
            current.starts_on = today
            current.ends_on = ends_on or periods.end_date(tier, today, trial=False)
            current.is_trial = False
            current.save(update_fields=["tier", "status", "starts_on", "ends_on", "is_trial", "updated_at"])
            verb, event, extra = "membership.activated", "activated", {}
        elif current.tier_id != tier.pk:
            old_tier = current.tier
            current.tier = tier
            current.status = MembershipStatus.ACTIVE
            current.ends_on = ends_on or periods.end_date(tier, today, trial=False)
            current.is_trial = False
            current.save(update_fields=["tier", "status", "ends_on", "is_trial", "updated_at"])
            verb, event, extra = "membership.tier_changed", "tier_changed", m_actions.tier_data(old_tier, "old_tier")
        else:
            new_end = ends_on or periods.extend(tier, current.ends_on, starts_on=current.starts_on, today=today)
            reached = current.ends_on is None or (new_end is not None and current.ends_on >= new_end)
            if reached and current.status == MembershipStatus.ACTIVE:
                payment.membership = current
                return current
            if new_end is not None and (current.ends_on is None or new_end > current.ends_on):
                current.ends_on = new_end
            current.status = MembershipStatus.ACTIVE
            current.is_trial = False
            current.save(update_fields=["ends_on", "status", "is_trial", "updated_at"])
            verb, event, extra = "membership.extended", "extended", {}
        payment.membership = current
        activity = m_actions._log(actor, verb, current, old_status=old_status, reason=reason,
                                  payment=payment.reference, **extra)
        m_actions.promote_guest(actor, current)
        m_actions.tell(actor, current, event, activity=activity, reason=reason)
        m_actions._after(current)
    return current


def start_grace(membership: Membership) -> bool:
    """A renewal failed (card declined): the membership enters its grace period now — access is kept
    while the payer updates their card — and expires by the lifecycle when the grace is over. Once."""
    with transaction.atomic():
        changed = Membership.objects.filter(pk=membership.pk, status=MembershipStatus.ACTIVE).update(
            status=MembershipStatus.GRACE, updated_at=timezone.now()
        )
        if not changed:
            return False
        membership.status = MembershipStatus.GRACE
        m_actions._log(None, "membership.grace_started", membership, old_status=MembershipStatus.ACTIVE)
        m_actions._after(membership)
    return True
