"""The daily digest: once a day, after 8:00 in the member's time zone, one email listing their
unread ``digest``-channel notifications of the last day. Idempotent and driven by the database:
each notification is claimed once (``digested_at``), and a member who already had a digest since
8:00 today gets none until tomorrow, however often the job runs."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from tribu.core.community import get_community
from tribu.core.emails import send_email_on_commit
from tribu.core.models import Notification, NotificationChannel, NotificationPreference

from .emails import render_digest_email
from .kinds import all_kinds

logger = logging.getLogger(__name__)

DIGEST_HOUR = 8
WINDOW = timedelta(days=1)
MAX_ITEMS = 50


def _zone(name: str) -> ZoneInfo:
    for candidate in (name, get_community().time_zone, settings.TIME_ZONE):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def todays_digest_time(user: Any, now: datetime) -> datetime:
    """8:00 today in the member's time zone (or the community's)."""
    local = now.astimezone(_zone(getattr(user, "time_zone", "")))
    return datetime.combine(local.date(), time(DIGEST_HOUR), tzinfo=local.tzinfo)


def pending_digest_notifications(now: datetime) -> QuerySet[Notification]:
    """Unread, undigested notifications of the last day whose recipient gets that kind by digest
    (an explicit ``digest`` preference, or no preference and a kind that defaults to digest)."""
    preference = NotificationPreference.objects.filter(user=OuterRef("recipient_id"), kind=OuterRef("kind"))
    default_digest = [k.code for k in all_kinds() if k.default_channel == NotificationChannel.DIGEST]
    by_digest = Q(Exists(preference.filter(channel=NotificationChannel.DIGEST))) | (
        Q(kind__in=default_digest) & ~Q(Exists(preference))
    )
    return Notification.objects.filter(
        by_digest, digested_at__isnull=True, read_at__isnull=True, created_at__gte=now - WINDOW
    )


def send_daily_digests(now: datetime | None = None) -> int:
    """Send the digests that are due; returns how many emails were queued."""
    from tribu.accounts.models import User

    now = now or timezone.now()
    pending = pending_digest_notifications(now)
    users = (
        User.objects.filter(pk__in=pending.values("recipient_id"), is_active=True)
        .exclude(email="")
        .annotate(last_digest=Max("notifications__digested_at"))
    )
    sent = 0
    for user in users:
        due_at = todays_digest_time(user, now)
        if now < due_at or (user.last_digest is not None and user.last_digest >= due_at):
            continue
        try:
            sent += _send_digest(user, pending.filter(recipient=user), now)
        except Exception:
            logger.exception("Could not send the daily digest to user %s", user.pk)
    return sent


def _send_digest(user: Any, rows: QuerySet[Notification], now: datetime) -> int:
    with transaction.atomic():
        notifications = list(rows.select_related("actor").order_by("-created_at", "-id"))
        if not notifications:
            return 0
        ids = [n.pk for n in notifications]
        claimed = Notification.objects.filter(pk__in=ids, digested_at__isnull=True).update(digested_at=now)
        if claimed != len(ids):
            transaction.set_rollback(True)  # someone else is sending it
            return 0
        parts = render_digest_email(user, notifications[:MAX_ITEMS], len(notifications))
        # Not transactional: one-click unsubscription from the digest (RFC 8058), by the mailing app.
        from tribu.mailing.consent import DIGESTS, list_unsubscribe_headers

        send_email_on_commit([user.email], headers=list_unsubscribe_headers(user, DIGESTS), **parts)
    return 1
