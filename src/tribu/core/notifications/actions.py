"""Every write on notifications. Other apps call ``notify(...)`` from inside their own actions;
emails and live badge updates go out after the transaction commits."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import timedelta
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tribu.core.activity import record
from tribu.core.models import (
    Activity,
    DigestFrequency,
    DigestPreference,
    Notification,
    NotificationChannel,
    NotificationPreference,
)

from . import policies, queries
from .kinds import COMMUNITY_ANNOUNCEMENT, ROLE_CHANGED, WELCOME, NotificationKind, get_kind
from .realtime import push_unread_counts_on_commit

ALL: Literal["all"] = "all"
EMAIL_BATCH = 100
#: A grouped row keeps this many recent actors (latest first); an actor who fell off the list and
#: acts again is counted again (the count is exact up to this many distinct actors).
MAX_GROUP_ACTORS = 50
#: A grouped row that was already emailed is emailed again (with its new count) only if its last
#: email is at least this old; otherwise the update shows in the centre and the badge only.
GROUP_EMAIL_INTERVAL = timedelta(hours=1)


def notify(
    recipients: Iterable[Any],
    kind: str,
    *,
    actor: Any = None,
    activity: Activity | None = None,
    url: str = "",
    **data: Any,
) -> list[Notification]:
    """Notify each recipient of ``kind``, as they chose: ``off`` creates nothing, ``email`` also
    sends an email after the commit, ``digest`` waits for the daily digest.

    ``data`` is stored as JSON and used by the kind to write its text. The actor is never notified
    of their own act. Returns the notifications created.
    """
    kind_obj = get_kind(kind)
    if kind_obj is None:
        raise ValueError(f"Unknown notification kind {kind!r}; register it in its app's kinds first.")
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    users = {u.pk: u for u in recipients if u.is_active and (actor_obj is None or u.pk != actor_obj.pk)}
    if not users:
        return []
    channels = queries.channels_for(users.keys(), kind)
    if kind_obj.group_by:
        return _notify_grouped(kind_obj, users, channels, actor_obj, activity, url, data)
    rows = [
        Notification(recipient=user, kind=kind, actor=actor_obj, activity=activity, url=url, data=data)
        for uid, user in users.items()
        if channels[uid] != NotificationChannel.OFF
    ]
    if not rows:
        return []
    with transaction.atomic():
        created = Notification.objects.bulk_create(rows, batch_size=500)
        email_ids = [n.pk for n in created if channels[n.recipient_id] == NotificationChannel.EMAIL]
        if email_ids:
            from .tasks import send_notification_emails

            for start in range(0, len(email_ids), EMAIL_BATCH):
                batch = email_ids[start : start + EMAIL_BATCH]
                transaction.on_commit(lambda batch=batch: send_notification_emails.enqueue(notification_ids=batch))
        push_unread_counts_on_commit(n.recipient_id for n in created)
    return created


def group_key(kind: NotificationKind, data: dict[str, Any]) -> str:
    """The key that groups notifications of ``kind``: a digest of the ``group_by`` values of ``data``."""
    values = json.dumps([data.get(k) for k in kind.group_by], sort_keys=True, default=str)
    return hashlib.sha1(values.encode(), usedforsecurity=False).hexdigest()


def _notify_grouped(
    kind: NotificationKind,
    users: dict[int, Any],
    channels: dict[int, str],
    actor: Any,
    activity: Activity | None,
    url: str,
    data: dict[str, Any],
) -> list[Notification]:
    """``notify`` for a kind with ``group_by``: per recipient, update their unread row of the same
    group, or create it. Race-safe: the partial unique constraint ``notif_unread_group_unique``
    lets only one concurrent insert win; the others catch the conflict and update the winner's row
    (locked with ``SELECT ... FOR UPDATE``), so two reactions at once give one row counting two.

    Emails: a new row is emailed as usual; an updated row is emailed again only when its previous
    email is at least ``GROUP_EMAIL_INTERVAL`` old (at most one email per row per hour). An updated
    row goes back into the next digest (``digested_at`` is cleared) so the digest shows the new count.
    """
    key = group_key(kind, data)
    entry = {"id": actor.pk, "name": actor.name} if actor is not None else None
    touched: list[Notification] = []
    to_email: list[int] = []
    with transaction.atomic():
        for uid, user in users.items():
            channel = channels[uid]
            if channel == NotificationChannel.OFF:
                continue
            row, email = _merge_into_unread(user, kind.code, key, actor, entry, activity, url, data, channel)
            if row is None:
                try:
                    with transaction.atomic():
                        row = Notification.objects.create(
                            recipient=user, kind=kind.code, actor=actor, activity=activity, url=url, data=data,
                            group_key=key, count=1, actors=[entry] if entry else [],
                        )
                    email = channel == NotificationChannel.EMAIL
                except IntegrityError:
                    # A concurrent notify() created the row first: merge into it.
                    row, email = _merge_into_unread(user, kind.code, key, actor, entry, activity, url, data, channel)
                    if row is None:
                        raise
            touched.append(row)
            if email:
                to_email.append(row.pk)
        if to_email:
            from .tasks import send_notification_emails

            for start in range(0, len(to_email), EMAIL_BATCH):
                batch = to_email[start : start + EMAIL_BATCH]
                transaction.on_commit(lambda batch=batch: send_notification_emails.enqueue(notification_ids=batch))
        push_unread_counts_on_commit(n.recipient_id for n in touched)
    return touched


def _merge_into_unread(
    user: Any, kind: str, key: str, actor: Any, entry: dict[str, Any] | None,
    activity: Activity | None, url: str, data: dict[str, Any], channel: str,
) -> tuple[Notification | None, bool]:
    """Update the recipient's unread row of this group, if any; returns it and whether to email it."""
    row = (
        Notification.objects.select_for_update()
        .filter(recipient=user, kind=kind, group_key=key, read_at__isnull=True)
        .first()
    )
    if row is None:
        return None, False
    now = timezone.now()
    actors = [a for a in (row.actors or []) if isinstance(a, dict)]
    if entry is not None:
        known = any(a.get("id") == entry["id"] for a in actors)
        actors = [entry, *(a for a in actors if a.get("id") != entry["id"])]
        row.actor = actor
    else:
        known = False
    row.actors = actors[:MAX_GROUP_ACTORS]
    row.count = row.count + (0 if known else 1)
    row.data = data
    row.url = url or row.url
    row.activity = activity or row.activity
    row.created_at = now
    row.digested_at = None
    email = False
    emailed_long_ago = row.emailed_at is not None and row.emailed_at <= now - GROUP_EMAIL_INTERVAL
    if channel == NotificationChannel.EMAIL and emailed_long_ago:
        row.emailed_at = None  # the task claims it again
        email = True
    row.save(
        update_fields=[
            "actor", "actors", "count", "data", "url", "activity", "created_at", "digested_at", "emailed_at",
        ]
    )
    return row, email


def mark_read(user: Any, ids: Iterable[int] | Literal["all"]) -> int:
    """Mark the member's own notifications as read (others' ids are ignored); returns how many."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids != ALL:
        rows = rows.filter(pk__in=list(ids))
    with transaction.atomic():
        changed = rows.update(read_at=timezone.now())
        if changed:
            push_unread_counts_on_commit([user.pk])
    return changed


def set_preference(user: Any, kind: str, channel: str) -> NotificationPreference:
    """Record the member's channel for ``kind``. A valid channel the kind does not offer (the mailing
    app moving every digest kind to "in the app") is recorded as ``off``."""
    kind_obj = get_kind(kind)
    if kind_obj is None:
        raise ValidationError(_("Unknown kind of notification."))
    if channel not in NotificationChannel.values:
        raise ValidationError(_("Choose one of: in the app, by email, in the digest, or off."))
    if channel not in kind_obj.allowed_channels():
        channel = NotificationChannel.OFF
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"channel": channel}
    )
    return preference


def set_digest_frequency(user: Any, frequency: str, weekday: int | None = None) -> DigestPreference:
    """Daily, weekly (on ``weekday``, 0 = Monday) or never. Keeps the digest job's claim as is."""
    if frequency not in DigestFrequency.values:
        raise ValidationError(_("Choose how often you get the digest: every day, once a week, or never."))
    defaults: dict[str, Any] = {"frequency": frequency}
    if weekday is not None:
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValidationError(_("Choose a day of the week for the weekly digest."))
        defaults["weekday"] = weekday
    preference, _created = DigestPreference.objects.update_or_create(user=user, defaults=defaults)
    return preference


def stop(user: Any, topic: str, *, source: str = "stop_link") -> bool:
    """The one-click "stop these" of an email: ``notification:<kind>`` turns that kind off,
    ``digests`` sets the digest frequency to never. Returns whether anything changed."""
    from tribu.mailing import consent

    with transaction.atomic():
        if topic == consent.DIGESTS:
            current = DigestPreference.objects.filter(user=user).values_list("frequency", flat=True).first()
            if current == DigestFrequency.NEVER:
                return False
            set_digest_frequency(user, DigestFrequency.NEVER)
        elif topic.startswith(consent.NOTIFICATION_PREFIX):
            kind = topic.removeprefix(consent.NOTIFICATION_PREFIX)
            if queries.channels_for([user.pk], kind)[user.pk] == NotificationChannel.OFF:
                return False
            set_preference(user, kind, NotificationChannel.OFF)
        else:
            raise ValidationError(_("This link does not stop notifications."))
        record(user, "notifications.stopped", None, topic=topic, source=source)
    return True


# --- The platform's own notifications ----------------------------------------------------------


def notify_welcome(user: Any, activity: Activity | None = None) -> list[Notification]:
    """Welcome a new member once their email address is verified (at most once per member)."""
    with transaction.atomic():
        if Notification.objects.filter(recipient=user, kind=WELCOME.code).exists():
            return []
        return notify([user], WELCOME.code, activity=activity, url=reverse("accounts:settings"))


def notify_role_changed(
    actor: Any, target: Any, old_role: str, new_role: str, activity: Activity | None = None
) -> list[Notification]:
    return notify(
        [target],
        ROLE_CHANGED.code,
        actor=actor,
        activity=activity,
        url=reverse("home"),
        old=old_role,
        new=new_role,
    )


def announce(actor: Any, title: str, *, url: str = "", recipients: Iterable[Any] | None = None) -> list[Notification]:
    """An administrator's announcement to every active member (or to ``recipients``)."""
    from tribu.accounts.models import User

    if not policies.can_announce(actor):
        raise PermissionDenied
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("An announcement needs a title."))
    if len(title) > 200:
        raise ValidationError(_("Keep the announcement title under 200 characters."))
    targets = recipients if recipients is not None else User.objects.filter(is_active=True)
    with transaction.atomic():
        activity = record(actor, "community.announced", None, title=title, url=url)
        return notify(targets, COMMUNITY_ANNOUNCEMENT.code, actor=actor, activity=activity, url=url, title=title)
