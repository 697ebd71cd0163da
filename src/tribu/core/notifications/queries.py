"""Read side of notifications: exactly what the pages need, with their joins."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, QuerySet

from tribu.core.models import Notification, NotificationPreference

from .kinds import NotificationKind, all_kinds, get_kind


def notifications_for(user: Any) -> QuerySet[Notification]:
    """The member's own notifications, newest first (the actor is joined for the text)."""
    return Notification.objects.filter(recipient=user).select_related("actor").order_by("-created_at", "-id")


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
