"""The digest email: "what I missed", daily or weekly per member (``DigestPreference``; no row means
daily, on Monday for weekly).

When: after 8:00 in the member's time zone (or the community's) — every day, or on the member's
weekday. A weekly digest missed on its day (job down) goes out at the next run that week; a member's
very first weekly digest waits for their weekday.

What: the member's unread ``digest``-channel notifications of the period (1 or 7 days), grouped by
kind, plus "popular in your groups": the most discussed published posts of the period in the groups
they can read (``tribu.groups.queries.readable_groups``), not their own. Nothing to say: no email.

Idempotent, driven by the database, safe with several schedulers and a job every 15 minutes:
1. the member's period is claimed with a conditional update of ``DigestPreference.last_sent_at``
   (only the run that moves it from the value it read goes on; it is moved even when there is
   nothing to send, so the member is not looked at again until the next period);
2. each notification is claimed once (``digested_at``);
3. the email is queued when the transaction commits; a failure rolls both claims back.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from tribu.core.community import get_community
from tribu.core.emails import send_email_on_commit
from tribu.core.models import (
    DigestFrequency,
    DigestPreference,
    Notification,
    NotificationChannel,
    NotificationPreference,
)

from .emails import consent, render_digest_email, stop_headers
from .kinds import POPULAR_IN_GROUPS, all_kinds

logger = logging.getLogger(__name__)

DIGEST_HOUR = 8
WINDOW = timedelta(days=1)
WEEKLY_WINDOW = timedelta(days=7)
MAX_ITEMS = 50
POPULAR_LIMIT = 5
#: A member whose period was handled less than this long ago cannot be due (days are ≥ 23 hours).
RECENTLY_HANDLED = timedelta(hours=22)


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


def due_slot(user: Any, frequency: str, weekday: int, last_sent_at: datetime | None, now: datetime) -> datetime | None:
    """The digest time this member is due for at ``now``, or None if they are not due."""
    if frequency == DigestFrequency.NEVER:
        return None
    today = todays_digest_time(user, now)
    if frequency == DigestFrequency.WEEKLY:
        slot = today - timedelta(days=(today.weekday() - weekday) % 7)
        if slot > now:
            slot -= timedelta(days=7)
        if last_sent_at is None and slot.date() != today.date():
            return None  # a first weekly digest waits for the member's day
    else:
        slot = today
    if now < slot or (last_sent_at is not None and last_sent_at >= slot):
        return None
    return slot


def pending_digest_notifications(now: datetime, window: timedelta = WINDOW) -> QuerySet[Notification]:
    """Unread, undigested notifications of the period whose recipient gets that kind by digest
    (an explicit ``digest`` preference, or no preference and a kind that defaults to digest)."""
    preference = NotificationPreference.objects.filter(user=OuterRef("recipient_id"), kind=OuterRef("kind"))
    default_digest = [k.code for k in all_kinds() if k.default_channel == NotificationChannel.DIGEST]
    by_digest = Q(Exists(preference.filter(channel=NotificationChannel.DIGEST))) | (
        Q(kind__in=default_digest) & ~Q(Exists(preference))
    )
    return Notification.objects.filter(
        by_digest, digested_at__isnull=True, read_at__isnull=True, created_at__gte=now - window
    )


def popular_posts(user: Any, since: datetime, now: datetime, limit: int = POPULAR_LIMIT) -> list[Any]:
    """The most discussed live posts published in ``[since, now]`` in groups ``user`` can read, not
    their own (one query; the groups are a subquery)."""
    from tribu.feed.models import Post
    from tribu.groups.queries import readable_groups

    return list(
        Post.objects.filter(
            status="published",
            deleted_at__isnull=True,
            group__in=readable_groups(user).values("pk"),
            published_at__gte=since,
            published_at__lte=now,
        )
        .exclude(author=user)
        .annotate(score=F("comment_count") + F("reaction_count"))
        .filter(score__gt=0)
        .select_related("group", "author")
        .order_by("-score", "-published_at", "-pk")[:limit]
    )


def _popular_items(posts: list[Any]) -> list[dict[str, Any]]:
    from django.utils.text import Truncator

    from tribu.feed.actions import post_url

    from .emails import absolute_url

    return [
        {
            "title": post.title or Truncator(post.body).words(12),
            "group": post.group.name if post.group_id else "",
            "author": post.author.name if post.author_id and post.author else "",
            "comments": post.comment_count,
            "reactions": post.reaction_count,
            "url": absolute_url(post_url(post)),
        }
        for post in posts
    ]


def _wants_popular(user: Any) -> bool:
    from .queries import channels_for

    return channels_for([user.pk], POPULAR_IN_GROUPS.code)[user.pk] == NotificationChannel.DIGEST


def send_digests(now: datetime | None = None) -> int:
    """Send the digests that are due (daily and weekly); returns how many emails were queued."""
    from tribu.accounts.models import User

    now = now or timezone.now()
    prefs = DigestPreference.objects.filter(user=OuterRef("pk"))
    users = (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .exclude(Exists(prefs.filter(frequency=DigestFrequency.NEVER)))
        .exclude(Exists(prefs.filter(last_sent_at__gt=now - RECENTLY_HANDLED)))
        .select_related("digest_preference")
        .order_by("pk")
    )
    sent = 0
    for user in users.iterator(chunk_size=500):
        pref = getattr(user, "digest_preference", None)
        frequency = pref.frequency if pref else DigestFrequency.DAILY
        weekday = pref.weekday if pref else 0
        last = pref.last_sent_at if pref else None
        if due_slot(user, frequency, weekday, last, now) is None:
            continue
        try:
            sent += _send_digest(user, frequency, last, now)
        except Exception:
            logger.exception("Could not send the digest to user %s", user.pk)
    return sent


#: The name the scheduler and older callers know.
send_daily_digests = send_digests


def _claim_period(user: Any, last: datetime | None, now: datetime) -> bool:
    pref, _created = DigestPreference.objects.get_or_create(user=user)
    return bool(DigestPreference.objects.filter(pk=pref.pk, last_sent_at=last).update(last_sent_at=now)) if (
        last is not None
    ) else bool(DigestPreference.objects.filter(pk=pref.pk, last_sent_at__isnull=True).update(last_sent_at=now))


def _send_digest(user: Any, frequency: str, last: datetime | None, now: datetime) -> int:
    weekly = frequency == DigestFrequency.WEEKLY
    window = WEEKLY_WINDOW if weekly else WINDOW
    with transaction.atomic():
        if not _claim_period(user, last, now):
            return 0  # another run handles this member
        rows = pending_digest_notifications(now, window).filter(recipient=user)
        notifications = list(rows.select_related("actor").order_by("-created_at", "-id"))
        if notifications:
            ids = [n.pk for n in notifications]
            claimed = Notification.objects.filter(pk__in=ids, digested_at__isnull=True).update(digested_at=now)
            if claimed != len(ids):
                transaction.set_rollback(True)  # someone else is sending them
                return 0
        since = max(now - window, last) if last is not None else now - window
        popular = _popular_items(popular_posts(user, since, now)) if _wants_popular(user) else []
        if not notifications and not popular:
            return 0  # nothing to say; the period stays claimed
        parts = render_digest_email(
            user, notifications[:MAX_ITEMS], len(notifications), popular=popular, weekly=weekly
        )
        send_email_on_commit([user.email], headers=stop_headers(user, consent.DIGESTS), **parts)
    return 1
