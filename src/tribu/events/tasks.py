"""Background work of events: the registration emails (with their .ics attachment). Tasks take ids
and read the registration again, so a retry sends what is true now."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.urls import reverse

from tribu.core.community import get_community
from tribu.core.emails import language_for, render_email

# What each email is about; each gets the event's details and, but for the waitlist, an .ics file.
KINDS = {"confirmed", "waitlisted", "pending_payment", "promoted", "changed", "cancelled", "reminder", "feedback"}


def email_context(registration: Any, kind: str, reason: str = "") -> dict[str, Any]:
    from . import ics, policies

    event = registration.event
    return {
        "kind": kind,
        "event": event,
        "registration": registration,
        "reason": reason,
        "event_url": ics.event_url(event),
        "ticket_url": settings.SITE_URL + reverse("events:ticket", args=[registration.code]),
        "feedback_url": settings.SITE_URL + reverse("events:feedback", args=[registration.code]),
        "google_url": ics.google_url(event),
        "outlook_url": ics.outlook_url(event),
        "ics_url": ics.ics_url(event),
        "show_link": registration.user_id is not None
        and policies.can_see_link(registration.user, event, registration),
        "place": ics.location_of(event, False),
    }


def build_message(registration: Any, kind: str, reason: str = "") -> EmailMultiAlternatives:
    from . import ics

    recipient = registration.user
    to = registration.person_email
    language = language_for(recipient) if recipient is not None else settings.LANGUAGE_CODE
    context = email_context(registration, kind, reason)
    parts = render_email("events/emails/registration", {"user": recipient, **context}, language)
    community = get_community()
    from_email = settings.DEFAULT_FROM_EMAIL
    if "<" not in from_email and community.name:
        from_email = f"{community.name} <{from_email}>"
    message = EmailMultiAlternatives(parts["subject"], parts["text"], from_email, [to])
    message.attach_alternative(parts["html"], "text/html")
    if kind not in {"waitlisted", "feedback"}:
        data = ics.calendar_bytes([registration.event], link_for=lambda e: context["show_link"])
        message.attach("event.ics", data, "text/calendar; charset=utf-8; method=PUBLISH")
    return message


@task(queue_name="default")
def send_registration_email(registration_id: int, template: str, reason: str = "") -> int:
    from .models import Registration

    rows = Registration.objects.select_related("event", "user", "ticket_type")
    registration = rows.filter(pk=registration_id).first()
    if registration is None or not registration.person_email or template not in KINDS:
        return 0
    return build_message(registration, template, reason).send()
