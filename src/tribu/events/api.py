"""API v1: events, ticket types, registrations, check-ins and the calendar feed, with the pages' rules.

- ``GET /events?when=upcoming|past&group=&kind=&format=&start=&end=&q=&page=&page_size=`` — the agenda
  the caller may see (public events for anonymous callers);
- ``GET /events/{slug}`` — one event (the video link only for registrants and organisers);
- ``POST /events``, ``PATCH /events/{slug}``, ``POST /events/{slug}/publish``, ``POST /events/{slug}/cancel``;
- ``GET|POST /events/{slug}/ticket-types`` — the tickets (organisers add them);
- ``POST /events/{slug}/registrations`` (register), ``DELETE /events/{slug}/registrations/me``,
  ``GET /events/{slug}/registrations`` (organisers), ``GET /me/registrations``;
- ``POST /events/{slug}/check-ins`` with ``{"code": ...}`` or ``{"registration_id": ...}`` (organisers);
- ``GET /me/calendar`` — the private calendar feed address; ``POST /me/calendar/revoke``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from tribu.api.auth import BearerTokenAuth, SessionAuth
from tribu.api.errors import ApiError
from tribu.api.pagination import _page_url, max_page_size
from tribu.api.schemas import ErrorOut
from tribu.core.markdown import render_markdown

from . import actions, ics, policies, queries
from .models import Audience, Event, EventFormat, EventKind, Registration, TicketType

router = Router(tags=["events"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}


def _anonymous(request: HttpRequest) -> bool:
    return True


OPTIONAL_AUTH = [BearerTokenAuth(), SessionAuth(), _anonymous]


class EventOut(Schema):
    id: int
    slug: str
    title: str
    summary: str
    kind: str
    format: str
    status: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    venue: str
    address: str
    capacity: int | None
    seats_left: int | None
    registration_deadline: datetime
    audience: str
    group: str | None = Field(description="The group's slug; empty for a community event.")
    my_status: str | None = Field(description="Your registration: confirmed, waitlisted, pending_payment.")
    url: str
    ics_url: str


class EventDetailOut(EventOut):
    description: str
    description_html: str
    online_url: str | None = Field(description="For registrants and organisers only.")
    max_guests: int


class EventPageOut(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[EventOut]


class AgendaFilters(Schema):
    when: str = Field("upcoming", pattern="^(upcoming|past)$")
    group: str = Field("", max_length=140)
    kind: str = Field("", max_length=16)
    format: str = Field("", max_length=16)
    start: date | None = None
    end: date | None = None
    q: str = Field("", max_length=100)
    page: int = Field(1, ge=1)
    page_size: int | None = Field(None, ge=1)


class EventIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    summary: str = Field("", max_length=300)
    description: str = Field("", max_length=50000)
    kind: str = Field(EventKind.MEETUP, pattern="^(" + "|".join(EventKind.values) + ")$")
    format: str = Field(EventFormat.IN_PERSON, pattern="^(" + "|".join(EventFormat.values) + ")$")
    group: str | None = Field(None, description="A group's slug.")
    venue: str = Field("", max_length=200)
    address: str = Field("", max_length=300)
    online_url: str = Field("", max_length=500, description="Empty for online events: a Jitsi room is made.")
    starts_at: datetime
    ends_at: datetime
    time_zone: str = Field(settings.TIME_ZONE, max_length=64)
    capacity: int | None = Field(None, ge=0)
    registration_deadline: datetime | None = None
    audience: str = Field(Audience.EVERYONE, pattern="^(" + "|".join(Audience.values) + ")$")
    tier_ids: list[int] | None = None
    max_guests: int = Field(0, ge=0, le=20)


class EventPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    summary: str | None = Field(None, max_length=300)
    description: str | None = Field(None, max_length=50000)
    venue: str | None = Field(None, max_length=200)
    address: str | None = Field(None, max_length=300)
    online_url: str | None = Field(None, max_length=500)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    capacity: int | None = Field(None, ge=0)
    registration_deadline: datetime | None = None
    max_guests: int | None = Field(None, ge=0, le=20)


class CancelIn(Schema):
    reason: str = Field("", max_length=500)


class TicketOut(Schema):
    id: int
    name: str
    price_cents: int
    member_price_cents: int | None
    currency: str
    quantity: int | None
    sold: int
    tier_ids: list[int]


class TicketIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    price_cents: int = Field(0, ge=0)
    member_price_cents: int | None = Field(None, ge=0)
    currency: str = Field("EUR", pattern="^[A-Z]{3}$")
    quantity: int | None = Field(None, ge=0)
    tier_ids: list[int] = []


class RegisterIn(Schema):
    ticket_type_id: int | None = None
    guests: int = Field(0, ge=0, le=20)
    answers: dict[str, Any] = {}


class RegistrationOut(Schema):
    id: int
    event: str
    name: str
    email: str
    status: str
    guests: int
    ticket_type_id: int | None
    price_cents: int
    currency: str
    code: str
    checked_in_at: datetime | None
    walk_in: bool
    created_at: datetime
    payment_reference: str | None


class CheckInIn(Schema):
    code: str = Field("", max_length=64)
    registration_id: int | None = None


class CheckInOut(Schema):
    registration: RegistrationOut
    checked_in_now: bool = Field(description="False when the person was already checked in.")


class CalendarOut(Schema):
    url: str
    webcal_url: str
    include_all: bool


class CalendarIn(Schema):
    include_all: bool


def _event_out(request: HttpRequest, event: Event) -> dict[str, Any]:
    return {
        "id": event.pk, "slug": event.slug, "title": event.title, "summary": event.summary, "kind": event.kind,
        "format": event.format, "status": event.status, "starts_at": event.starts_at, "ends_at": event.ends_at,
        "time_zone": event.time_zone, "venue": event.venue, "address": event.address, "capacity": event.capacity,
        "seats_left": event.seats_left, "registration_deadline": event.deadline(), "audience": event.audience,
        "group": event.group.slug if event.group_id else None, "my_status": getattr(event, "my_status", None),
        "url": ics.event_url(event), "ics_url": ics.ics_url(event),
    }


def _detail_out(request: HttpRequest, event: Event) -> dict[str, Any]:
    registration = queries.my_registration(request.user, event)
    show = policies.can_see_link(request.user, event, registration)
    return {
        **_event_out(request, event),
        "my_status": registration.status if registration else None,
        "description": event.description,
        "description_html": str(render_markdown(event.description)),
        "online_url": event.online_url if show and event.online_url else None,
        "max_guests": event.max_guests,
    }


def _registration_out(r: Registration) -> dict[str, Any]:
    return {
        "id": r.pk, "event": r.event.slug, "name": r.person_name, "email": r.person_email, "status": r.status,
        "guests": r.guests, "ticket_type_id": r.ticket_type_id, "price_cents": r.price_cents, "currency": r.currency,
        "code": r.code, "checked_in_at": r.checked_in_at, "walk_in": r.walk_in, "created_at": r.created_at,
        "payment_reference": r.payment.reference if r.payment_id else None,
    }


def _ticket_out(t: TicketType) -> dict[str, Any]:
    return {
        "id": t.pk, "name": t.name, "price_cents": t.price_cents, "member_price_cents": t.member_price_cents,
        "currency": t.currency, "quantity": t.quantity, "sold": t.sold,
        "tier_ids": [tier.pk for tier in t.required_tiers.all()],
    }


def _viewable(request: HttpRequest, slug: str) -> Event:
    event = queries.event_or_404(slug)
    if not policies.can_view(request.user, event):
        if not request.user.is_authenticated:
            raise ApiError(401)
        raise ApiError(404)
    return event


def _managed(request: HttpRequest, slug: str) -> Event:
    event = _viewable(request, slug)
    if not policies.can_manage(request.user, event):
        raise ApiError(403)
    return event


@router.get("/events", response={200: EventPageOut, 422: ErrorOut, **ERRORS}, auth=OPTIONAL_AUTH,
            summary="The agenda")
def list_events(request: HttpRequest, filters: Query[AgendaFilters]) -> dict[str, Any]:
    parsed = queries.parse_filters(request.GET)
    size = min(filters.page_size or max_page_size(), max_page_size())
    qs = queries.agenda(request.user, parsed)
    count = qs.count()
    last = max(1, -(-count // size))
    if filters.page > last:
        raise ApiError(404, "invalid_page", _("This page does not exist."))
    start = (filters.page - 1) * size
    return {
        "count": count,
        "next": _page_url(request, filters.page + 1, size) if filters.page < last else None,
        "previous": _page_url(request, filters.page - 1, size) if filters.page > 1 else None,
        "results": [_event_out(request, e) for e in qs[start : start + size]],
    }


@router.get("/events/{slug}", response={200: EventDetailOut, **ERRORS}, auth=OPTIONAL_AUTH, summary="An event")
def read_event(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _detail_out(request, _viewable(request, slug))


def _group_from(slug: str | None) -> Any:
    if not slug:
        return None
    from tribu.groups.models import Group

    group = Group.objects.filter(slug=slug).first()
    if group is None:
        raise ValidationError({"group": [_("This group does not exist.")]})
    return group


@router.post("/events", response={201: EventDetailOut, 422: ErrorOut, **ERRORS}, summary="Create an event (draft)")
def create_event(request: HttpRequest, payload: EventIn) -> Status[dict[str, Any]]:
    if not policies.can_create_events(request.user):
        raise ApiError(403)
    values = payload.model_dump()
    tier_ids = values.pop("tier_ids")
    values["group"] = _group_from(values["group"])
    tiers = None
    if tier_ids is not None:
        from tribu.memberships.models import Tier

        tiers = list(Tier.objects.filter(pk__in=tier_ids))
    event = actions.create_event(request.user, tiers=tiers, **values)
    return Status(201, _detail_out(request, queries.event_or_404(event.slug)))


@router.patch("/events/{slug}", response={200: EventDetailOut, 422: ErrorOut, **ERRORS}, summary="Change an event")
def update_event(request: HttpRequest, slug: str, payload: EventPatch) -> dict[str, Any]:
    event = _managed(request, slug)
    values = {k: v for k, v in payload.model_dump(exclude_unset=True).items()
              if v is not None or k in {"capacity", "registration_deadline"}}
    actions.update_event(request.user, event, values)
    return _detail_out(request, queries.event_or_404(slug))


@router.post("/events/{slug}/publish", response={200: EventDetailOut, 409: ErrorOut, **ERRORS},
             summary="Publish and announce a draft")
def publish_event(request: HttpRequest, slug: str) -> dict[str, Any]:
    event = _managed(request, slug)
    try:
        actions.publish_event(request.user, event)
    except ValidationError as error:
        raise ApiError(409, message=" ".join(error.messages)) from None
    return _detail_out(request, queries.event_or_404(slug))


@router.post("/events/{slug}/cancel", response={200: EventDetailOut, 409: ErrorOut, **ERRORS},
             summary="Cancel an event (every registrant is told)")
def cancel_event(request: HttpRequest, slug: str, payload: CancelIn) -> dict[str, Any]:
    event = _managed(request, slug)
    try:
        actions.cancel_event(request.user, event, payload.reason)
    except ValidationError as error:
        raise ApiError(409, message=" ".join(error.messages)) from None
    return _detail_out(request, queries.event_or_404(slug))


@router.get("/events/{slug}/ticket-types", response={200: list[TicketOut], **ERRORS}, auth=OPTIONAL_AUTH,
            summary="Ticket types")
def list_tickets(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    event = _viewable(request, slug)
    return [_ticket_out(t) for t in event.ticket_types.prefetch_related("required_tiers")]


@router.post("/events/{slug}/ticket-types", response={201: TicketOut, 422: ErrorOut, **ERRORS},
             summary="Add a ticket type")
def add_ticket(request: HttpRequest, slug: str, payload: TicketIn) -> Status[dict[str, Any]]:
    event = _managed(request, slug)
    from tribu.memberships.models import Tier

    values = payload.model_dump()
    tiers = list(Tier.objects.filter(pk__in=values.pop("tier_ids")))
    ticket = actions.save_ticket_type(request.user, TicketType(event=event, **values), tiers)
    return Status(201, _ticket_out(ticket))


@router.post(
    "/events/{slug}/registrations",
    response={201: RegistrationOut, 400: ErrorOut, 409: ErrorOut, 422: ErrorOut, **ERRORS},
    summary="Register (or join the waitlist)",
)
def register(request: HttpRequest, slug: str, payload: RegisterIn) -> Status[dict[str, Any]]:
    event = _viewable(request, slug)
    ticket = None
    if payload.ticket_type_id is not None:
        ticket = event.ticket_types.filter(pk=payload.ticket_type_id).first()
        if ticket is None:
            raise ValidationError({"ticket_type_id": [_("Choose a ticket type.")]})
    try:
        registration = actions.register(request.user, event, ticket_type=ticket, guests=payload.guests,
                                        answers=payload.answers)
    except actions.RegistrationRefused as refused:
        status = 409 if refused.code in {"already"} else 403 if refused.code in {"tier", "members_only", "group",
                                                                                  "ticket_tier"} else 400
        raise ApiError(status, refused.code, refused.messages[0]) from None
    registration = Registration.objects.select_related("event", "user", "payment").get(pk=registration.pk)
    return Status(201, _registration_out(registration))


@router.delete("/events/{slug}/registrations/me", response={204: None, 409: ErrorOut, **ERRORS},
               summary="Cancel my registration")
def unregister(request: HttpRequest, slug: str) -> Status[None]:
    event = _viewable(request, slug)
    registration = queries.my_registration(request.user, event)
    if registration is None:
        raise ApiError(404, message=_("You are not registered for this event."))
    try:
        actions.unregister(request.user, registration)
    except ValidationError as error:
        raise ApiError(409, message=" ".join(error.messages)) from None
    return Status(204, None)


@router.get("/events/{slug}/registrations", response={200: list[RegistrationOut], **ERRORS},
            summary="Registrations (organisers)")
def list_registrations(request: HttpRequest, slug: str, q: str = "", status: str = "") -> list[dict[str, Any]]:
    event = _managed(request, slug)
    rows = queries.attendees(event, q[:100], status).select_related("event", "payment")[:5000]
    return [_registration_out(r) for r in rows]


@router.post("/events/{slug}/check-ins", response={200: CheckInOut, 400: ErrorOut, 422: ErrorOut, **ERRORS},
             summary="Check someone in (by their code or registration id)")
def check_in(request: HttpRequest, slug: str, payload: CheckInIn) -> dict[str, Any]:
    event = _managed(request, slug)
    registration = None
    if payload.registration_id is not None:
        registration = Registration.objects.filter(pk=payload.registration_id, event=event).first()
        if registration is None:
            raise ApiError(404)
    try:
        row, done = actions.check_in(request.user, event, code=payload.code, registration=registration)
    except ValidationError as error:
        raise ApiError(400, error.code or "refused", " ".join(error.messages)) from None
    row = Registration.objects.select_related("event", "user", "payment").get(pk=row.pk)
    return {"registration": _registration_out(row), "checked_in_now": done}


@router.get("/me/registrations", response={200: list[RegistrationOut], **ERRORS}, summary="My registrations")
def my_registrations(request: HttpRequest) -> list[dict[str, Any]]:
    rows = Registration.objects.filter(user=request.user, status__in=["confirmed", "waitlisted", "pending_payment"]
                                       ).select_related("event", "user", "payment").order_by("event__starts_at")
    return [_registration_out(r) for r in rows[:1000]]


def _calendar_out(feed: Any) -> dict[str, Any]:
    url = settings.SITE_URL + reverse("events:feed", args=[feed.token])
    return {"url": url, "webcal_url": "webcal://" + url.split("://", 1)[1], "include_all": feed.include_all}


@router.get("/me/calendar", response={200: CalendarOut, **ERRORS}, summary="My private calendar feed")
def my_calendar(request: HttpRequest) -> dict[str, Any]:
    return _calendar_out(actions.calendar_feed(request.user))


@router.patch("/me/calendar", response={200: CalendarOut, **ERRORS}, summary="What my calendar feed holds")
def set_calendar(request: HttpRequest, payload: CalendarIn) -> dict[str, Any]:
    return _calendar_out(actions.set_calendar_scope(request.user, payload.include_all))


@router.post("/me/calendar/revoke", response={200: CalendarOut, **ERRORS},
             summary="A new calendar address (the old one stops working)")
def revoke_calendar(request: HttpRequest) -> dict[str, Any]:
    return _calendar_out(actions.revoke_calendar_feed(request.user))

