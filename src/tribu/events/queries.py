"""Read side of events: the agenda (list and month), my events, an event's page, its attendees.

Visibility is decided in SQL for lists (the same rules as ``policies.can_view``), so a page of the
agenda runs a fixed number of queries whatever the number of events.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from tribu.core import policies as core_policies
from tribu.memberships.access import effective_tier_ids
from tribu.memberships.models import RestrictionMode

from .models import (
    LIVE_STATUSES,
    Audience,
    Event,
    EventFormat,
    EventKind,
    EventStatus,
    Registration,
    RegistrationStatus,
)

PAGE_SIZE = 20


def visible_q(user: Any) -> Q:
    """Published and cancelled events ``user`` may see (drafts never: they are on the manage page)."""
    listed = Q(status__in=[EventStatus.PUBLISHED, EventStatus.CANCELLED])
    if core_policies.is_team(user):
        return listed
    if not core_policies.is_member_area_allowed(user):
        return listed & Q(audience=Audience.EVERYONE, group__isnull=True)
    from tribu.groups.queries import readable_groups

    groups = Q(group__isnull=True) | Q(group_id__in=readable_groups(user).values("pk"))
    tiers = effective_tier_ids(user)
    tier_rule = ~Q(audience=Audience.TIERS) | ~Q(restriction_mode=RestrictionMode.HIDDEN)
    if tiers:
        held = Event.required_tiers.through.objects.filter(event_id=OuterRef("pk"), tier_id__in=tiers)
        tier_rule |= Exists(held)
    own = Q(organiser_id=user.pk)
    return listed & ((groups & tier_rule) | own)


def with_my_status(qs: QuerySet, user: Any) -> QuerySet:
    if not getattr(user, "is_authenticated", False):
        return qs
    mine = Registration.objects.filter(event=OuterRef("pk"), user_id=user.pk, status__in=LIVE_STATUSES)
    return qs.annotate(my_status=Subquery(mine.values("status")[:1]))


@dataclass
class Filters:
    when: str = "upcoming"  # upcoming | past
    group: str = ""
    kind: str = ""
    format: str = ""
    start: date | None = None
    end: date | None = None
    q: str = ""
    errors: list[str] = field(default_factory=list)

    def as_params(self) -> list[tuple[str, str]]:
        params = [("when", self.when)] if self.when != "upcoming" else []
        for name in ("group", "kind", "format", "q"):
            if getattr(self, name):
                params.append((name, getattr(self, name)))
        if self.start:
            params.append(("start", self.start.isoformat()))
        if self.end:
            params.append(("end", self.end.isoformat()))
        return params


def parse_filters(data: Any) -> Filters:
    f = Filters()
    f.when = "past" if data.get("when") == "past" else "upcoming"
    f.group = (data.get("group") or "")[:140]
    f.kind = data.get("kind") if data.get("kind") in EventKind.values else ""
    f.format = data.get("format") if data.get("format") in EventFormat.values else ""
    f.q = (data.get("q") or "").strip()[:100]
    for name in ("start", "end"):
        raw = data.get(name) or ""
        if raw:
            try:
                setattr(f, name, date.fromisoformat(raw))
            except ValueError:
                f.errors.append(name)
    return f


def _aware(day: date, end: bool = False) -> datetime:
    moment = datetime.combine(day + timedelta(days=1) if end else day, time.min)
    return timezone.make_aware(moment, ZoneInfo(settings.TIME_ZONE))


def agenda(user: Any, filters: Filters, now: datetime | None = None) -> QuerySet:
    now = now or timezone.now()
    qs = Event.objects.filter(visible_q(user))
    if filters.when == "past":
        qs = qs.filter(ends_at__lt=now).order_by("-starts_at", "-id")
    else:
        qs = qs.filter(ends_at__gte=now).order_by("starts_at", "id")
    if filters.group:
        qs = qs.filter(group__slug=filters.group)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.format:
        qs = qs.filter(format=filters.format)
    if filters.start:
        qs = qs.filter(ends_at__gte=_aware(filters.start))
    if filters.end:
        qs = qs.filter(starts_at__lt=_aware(filters.end, end=True))
    if filters.q:
        qs = qs.filter(Q(title__icontains=filters.q) | Q(summary__icontains=filters.q))
    return with_my_status(qs.select_related("group"), user).only(*LIST_FIELDS)


LIST_FIELDS = (
    "slug", "title", "summary", "kind", "format", "starts_at", "ends_at", "time_zone", "capacity", "seats_taken",
    "status", "venue", "cover", "audience", "group__name", "group__slug",
)


def page_of(qs: QuerySet, number: Any) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(number)


def month(user: Any, year: int, month_number: int) -> dict[str, Any]:
    """The weeks of a month (Monday first), each day with the visible events starting that day."""
    first = date(year, month_number, 1)
    last = date(year, month_number, calendar.monthrange(year, month_number)[1])
    qs = (
        Event.objects.filter(visible_q(user))
        .filter(starts_at__gte=_aware(first), starts_at__lt=_aware(last, end=True))
        .select_related("group")
        .only(*LIST_FIELDS)
        .order_by("starts_at", "id")
    )
    events = list(with_my_status(qs, user))
    by_day: dict[date, list[Event]] = {}
    for event in events:
        by_day.setdefault(timezone.localtime(event.starts_at).date(), []).append(event)
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month_number):
        weeks.append([{"day": d, "in_month": d.month == month_number, "events": by_day.get(d, [])} for d in week])
    previous = first - timedelta(days=1)
    following = last + timedelta(days=1)
    return {"weeks": weeks, "first": first, "previous": previous, "next": following, "count": len(events)}


def my_registrations(user: Any, now: datetime | None = None) -> dict[str, list[Registration]]:
    now = now or timezone.now()
    rows = list(
        Registration.objects.filter(user=user, status__in=LIVE_STATUSES)
        .select_related("event", "event__group")
        .order_by("event__starts_at", "id")
    )
    return {
        "upcoming": [r for r in rows if r.event.ends_at >= now],
        "past": [r for r in reversed(rows) if r.event.ends_at < now],
    }


def event_or_404(slug: str) -> Event:
    event = (
        Event.objects.select_related("group", "organiser", "series")
        .prefetch_related("required_tiers")
        .filter(slug=slug)
        .first()
    )
    if event is None:
        raise Http404
    return event


def page_extras(event: Event) -> dict[str, Any]:
    return {
        "speakers": list(event.speakers.select_related("user", "user__profile")),
        "agenda": list(event.agenda.all()),
        "partners": list(event.partners.all()),
        "tickets": list(event.ticket_types.prefetch_related("required_tiers")),
        "questions": list(event.questions.all()),
        "resources": list(event.resources.all()),
        "occurrences": list(
            Event.objects.filter(series_id=event.series_id).exclude(pk=event.pk).only("slug", "title", "starts_at",
                                                                                    "status")
        ) if event.series_id else [],
    }


def my_registration(user: Any, event: Event) -> Registration | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Registration.objects.filter(event=event, user=user, status__in=LIVE_STATUSES)
        .select_related("ticket_type", "payment")
        .first()
    )


def waitlist_position(registration: Registration) -> int:
    return Registration.objects.filter(
        event_id=registration.event_id, status=RegistrationStatus.WAITLISTED
    ).filter(Q(created_at__lt=registration.created_at) | Q(created_at=registration.created_at, pk__lt=registration.pk)
             ).count() + 1


def attendees(event: Event, q: str = "", status: str = "") -> QuerySet:
    qs = Registration.objects.filter(event=event).select_related("user", "ticket_type", "checked_in_by")
    if status in RegistrationStatus.values:
        qs = qs.filter(status=status)
    else:
        qs = qs.exclude(status=RegistrationStatus.CANCELLED)
    if q:
        qs = qs.filter(
            Q(user__display_name__icontains=q) | Q(user__email__icontains=q) | Q(name__icontains=q)
            | Q(email__icontains=q) | Q(code=q)
        )
    return qs.order_by("status", "user__display_name", "name", "id")


def stats(event: Event) -> dict[str, Any]:
    counts = Registration.objects.filter(event=event).aggregate(
        confirmed=Count("pk", filter=Q(status=RegistrationStatus.CONFIRMED)),
        waitlisted=Count("pk", filter=Q(status=RegistrationStatus.WAITLISTED)),
        pending=Count("pk", filter=Q(status=RegistrationStatus.PENDING_PAYMENT)),
        attended=Count("pk", filter=Q(status=RegistrationStatus.CONFIRMED, checked_in_at__isnull=False)),
        walk_ins=Count("pk", filter=Q(walk_in=True, status=RegistrationStatus.CONFIRMED)),
    )
    confirmed = counts["confirmed"]
    counts["rate"] = round(100 * counts["attended"] / confirmed) if confirmed else None
    feedback = event.registrations.filter(feedback__isnull=False).aggregate(
        average=Avg("feedback__rating"), answers=Count("feedback")
    )
    counts["feedback_average"] = feedback["average"]
    counts["feedback_count"] = feedback["answers"]
    return counts


def feedback_list(event: Event) -> list[Any]:
    from .models import Feedback

    return list(Feedback.objects.filter(registration__event=event).select_related("registration__user")
                .order_by("-created_at"))


def feed_events(feed: Any) -> list[Event]:
    """The events of a member's calendar feed: their live registrations and, when they chose it,
    every upcoming visible event (cancelled ones stay, marked cancelled, so calendars drop them)."""
    user = feed.user
    mine = Registration.objects.filter(event=OuterRef("pk"), user=user, status__in=LIVE_STATUSES)
    since = timezone.now() - timedelta(days=90)
    qs = Event.objects.filter(starts_at__gte=since)
    qs = qs.filter(visible_q(user) | Exists(mine)) if feed.include_all else qs.filter(Exists(mine))
    return list(qs.annotate(registered=Exists(mine.filter(status=RegistrationStatus.CONFIRMED)))
                .order_by("starts_at")[:1000])


def manage_list(user: Any) -> QuerySet:
    """Events this person manages (the team: all), drafts included."""
    qs = Event.objects.select_related("group").order_by("-starts_at")
    if core_policies.is_team(user):
        return qs
    return qs.filter(Q(organiser_id=user.pk) | Q(group_id__in=led_groups(user).values("pk")))


def led_groups(user: Any) -> QuerySet:
    """The groups whose events this person may create: every group for the team, else those they
    own or animate and their sub-groups."""
    from tribu.groups.models import Group
    from tribu.groups.policies import viewer

    groups = Group.objects.filter(archived_at__isnull=True).order_by("name")
    if core_policies.is_team(user):
        return groups
    paths = viewer(user).lead_paths
    if not paths:
        return groups.none()
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(path__startswith=path)
    return groups.filter(q)
