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
    """The community's latest acts that every member may read about, for the home page: the verbs
    described as public (posts, comments, accepted answers, new members, published events…), in the
    community space or in a public group not reserved to some tiers. One query (the restricted groups
    come from the cache)."""
    from django.apps import apps
    from django.db.models import Q

    from .activity_text import PUBLIC_VERBS

    rows = Activity.objects.filter(audit=False, verb__in=sorted(PUBLIC_VERBS))
    # An act in a group the log no longer knows (deleted: its id is gone, its name stays in the
    # data) is not an act of the community space.
    community_space = Q(group__isnull=True) & (Q(data__group_name__isnull=True) | Q(data__group_name=""))
    if apps.is_installed("tribu.groups"):
        from tribu.groups.queries import restricted_groups

        open_group = Q(group__effective_visibility="public")
        for path, _mode, _tiers in restricted_groups():
            open_group &= ~Q(group__path__startswith=path)
        rows = rows.filter(community_space | open_group)
    else:
        rows = rows.filter(community_space)
    return with_text(list(rows.select_related("actor").order_by("-created_at", "-id")[:limit]))


def audit_log() -> QuerySet[Activity]:
    return Activity.objects.filter(audit=True).select_related("actor", "target_type").order_by("-created_at", "-id")
