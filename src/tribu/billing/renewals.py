"""Renewal reminders and the renewals lists.

The periodic job ``billing.renewal_reminders`` calls ``run()``. For each membership that ends (or
ended) near today, it picks the latest reminder offset already reached (defaults J-30, J-7, J0, J+7,
``Organisation.reminder_offsets``) and sends it once:

1. insert the ``RenewalReminder`` row (membership, offset, end date) — unique in the database;
2. only if the insert went through, queue the emails (after the commit).

A second run, a restarted scheduler or two schedulers at once hit the unique row and send nothing.
An end date that moves (the membership was renewed) starts a fresh cycle of reminders. When the
scheduler was down, only the most recent reminder that applies is sent, not a burst of old ones.

Grace, expiry and loss of access are ``tribu.memberships.lifecycle``'s job; nothing here changes a
membership.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from tribu.core.activity import record
from tribu.memberships.models import CURRENT_STATUSES, Membership, MembershipStatus

from .models import Organisation, ReminderKind, RenewalReminder

REMINDED_STATUSES = [MembershipStatus.ACTIVE, MembershipStatus.GRACE, MembershipStatus.EXPIRED]


def renew_url(membership: Membership) -> str:
    """Where to renew: the company's membership page (``/companies/<slug>/membership/``, where its
    contacts pay for every seat) for a company's membership, else the payments app's page to pay for
    the tier (the member's membership page if it does not exist)."""
    if membership.company_id:
        return reverse("companies:membership", args=[membership.company.slug])
    if membership.status == MembershipStatus.EXPIRED and not membership.tier.self_selectable:
        # the pay page takes a tier the member holds or may choose: after expiry, only a choosable one
        return reverse("memberships:mine")
    for name, args in (("payments:renew", [membership.pk]), ("payments:pay", [membership.tier_id])):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return reverse("memberships:mine")


def applicable_offset(ends_on: date, today: date, offsets: list[int]) -> int | None:
    """The latest offset whose day (``ends_on + offset``) has come, or None (too early or too late)."""
    days = (today - ends_on).days  # negative before the end date
    reached = [o for o in sorted(offsets) if o <= days]
    if not reached:
        return None
    latest = reached[-1]
    # Past the last offset by more than a week: the reminder cycle is over.
    if days - latest > 7 and latest == max(offsets):
        return None
    return latest


def candidates(today: date, offsets: list[int]) -> QuerySet[Membership]:
    """Memberships whose end date is within the reminder window, holder without a newer current one."""
    low = today - timedelta(days=max(max(offsets), 0) + 7)
    high = today - timedelta(days=min(offsets))
    newer_user = Membership.objects.filter(user_id=OuterRef("user_id"), status__in=CURRENT_STATUSES).exclude(
        pk=OuterRef("pk"))
    newer_company = Membership.objects.filter(company_id=OuterRef("company_id"), status__in=CURRENT_STATUSES).exclude(
        pk=OuterRef("pk"))
    return (
        Membership.objects.filter(status__in=REMINDED_STATUSES, is_trial=False, ends_on__gte=low, ends_on__lte=high)
        .annotate(newer_user_exists=Exists(newer_user), newer_company_exists=Exists(newer_company),
                  **auto_renewal_annotations())
        .exclude(status=MembershipStatus.EXPIRED, user__isnull=False, newer_user_exists=True)
        .exclude(status=MembershipStatus.EXPIRED, company__isnull=False, newer_company_exists=True)
        .select_related("tier", "user", "company")
        .order_by("pk")
    )


def auto_renewal_annotations() -> dict[str, Exists]:
    """Whether the holder pays by a Stripe subscription still running (the payments app clears
    ``recurring`` when it is cancelled): its renewal is automatic, so no reminder before the end."""
    from tribu.payments.models import Payment, PaymentPurpose, PaymentStatus

    running = Payment.objects.filter(recurring=True, purpose=PaymentPurpose.MEMBERSHIP,
                                     status=PaymentStatus.SUCCEEDED).exclude(stripe_subscription="")
    return {"auto_renews_user": Exists(running.filter(user_id=OuterRef("user_id"), company_id=None)),
            "auto_renews_company": Exists(running.filter(company_id=OuterRef("company_id")))}


def auto_renews(membership: Membership) -> bool:
    if hasattr(membership, "auto_renews_user"):
        return bool(membership.auto_renews_user if membership.user_id else membership.auto_renews_company)
    from tribu.payments.models import Payment, PaymentPurpose, PaymentStatus

    running = Payment.objects.filter(recurring=True, purpose=PaymentPurpose.MEMBERSHIP,
                                     status=PaymentStatus.SUCCEEDED).exclude(stripe_subscription="")
    if membership.user_id:
        return running.filter(user_id=membership.user_id, company_id=None).exists()
    return running.filter(company_id=membership.company_id).exists()


def grace_until(membership: Membership) -> date | None:
    if membership.ends_on is None or not membership.tier.grace_days:
        return None
    return membership.ends_on + timedelta(days=membership.tier.grace_days)


def send_reminder_emails(membership: Membership, *, offset: int | None, today: date | None = None) -> list[Any]:
    """Queue the reminder emails (after the commit) to the member or the company's contacts, and notify
    them in the app (with the same "renew" link)."""
    from tribu.core.emails import send_templated_email_on_commit
    from tribu.core.notifications.actions import notify
    from tribu.memberships.actions import recipients, tier_data

    from .notifications import CODE

    today = today or timezone.localdate()
    people = [u for u in recipients(membership) if u.is_active and u.email]
    days_left = (membership.ends_on - today).days if membership.ends_on else 0
    for person in people:
        send_templated_email_on_commit(person, "billing/emails/reminder", {
            "membership": membership, "tier": membership.tier, "company": membership.company,
            "ends_on": membership.ends_on, "days_left": days_left, "offset": offset,
            "grace_until": grace_until(membership), "renew_url": renew_url(membership),
        })
    if people:
        notify(people, CODE, url=renew_url(membership), days_left=days_left, offset=offset,
               ends_on=membership.ends_on.isoformat() if membership.ends_on else "", **tier_data(membership.tier))
    return people


@dataclass
class Result:
    sent: int = 0
    skipped: int = 0


def run(today: date | None = None) -> dict[str, int]:
    """Send the reminders due today, each at most once. Safe to run twice, or twice at once."""
    today = today or timezone.localdate()
    offsets = Organisation.get().offsets
    result = Result()
    if not offsets:
        return {"sent": 0, "skipped": 0}
    for membership in candidates(today, offsets):
        offset = applicable_offset(membership.ends_on, today, offsets)
        if offset is None:
            continue
        if offset <= 0 and membership.status == MembershipStatus.ACTIVE and auto_renews(membership):
            continue  # the subscription renews it; if it fails, the grace period's reminders follow
        try:
            with transaction.atomic():
                reminder = RenewalReminder.objects.create(
                    membership=membership, kind=ReminderKind.SCHEDULED, offset_days=offset,
                    period_end=membership.ends_on,
                )
                people = send_reminder_emails(membership, offset=offset, today=today)
                RenewalReminder.objects.filter(pk=reminder.pk).update(recipients=len(people))
                record(None, "renewal.reminded", membership, manual=False, offset=offset,
                       ends_on=membership.ends_on.isoformat(), recipients=len(people))
        except IntegrityError:  # already sent (this run's twin, or an earlier run)
            result.skipped += 1
            continue
        result.sent += 1
    return {"sent": result.sent, "skipped": result.skipped}
