"""Read side of notifications: exactly what the pages need, with their joins."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, QuerySet

from tribu.core.models import DigestFrequency, DigestPreference, Notification, NotificationPreference

from .kinds import NotificationKind, all_kinds, get_kind


def notifications_for(user: Any, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The member's own notifications, newest first (the actor is joined for the text)."""
    rows = Notification.objects.filter(recipient=user)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.select_related("actor").order_by("-created_at", "-id")


def own_notification(user: Any, notification_id: int) -> Notification | None:
    return Notification.objects.filter(recipient=user, pk=notification_id).first()


def unread_count(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def unread_counts(user_ids: Iterable[int]) -> dict[int, int]:
    ids = list(user_ids)
    rows = (
        Notification.objects.filter(recipient_id__in=ids, read_at__isnull=True)
        .values("recipient_id")
        .annotate(n=Count("id"))
        .values_list("recipient_id", "n")
    )
    counts = dict.fromkeys(ids, 0)
    counts.update(dict(rows))
    return counts


def channels_for(user_ids: Iterable[int], kind: str) -> dict[int, str]:
    """Each user's channel for ``kind``: their preference, or the kind's default."""
    ids = list(user_ids)
    kind_obj = get_kind(kind)
    default = kind_obj.default_channel if kind_obj else "in_app"
    chosen = dict(NotificationPreference.objects.filter(user_id__in=ids, kind=kind).values_list("user_id", "channel"))
    return {uid: chosen.get(uid, default) for uid in ids}


def preference_rows(user: Any) -> list[tuple[NotificationKind, str]]:
    """Every registered kind with the member's current channel, in display order (one query)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channel"))
    return [(kind, chosen.get(kind.code, kind.default_channel)) for kind in all_kinds()]


def digest_choice(user: Any) -> tuple[str, int]:
    """The member's digest frequency and weekly day (daily, Monday when they never chose)."""
    row = DigestPreference.objects.filter(user=user).values_list("frequency", "weekday").first()
    return (row[0], row[1]) if row else (DigestFrequency.DAILY.value, 0)


# --- "Stop these" links --------------------------------------------------------------------------


def read_stop_token(token: str) -> tuple[int, str] | None:
    """``(user id, topic)`` of a "stop these" link, or None when forged, mangled, or about something
    else than notifications (a newsletter link of the mailing app)."""
    from tribu.mailing import consent

    parsed = consent.read_unsubscribe_token(token)
    if parsed is None:
        return None
    topic = parsed[1]
    if topic == consent.DIGESTS:
        return parsed
    if topic.startswith(consent.NOTIFICATION_PREFIX) and get_kind(topic.removeprefix(consent.NOTIFICATION_PREFIX)):
        return parsed
    return None


def is_digest_topic(topic: str) -> bool:
    from tribu.mailing import consent

    return topic == consent.DIGESTS


def stop_label(topic: str) -> Any:
    """What a stop link stops, for its page: the kind's label, or "the digest email"."""
    from django.utils.translation import gettext_lazy as _

    from tribu.mailing import consent

    if topic == consent.DIGESTS:
        return _("The digest email")
    kind = get_kind(topic.removeprefix(consent.NOTIFICATION_PREFIX))
    return kind.label if kind else topic


def active_member(user_id: int) -> Any:
    from tribu.accounts.models import User

    return User.objects.filter(pk=user_id, is_active=True).first()
