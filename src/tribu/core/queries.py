"""Read-side selectors for the core pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Activity, Notification


def unread_notification_count(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def recent_activity(limit: int = 10) -> list[Activity]:
    """The community's latest public acts for the home page (audit entries excluded)."""
    return list(
        Activity.objects.filter(audit=False)
        .select_related("actor", "target_type")
        .order_by("-created_at", "-id")[:limit]
    )


def audit_log() -> QuerySet[Activity]:
    return Activity.objects.filter(audit=True).select_related("actor", "target_type").order_by("-created_at", "-id")
