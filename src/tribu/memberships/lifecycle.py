"""Memberships move on by themselves (the periodic job ``memberships.lifecycle`` runs this):

- an active membership past its end date enters its grace period (its tier's ``grace_days``), or
  expires at once when the tier has none;
- a membership in grace expires once the grace period is over;
- a guest trial that ended expires, and the member moves to the tier's ``downgrade_to`` (a new
  membership) or to nothing; they get an email.

Every step is a conditional update (``status`` must still be what it was), so two runs, or two
schedulers, make one transition, one activity and one email. The actor is the system (None).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import actions, periods
from .models import Membership, MembershipStatus


def _transition(membership_id: int, old: str, new: str, **extra: Any) -> bool:
    return Membership.objects.filter(pk=membership_id, status=old).update(
        status=new, updated_at=timezone.now(), **extra
    ) == 1


def _rows(**filters: Any) -> list[Membership]:
    """The candidates (a day's worth: a few, at most thousands), read before anything changes."""
    return list(Membership.objects.filter(**filters).select_related("tier", "user", "company").order_by("pk"))


def run(today: date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    done = {"grace": 0, "expired": 0, "trials": 0, "downgraded": 0}
    # 1. guest trials that ended
    for m in _rows(status=MembershipStatus.ACTIVE, is_trial=True, ends_on__lt=today):
        with transaction.atomic():
            if not _transition(m.pk, MembershipStatus.ACTIVE, MembershipStatus.EXPIRED):
                continue
            m.status = MembershipStatus.EXPIRED
            activity = actions._log(None, "membership.trial_ended", m, old_status=MembershipStatus.ACTIVE)
            done["trials"] += 1
            successor = _downgrade(m, today)
            done["downgraded"] += successor is not None
            actions.tell(None, m, "trial_ended", activity=activity, successor=successor)
            actions._after(m)
    # 2. active memberships past their end: grace, or expired when the tier has no grace
    for m in _rows(status=MembershipStatus.ACTIVE, is_trial=False, ends_on__lt=today):
        with transaction.atomic():
            new = MembershipStatus.GRACE if m.tier.grace_days and m.ends_on + timedelta(
                days=m.tier.grace_days) >= today else MembershipStatus.EXPIRED
            if not _transition(m.pk, MembershipStatus.ACTIVE, new):
                continue
            m.status = new
            verb = "membership.grace_started" if new == MembershipStatus.GRACE else "membership.expired"
            actions._log(None, verb, m, old_status=MembershipStatus.ACTIVE)
            done["grace" if new == MembershipStatus.GRACE else "expired"] += 1
            actions._after(m)
    # 3. grace periods that are over
    for m in _rows(status=MembershipStatus.GRACE, ends_on__lt=today):
        if m.ends_on is not None and m.ends_on + timedelta(days=m.tier.grace_days) >= today:
            continue
        with transaction.atomic():
            if not _transition(m.pk, MembershipStatus.GRACE, MembershipStatus.EXPIRED):
                continue
            m.status = MembershipStatus.EXPIRED
            actions._log(None, "membership.expired", m, old_status=MembershipStatus.GRACE)
            done["expired"] += 1
            actions._after(m)
    return done


def _downgrade(trial: Membership, today: date) -> Membership | None:
    target = trial.tier.downgrade_to
    if target is None or not target.active or trial.user_id is None:
        return None
    try:
        with transaction.atomic():
            successor = Membership.objects.create(
                user_id=trial.user_id, tier=target, status=MembershipStatus.ACTIVE, starts_on=today,
                ends_on=periods.end_date(target, today, trial=False), is_trial=False, source="trial",
            )
    except IntegrityError:  # someone granted a membership in between: keep theirs
        return None
    actions._log(None, "membership.downgraded", successor, old_status="")
    actions.promote_guest(None, successor)
    return successor
