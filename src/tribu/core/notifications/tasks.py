"""Background work of notifications. Tasks take ids and are idempotent: a notification is
emailed at most once (claimed with a conditional update on ``emailed_at``)."""

from __future__ import annotations

import logging

from django.db.models import Q
from django.tasks import task
from django.utils import timezone

from tribu.core.emails import deliver
from tribu.core.models import Notification

from . import realtime
from .emails import notification_headers, render_notification_email

logger = logging.getLogger(__name__)


@task(queue_name="default")
def send_notification_emails(notification_ids: list[int]) -> int:
    """Email each notification not emailed yet; returns how many were sent."""
    sent = 0
    failed: list[int] = []
    rows = Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related(
        "recipient", "actor"
    )
    for notification in rows:
        recipient = notification.recipient
        if not recipient.is_active or not recipient.email:
            continue
        now = timezone.now()
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(emailed_at=now)
        if not claimed:
            continue  # another worker got it first
        try:
            parts = render_notification_email(notification)
            # One click (RFC 8058) turns this kind off (core:notification_stop).
            deliver([recipient.email], headers=notification_headers(notification), **parts)
        except Exception:
            # Release the claim so a retry sends it.
            Notification.objects.filter(Q(pk=notification.pk) & Q(emailed_at=now)).update(emailed_at=None)
            logger.exception("Could not email notification %s", notification.pk)
            failed.append(notification.pk)
            continue
        sent += 1
    if failed:
        raise RuntimeError(f"Could not email notifications {failed}")
    return sent


@task(queue_name="default")
def push_unread_counts_task(user_ids: list[int]) -> None:
    realtime.push_unread_counts(user_ids)
