"""Every write on notifications. Other apps call ``notify(...)`` from inside their own actions;
emails and live badge updates go out after the transaction commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tribu.core.activity import record
from tribu.core.models import Activity, Notification, NotificationChannel, NotificationPreference

from . import policies, queries
from .kinds import COMMUNITY_ANNOUNCEMENT, ROLE_CHANGED, WELCOME, get_kind
from .realtime import push_unread_counts_on_commit

ALL: Literal["all"] = "all"
EMAIL_BATCH = 100


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
    if get_kind(kind) is None:
        raise ValueError(f"Unknown notification kind {kind!r}; register it in its app's kinds first.")
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    users = {u.pk: u for u in recipients if u.is_active and (actor_obj is None or u.pk != actor_obj.pk)}
    if not users:
        return []
    channels = queries.channels_for(users.keys(), kind)
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
    if get_kind(kind) is None:
        raise ValidationError(_("Unknown kind of notification."))
    if channel not in NotificationChannel.values:
        raise ValidationError(_("Choose one of: in the app, by email, in the daily digest, or off."))
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"channel": channel}
    )
    return preference


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
