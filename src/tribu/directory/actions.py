"""Writes of the directory: writing to a member through the platform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tribu.core.activity import record
from tribu.core.emails import send_templated_email_on_commit
from tribu.core.models import Activity

from . import policies

CONTACT_VERB = "member.contacted"
# At most this many messages per sender in each sliding window.
CONTACT_LIMITS = ((timedelta(hours=1), 10), (timedelta(days=1), 30))
SUBJECT_MAX = 150
MESSAGE_MIN = 10
MESSAGE_MAX = 5000


@dataclass
class ContactRateLimited(Exception):
    """The sender reached a limit: ``limit`` messages per ``window``."""

    window: timedelta
    limit: int


def check_contact_allowance(sender: Any, now: Any = None) -> None:
    """Raise ``ContactRateLimited`` when ``sender`` may not send another message now."""
    now = now or timezone.now()
    sent = Activity.objects.filter(actor=sender, verb=CONTACT_VERB)
    for window, limit in CONTACT_LIMITS:
        if sent.filter(created_at__gte=now - window).count() >= limit:
            raise ContactRateLimited(window, limit)


def contact_member(sender: Any, recipient: Any, *, subject: str, message: str, allow_reply: bool = False) -> None:
    """Email ``recipient`` a message from ``sender`` through the platform.

    The recipient's address is never shown to the sender; the sender's address is given to the
    recipient (as Reply-To) only when ``allow_reply`` is true. The activity log keeps who wrote to
    whom, never the message. Raises ``PermissionDenied``, ``ValidationError`` or ``ContactRateLimited``.
    """
    if not policies.can_contact(sender, recipient):
        raise PermissionDenied
    subject = " ".join((subject or "").split())
    message = (message or "").strip()
    if not subject or len(subject) > SUBJECT_MAX:
        raise ValidationError({"subject": [_("Enter a subject of at most %(n)d characters.") % {"n": SUBJECT_MAX}]})
    if not MESSAGE_MIN <= len(message) <= MESSAGE_MAX:
        raise ValidationError(
            {"message": [_("Write between %(min)d and %(max)d characters.") % {"min": MESSAGE_MIN, "max": MESSAGE_MAX}]}
        )
    from tribu.accounts.models import User

    from .queries import profile_url

    with transaction.atomic():
        # One sender's messages are counted one at a time, so parallel posts cannot pass the limit.
        User.objects.select_for_update().filter(pk=sender.pk).values_list("pk", flat=True).first()
        check_contact_allowance(sender)
        record(sender, CONTACT_VERB, recipient, reply_allowed=bool(allow_reply))
        path = profile_url(sender.pk)
        send_templated_email_on_commit(
            recipient,
            "directory/emails/contact",
            {
                "sender_name": sender.name,
                "sender_profile_url": f"{settings.SITE_URL}{path}" if path else "",
                "sender_email": sender.email if allow_reply else "",
                "subject": subject,
                "message": message,
                "directory_url": f"{settings.SITE_URL}/members/",
            },
            headers={"Reply-To": sender.email} if allow_reply else None,
        )
