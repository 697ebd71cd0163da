"""Read-side selectors for the core pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Activity, Notification


def unread_notification_count(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def with_text(activities: list[Activity]) -> list[Activity]:
    """Attach the sentence of each act (``.text``) in the active language."""
    from .activity_text import describe

    for activity in activities:
        activity.text = describe(activity)  # type: ignore[attr-defined]
    return activities


def recent_activity(limit: int = 10) -> list[Activity]:
    """The community's latest public acts for the home page (audit entries excluded)."""
    return with_text(
        list(Activity.objects.filter(audit=False).select_related("actor").order_by("-created_at", "-id")[:limit])
    )


def audit_log() -> QuerySet[Activity]:
    return Activity.objects.filter(audit=True).select_related("actor", "target_type").order_by("-created_at", "-id")
