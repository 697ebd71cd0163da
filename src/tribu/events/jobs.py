"""Periodic work of events, every run idempotent and driven by the database:

- reminders 24 hours and 1 hour before the start to every confirmed registrant: the job inserts a
  ``ReminderSent`` row first (unique per registration and kind), then sends — a second run, or two
  schedulers at once, send nothing more;
- the feedback survey to attendees once the event has ended (same insert-first rule);
- registrations awaiting payment, confirmed once paid or released when the payment failed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from tribu.core.schedule import periodic

from . import actions
from .models import EventStatus, Registration, RegistrationStatus, ReminderSent

REMINDERS = {"24h": timedelta(hours=24), "1h": timedelta(hours=1)}
FEEDBACK_WINDOW = timedelta(days=3)


def _send_once(registration: Registration, kind: str, template: str) -> bool:
    from .tasks import send_registration_email

    try:
        with transaction.atomic():
            ReminderSent.objects.create(registration=registration, kind=kind)
            pk = registration.pk
            transaction.on_commit(lambda: send_registration_email.enqueue(registration_id=pk, template=template))
    except IntegrityError:
        return False
    return True


def send_reminders(now: datetime | None = None) -> int:
    """Reminders due now: the event starts within the reminder's lead time and has not started."""
    now = now or timezone.now()
    sent = 0
    for kind, lead in REMINDERS.items():
        due = (
            Registration.objects.filter(
                status=RegistrationStatus.CONFIRMED, event__status=EventStatus.PUBLISHED,
                event__starts_at__gt=now, event__starts_at__lte=now + lead,
            )
            .exclude(reminders__kind=kind)
            .exclude(user__isnull=True, email="")
        )
        # The 24-hour reminder is pointless when the 1-hour one is due as well.
        if kind == "24h":
            due = due.filter(event__starts_at__gt=now + REMINDERS["1h"])
        for registration in due.only("pk"):
            sent += _send_once(registration, kind, "reminder")
    return sent


def request_feedback(now: datetime | None = None) -> int:
    """The survey to everyone who checked in (or, when nobody was checked in, every confirmed
    registrant) of events that ended in the last three days."""
    now = now or timezone.now()
    sent = 0
    ended = Registration.objects.filter(
        status=RegistrationStatus.CONFIRMED, user__isnull=False, event__status=EventStatus.PUBLISHED,
        event__ends_at__lte=now, event__ends_at__gt=now - FEEDBACK_WINDOW,
    ).exclude(reminders__kind="feedback")
    checked_events = set(
        Registration.objects.filter(event__in=ended.values("event"), checked_in_at__isnull=False)
        .values_list("event_id", flat=True)
    )
    for registration in ended.only("pk", "event_id", "checked_in_at"):
        if registration.event_id in checked_events and registration.checked_in_at is None:
            continue
        sent += _send_once(registration, "feedback", "feedback")
    return sent


@periodic("events.reminders", every=timedelta(minutes=5))
def reminders() -> dict[str, int]:
    return {"reminders": send_reminders(), "feedback": request_feedback()}


@periodic("events.payments", every=timedelta(minutes=2))
def payments() -> dict[str, int]:
    return actions.settle_payments()
