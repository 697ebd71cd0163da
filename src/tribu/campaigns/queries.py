"""Read side of campaigns: the list with its figures, one campaign's statistics (counts, rates over
time, clicks per link), recipients per status, and the newsletter builder's proposal."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncHour
from django.shortcuts import get_object_or_404
from django.utils import timezone

from tribu.core.models import Activity
from tribu.mailing.models import EmailSuppression, SuppressionReason

from .models import Campaign, EventKind, Link, Recipient, RecipientStatus, TrackingEvent

PAGE_SIZE = 50
RECIPIENT_FILTERS = (
    "queued",
    "sent",
    "failed",
    "skipped",
    "cancelled",
    "opened",
    "clicked",
    "bounced",
    "complaints",
    "unsubscribed",
)


def campaign_or_404(pk: int) -> Campaign:
    return get_object_or_404(Campaign.objects.select_related("segment"), pk=pk)


def campaign_list() -> QuerySet[Campaign]:
    """Every campaign with its sent and opened figures (two aggregated subqueries, no N+1)."""
    return (
        Campaign.objects.select_related("segment")
        .annotate(
            sent=Count("recipients", filter=Q(recipients__status=RecipientStatus.SENT), distinct=True),
            opened=Count("events__recipient", filter=Q(events__kind=EventKind.OPEN), distinct=True),
        )
        .order_by("-created_at", "-id")
    )


def page_of(qs: Any, number: Any, size: int = PAGE_SIZE) -> Any:
    return Paginator(qs, size).get_page(number)


def _suppressed(reason: str) -> Exists:
    return Exists(
        EmailSuppression.objects.filter(
            email__iexact=OuterRef("email"), reason=reason, created_at__gte=OuterRef("sent_at")
        )
    )


def _unsubscribed(campaign: Campaign) -> Exists:
    return Exists(
        Activity.objects.filter(
            actor_id=OuterRef("user_id"),
            verb="mailing.unsubscribed",
            data__topic=campaign.topic,
            created_at__gte=OuterRef("sent_at"),
        )
    )


def recipients(campaign: Campaign, which: str) -> QuerySet[Recipient]:
    """The recipients of one figure of the statistics page."""
    qs = Recipient.objects.filter(campaign=campaign).order_by("id")
    sent = qs.filter(status=RecipientStatus.SENT)
    if which in {"queued", "failed", "skipped", "cancelled", "sent"}:
        if which == "queued":
            return qs.filter(status__in=[RecipientStatus.QUEUED, RecipientStatus.SENDING])
        return qs.filter(status=which)
    if which == "opened":
        return sent.filter(Exists(TrackingEvent.objects.filter(recipient=OuterRef("pk"))))
    if which == "clicked":
        return sent.filter(Exists(TrackingEvent.objects.filter(recipient=OuterRef("pk"), kind=EventKind.CLICK)))
    if which == "bounced":
        return sent.filter(_suppressed(SuppressionReason.HARD_BOUNCE))
    if which == "complaints":
        return sent.filter(_suppressed(SuppressionReason.COMPLAINT))
    if which == "unsubscribed":
        return sent.filter(_unsubscribed(campaign))
    return qs.none()


def _rate(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def statistics(campaign: Campaign) -> dict[str, Any]:
    """Counts, rates (of messages sent), clicks per link and hourly buckets, in a fixed number of queries."""
    by_status = dict(
        Recipient.objects.filter(campaign=campaign).values_list("status").annotate(n=Count("id")).order_by()
    )
    sent = by_status.get(RecipientStatus.SENT, 0)
    events = TrackingEvent.objects.filter(campaign=campaign)
    opened = events.values("recipient").distinct().count()  # a click shows the message was opened too
    clicked = events.filter(kind=EventKind.CLICK).values("recipient").distinct().count()
    bounced = recipients(campaign, "bounced").count()
    complaints = recipients(campaign, "complaints").count()
    unsubscribed = recipients(campaign, "unsubscribed").count()
    delivered = max(0, sent - bounced)
    links = list(
        Link.objects.filter(campaign=campaign)
        .annotate(clicks=Count("events"), people=Count("events__recipient", distinct=True))
        .order_by("-clicks", "id")
    )
    hours: dict[datetime, dict[str, int]] = {}
    for row in (
        Recipient.objects.filter(campaign=campaign, sent_at__isnull=False)
        .annotate(hour=TruncHour("sent_at"))
        .values("hour")
        .annotate(n=Count("id"))
        .order_by()
    ):
        hours.setdefault(row["hour"], {"sent": 0, "open": 0, "click": 0})["sent"] = row["n"]
    for row in (
        events.annotate(hour=TruncHour("created_at"))
        .values("hour", "kind")
        .annotate(n=Count("recipient", distinct=True))
        .order_by()
    ):
        hours.setdefault(row["hour"], {"sent": 0, "open": 0, "click": 0})[row["kind"]] = row["n"]
    timeline = []
    cumulative = {"sent": 0, "open": 0, "click": 0}
    for hour in sorted(hours):
        for key in cumulative:
            cumulative[key] += hours[hour].get(key, 0)
        timeline.append(
            {
                "hour": hour,
                **hours[hour],
                "open_rate": _rate(cumulative["open"], cumulative["sent"] or sent),
                "click_rate": _rate(cumulative["click"], cumulative["sent"] or sent),
            }
        )
    peak = max((max(h["sent"], h["open"], h["click"]) for h in timeline), default=0)
    for item in timeline:
        for key in ("sent", "open", "click"):
            item[f"{key}_pct"] = round(100 * item[key] / peak) if peak else 0
    return {
        "targeted": sum(by_status.values()),
        "queued": by_status.get(RecipientStatus.QUEUED, 0) + by_status.get(RecipientStatus.SENDING, 0),
        "sent": sent,
        "delivered": delivered,
        "failed": by_status.get(RecipientStatus.FAILED, 0),
        "skipped": by_status.get(RecipientStatus.SKIPPED, 0),
        "cancelled": by_status.get(RecipientStatus.CANCELLED, 0),
        "bounced": bounced,
        "complaints": complaints,
        "opened": opened,
        "clicked": clicked,
        "unsubscribed": unsubscribed,
        "rates": {
            "delivered": _rate(delivered, sent),
            "bounced": _rate(bounced, sent),
            "opened": _rate(opened, delivered),
            "clicked": _rate(clicked, delivered),
            "unsubscribed": _rate(unsubscribed, delivered),
            "complaints": _rate(complaints, delivered),
        },
        "links": [{"url": link.url, "clicks": link.clicks, "people": link.people} for link in links],
        "timeline": timeline,
        "skip_reasons": dict(
            Recipient.objects.filter(campaign=campaign, status=RecipientStatus.SKIPPED)
            .values_list("skip_reason")
            .annotate(n=Count("id"))
            .order_by()
        ),
    }


# --------------------------------------------------------------------------- newsletter builder


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )


def engaging_posts(start: date, end: date, limit: int = 5) -> list[Any]:
    """Posts of the period visible to every member, most engaging first: the activity recorded on
    each post (reactions, comments, views… whatever the feed records) then the newest."""
    if not apps.is_installed("tribu.feed"):
        return []
    from tribu.feed.models import Post

    since, until = _bounds(start, end)
    visible = Q(group__isnull=True)
    closed: tuple[str, ...] = ()
    if apps.is_installed("tribu.groups"):
        from tribu.groups.queries import restricted_groups

        visible |= Q(group__effective_visibility="public")
        # A public group reserved to some tiers is not for every member: nor is anything below it.
        closed = tuple(path for path, _mode, _tiers in restricted_groups())
    candidates = [
        post for post in Post.objects.filter(visible, status="published", deleted_at__isnull=True,
                                             created_at__gte=since, created_at__lt=until)
        .select_related("author", "group")
        .order_by("-created_at", "-id")[:300]
        if not (closed and post.group_id and post.group.path.startswith(closed))
    ]
    if not candidates:
        return []
    post_type = ContentType.objects.get_for_model(Post)
    scores = dict(
        Activity.objects.filter(target_type=post_type, target_id__in=[str(p.pk) for p in candidates])
        .values_list("target_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for post in candidates:
        post.engagement = scores.get(str(post.pk), 0)
    candidates.sort(key=lambda p: (-p.engagement, -p.created_at.timestamp()))
    return candidates[:limit]


def upcoming_events(after: date, limit: int = 5) -> list[Any]:
    if not apps.is_installed("tribu.events"):
        return []
    from tribu.events.models import Event

    since, _until = _bounds(after, after)
    return list(
        Event.objects.filter(status="published", group__isnull=True, starts_at__gte=since).order_by("starts_at", "id")[
            :limit
        ]
    )


def newsletter_proposal(start: date, end: date) -> dict[str, Any]:
    return {"posts": engaging_posts(start, end), "events": upcoming_events(max(end, timezone.localdate()))}
