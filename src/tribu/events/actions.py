"""Every write about events: events and series, ticket types, registrations with a strict capacity
and a waitlist, check-in and walk-ins, feedback, resources, calendar feeds.

Seats are counted under a lock on the event row (``select_for_update``; on SQLite the settings open
every transaction with ``BEGIN IMMEDIATE``, which serialises writers), and the database refuses
``seats_taken > capacity`` whatever happens. Emails and notifications leave after the commit.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tribu.core.activity import record
from tribu.search.indexing import index_later

from . import policies
from .models import (
    LIVE_STATUSES,
    SEAT_STATUSES,
    AgendaItem,
    Audience,
    CalendarFeed,
    Event,
    EventFormat,
    EventStatus,
    Feedback,
    Question,
    Recurrence,
    Registration,
    RegistrationStatus,
    Resource,
    Series,
    Speaker,
    TicketType,
    new_token,
)

JITSI = "https://meet.jit.si/"
EVENT_FIELDS = (
    "title", "summary", "description", "kind", "format", "group", "venue", "address", "online_url", "starts_at",
    "ends_at", "time_zone", "capacity", "registration_deadline", "audience", "max_guests", "restriction_mode",
    "organiser", "cover",
)
# A change to one of these is announced to every registrant.
NOTIFIED_FIELDS = {"starts_at", "ends_at", "venue", "address", "online_url", "format"}


class RegistrationRefused(ValidationError):
    """A clear, translated refusal (``code`` says why: already, deadline, tier, full, ...)."""


def refusal_message(code: str) -> str:
    return {
        "login": _("Log in to register."),
        "not_open": _("Registration is not open for this event."),
        "hidden": _("This event does not exist or is not visible to you."),
        "members_only": _("This event is reserved for members."),
        "tier": _("This event is reserved for some membership tiers."),
        "group": _("This event is reserved for the members of its group."),
        "deadline": _("Registration for this event is closed: the deadline has passed."),
        "already": _("You are already registered for this event."),
        "ticket_sold_out": _("There is no ticket of this type left."),
        "ticket_tier": _("This ticket is reserved for some membership tiers."),
        "guests": _("Too many guests for this event."),
        "full": _("The event is full."),
    }.get(code, _("You cannot register for this event."))


def refuse(code: str) -> RegistrationRefused:
    return RegistrationRefused(refusal_message(code), code=code)


def jitsi_url() -> str:
    return JITSI + "Tribu-" + secrets.token_urlsafe(12).replace("-", "").replace("_", "")


def unique_slug(title: str, starts_at: datetime, exclude_pk: int | None = None) -> str:
    base = (slugify(title) or "evenement")[:180].strip("-") or "evenement"
    base = f"{base}-{timezone.localtime(starts_at).date().isoformat()}"
    slug, n = base, 2
    taken = Event.objects.exclude(pk=exclude_pk)
    while taken.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


# ---------------------------------------------------------------- images


def reencoded_image(upload: Any, *, max_side: int = 1600) -> Any:
    """An uploaded cover or speaker photo checked like profile photos (a real JPEG, PNG, GIF or WebP,
    size and pixel limits) and re-encoded: metadata such as a GPS position is dropped."""
    import io
    import uuid

    from django.core.files.base import ContentFile
    from PIL import Image, ImageOps

    from tribu.accounts.images import ImageRefused, open_image

    try:
        image = ImageOps.exif_transpose(open_image(upload))
    except ImageRefused as error:
        raise ValidationError(str(error), code="image") from None
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if image.mode in ("RGBA", "LA", "P"):
        image.convert("RGBA").save(out, format="PNG", optimize=True)
        extension = "png"
    else:
        image.convert("RGB").save(out, format="JPEG", quality=86, optimize=True)
        extension = "jpg"
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")


# ---------------------------------------------------------------- events


def _clean_event(event: Event, tiers: list[Any] | None) -> None:
    errors: dict[str, list[str]] = {}
    event.title = " ".join((event.title or "").split())
    if not event.title:
        errors["title"] = [_("Give the event a title.")]
    if event.starts_at and event.ends_at and event.ends_at <= event.starts_at:
        errors["ends_at"] = [_("The end must come after the start.")]
    if event.registration_deadline and event.ends_at and event.registration_deadline > event.ends_at:
        errors["registration_deadline"] = [_("The registration deadline must come before the end of the event.")]
    if event.capacity is not None and event.capacity < event.seats_taken:
        errors["capacity"] = [
            ngettext("%(n)d seat is already taken: the capacity cannot be lower.",
                     "%(n)d seats are already taken: the capacity cannot be lower.", event.seats_taken)
            % {"n": event.seats_taken}
        ]
    if event.format == EventFormat.IN_PERSON:
        event.online_url = event.online_url or ""
    elif not event.online_url:
        event.online_url = jitsi_url()
    if event.audience == Audience.GROUP and not event.group_id:
        errors["audience"] = [_("Choose a group for an event reserved for its members.")]
    if event.audience == Audience.TIERS and tiers is not None and not tiers:
        errors["required_tiers"] = [_("Choose the tiers that may register.")]
    try:
        event.full_clean(exclude=["slug", "cover", "group", "organiser", "series", "online_url", *errors.keys()])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _check_group(actor: Any, group: Any) -> None:
    from tribu.accounts.models import Role
    from tribu.core.policies import is_team

    if group is None:
        if getattr(actor, "role", None) not in {Role.ADMIN, Role.STAFF, Role.ANIMATOR}:
            raise PermissionDenied(_("Only the team and animators create community-wide events."))
        return

    if is_team(actor):
        return
    if not policies.leads_group(actor, group):
        raise PermissionDenied(_("Only the group's animators may create its events."))


def create_event(actor: Any, *, tiers: list[Any] | None = None, **values: Any) -> Event:
    if not policies.can_create_events(actor):
        raise PermissionDenied
    _check_group(actor, values.get("group"))
    values = dict(values)
    if values.get("cover") is not None and hasattr(values["cover"], "read"):
        values["cover"] = reencoded_image(values["cover"])
    elif "cover" in values and not values["cover"]:
        values.pop("cover")
    event = Event(**{k: v for k, v in values.items() if k in EVENT_FIELDS})
    if event.organiser_id is None:
        event.organiser = actor
    _clean_event(event, tiers)
    with transaction.atomic():
        event.slug = unique_slug(event.title, event.starts_at)
        event.save()
        if tiers is not None:
            event.required_tiers.set(tiers)
        record(actor, "event.created", event, event.group_id, title=event.title)
        index_later(event)
    return event


def update_event(actor: Any, event: Event, values: dict[str, Any], *, tiers: list[Any] | None = None) -> list[str]:
    """Change these fields; returns what changed. Registrants hear about a new time or place."""
    if not policies.can_edit(actor, event):
        raise PermissionDenied
    if "group" in values and values["group"] != event.group:
        _check_group(actor, values["group"])
    changed = []
    for field, value in values.items():
        if field not in EVENT_FIELDS:
            continue
        if field == "cover":
            if value is None or value is False:
                if event.cover:
                    event.cover = ""
                    changed.append(field)
            elif hasattr(value, "read"):
                event.cover = reencoded_image(value)
                changed.append(field)
            continue
        if getattr(event, field) != value:
            setattr(event, field, value)
            changed.append(field)
    current_tiers = set(event.required_tiers.values_list("pk", flat=True))
    tiers_changed = tiers is not None and {t.pk for t in tiers} != current_tiers
    if not changed and not tiers_changed:
        return []
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        event.seats_taken = locked.seats_taken
        _clean_event(event, tiers if tiers is not None else list(event.required_tiers.all()))
        if "format" in changed or "online_url" in values:
            changed = sorted(set(changed) | {"online_url"})
        event.save(update_fields=[*changed, "updated_at"] if changed else ["updated_at"])
        if tiers_changed:
            event.required_tiers.set(tiers)
            changed.append("required_tiers")
        record(actor, "event.updated", event, event.group_id, title=event.title, fields=changed)
        index_later(event)
        if event.status == EventStatus.PUBLISHED and NOTIFIED_FIELDS & set(changed):
            _tell_registrants(actor, event, "changed")
        if "capacity" in changed:
            _promote(event)
    return changed


def publish_event(actor: Any, event: Event, *, announce: bool = True, segment: Any = None) -> Event:
    """Publish a draft and announce it to everyone who may attend — or, with ``segment`` (the team's
    saved audiences), to the members of that segment who may attend."""
    if not policies.can_edit(actor, event):
        raise PermissionDenied
    if segment is not None and not policies.can_announce_to_segments(actor):
        raise PermissionDenied
    if event.status != EventStatus.DRAFT:
        raise ValidationError(_("Only a draft can be published."), code="not_draft")
    with transaction.atomic():
        updated = Event.objects.filter(pk=event.pk, status=EventStatus.DRAFT).update(
            status=EventStatus.PUBLISHED, updated_at=timezone.now()
        )
        if not updated:
            raise ValidationError(_("Only a draft can be published."), code="not_draft")
        event.status = EventStatus.PUBLISHED
        activity = record(actor, "event.published", event, event.group_id, title=event.title)
        index_later(event)
        if announce:
            _announce(actor, event, activity, segment)
    return event


def cancel_event(actor: Any, event: Event, reason: str = "") -> Event:
    if not policies.can_edit(actor, event):
        raise PermissionDenied
    if event.status == EventStatus.CANCELLED:
        raise ValidationError(_("This event is already cancelled."), code="cancelled")
    with transaction.atomic():
        Event.objects.filter(pk=event.pk).update(
            status=EventStatus.CANCELLED, cancelled_at=timezone.now(), updated_at=timezone.now()
        )
        event.refresh_from_db()
        record(actor, "event.cancelled", event, event.group_id, title=event.title, reason=reason[:500])
        index_later(event)
        _tell_registrants(actor, event, "cancelled", reason=reason[:500])
    return event


def _audience_users(event: Event) -> list[Any]:
    from tribu.accounts.models import Role, User

    users = User.objects.filter(is_active=True)
    if event.group_id:
        users = users.filter(group_memberships__group_id=event.group_id)
    if event.audience == Audience.MEMBERS:
        users = users.exclude(role=Role.GUEST)
    if event.audience == Audience.TIERS:
        from tribu.memberships.access import effective_tier_ids_many

        tier_ids = set(event.required_tiers.values_list("pk", flat=True))
        candidates = list(users)
        held = effective_tier_ids_many([u.pk for u in candidates])
        return [u for u in candidates if held.get(u.pk, set()) & tier_ids or u.role in {Role.ADMIN, Role.STAFF}]
    return list(users)


def _announce(actor: Any, event: Event, activity: Any, segment: Any = None) -> None:
    from tribu.core.notifications.actions import notify

    from .notifications import ANNOUNCED

    users = _audience_users(event)
    if segment is not None:
        from tribu.segments.queries import members_of

        wanted = set(members_of(segment).values_list("pk", flat=True))
        users = [u for u in users if u.pk in wanted]
    notify(users, ANNOUNCED.code, actor=actor, activity=activity,
           url=f"/events/{event.slug}/", title=event.title)


def _tell_registrants(actor: Any, event: Event, what: str, reason: str = "") -> None:
    """Notification and email to every live registrant (after the commit)."""
    from tribu.core.notifications.actions import notify

    from .notifications import CHANGED
    from .tasks import send_registration_email

    rows = list(
        Registration.objects.filter(event=event, status__in=LIVE_STATUSES, user__isnull=False).select_related("user")
    )
    notify([r.user for r in rows], CHANGED.code, actor=actor, url=f"/events/{event.slug}/",
           title=event.title, event=what)
    template = "cancelled" if what == "cancelled" else "changed"
    for row in rows:
        transaction.on_commit(
            lambda pk=row.pk: send_registration_email.enqueue(registration_id=pk, template=template, reason=reason)
        )


# ---------------------------------------------------------------- series


def create_series(actor: Any, *, recurrence: str, count: int = 0, dates: list[datetime] | None = None,
                  tiers: list[Any] | None = None, **values: Any) -> Series:
    """Occurrences every week or month (``count`` of them) or on custom ``dates`` (start times):
    each is an event of its own, with the first one's duration."""
    if not policies.can_create_events(actor):
        raise PermissionDenied
    start, end = values["starts_at"], values["ends_at"]
    if recurrence == Recurrence.CUSTOM:
        starts = sorted(dates or [])
    else:
        if not 1 <= count <= 52:
            raise ValidationError({"count": [_("Choose between 1 and 52 occurrences.")]})
        starts = []
        local = timezone.localtime(start)
        for i in range(count):
            if recurrence == Recurrence.WEEKLY:
                starts.append(start + timedelta(weeks=i))
            else:
                month = local.month - 1 + i
                year, month = local.year + month // 12, month % 12 + 1
                try:
                    starts.append(local.replace(year=year, month=month))
                except ValueError:  # the 31st in a short month: skip it
                    continue
    if not starts:
        raise ValidationError({"dates": [_("Give at least one date.")]})
    duration = end - start
    with transaction.atomic():
        series = Series.objects.create(title=values.get("title", ""), recurrence=recurrence, created_by=actor)
        deadline_offset = (start - values["registration_deadline"]) if values.get("registration_deadline") else None
        for occurrence in starts:
            event = create_event(
                actor, tiers=tiers,
                **{**values, "starts_at": occurrence, "ends_at": occurrence + duration,
                   "registration_deadline": occurrence - deadline_offset if deadline_offset else None},
            )
            event.series = series
            event.save(update_fields=["series"])
        record(actor, "event.series_created", series, values.get("group"), title=series.title, count=len(starts))
    return series


# ---------------------------------------------------------------- programme: speakers, agenda, tickets, questions


def _require_edit(actor: Any, event: Event) -> None:
    if not policies.can_edit(actor, event):
        raise PermissionDenied


def add_speaker(
    actor: Any, event: Event, *, user: Any = None, name: str = "", bio: str = "", photo: Any = None
) -> Speaker:
    _require_edit(actor, event)
    if user is None and not name.strip():
        raise ValidationError({"name": [_("Choose a member or give the guest speaker's name.")]})
    speaker = Speaker(event=event, user=user, name=name.strip(), bio=bio, position=event.speakers.count())
    if photo is not None:
        speaker.photo = reencoded_image(photo, max_side=600)
    speaker.save()
    return speaker


def add_agenda_item(actor: Any, event: Event, *, starts_at: datetime, title: str, description: str = "") -> AgendaItem:
    _require_edit(actor, event)
    if not title.strip():
        raise ValidationError({"title": [_("Give the item a title.")]})
    if not event.starts_at - timedelta(hours=12) <= starts_at <= event.ends_at:
        raise ValidationError({"starts_at": [_("The time must fall during the event.")]})
    return AgendaItem.objects.create(event=event, starts_at=starts_at, title=title.strip(), description=description)


def save_ticket_type(actor: Any, ticket: TicketType, tiers: list[Any] | None = None) -> TicketType:
    _require_edit(actor, ticket.event)
    if not (ticket.name or "").strip():
        raise ValidationError({"name": [_("Name the ticket type.")]})
    if ticket.quantity is not None and ticket.pk and ticket.quantity < ticket.sold:
        raise ValidationError({"quantity": [_("%(n)d tickets are already taken: the quantity cannot be lower.")
                                            % {"n": ticket.sold}]})
    with transaction.atomic():
        ticket.save()
        if tiers is not None:
            ticket.required_tiers.set(tiers)
    return ticket


def add_question(actor: Any, event: Event, *, kind: str, label_fr: str, label_en: str = "", required: bool = False,
                 choices: list[dict[str, str]] | None = None) -> Question:
    from tribu.accounts.models import CustomFieldKind

    _require_edit(actor, event)
    if kind not in CustomFieldKind.values or kind == CustomFieldKind.FILE:
        raise ValidationError({"kind": [_("Choose a type of question.")]})
    if not (label_fr.strip() or label_en.strip()):
        raise ValidationError({"label_fr": [_("Write the question.")]})
    key = slugify(label_en or label_fr)[:50] or "question"
    base, n = key, 2
    while event.questions.filter(key=key).exists():
        key, n = f"{base}-{n}", n + 1
    return Question.objects.create(event=event, key=key, kind=kind, label_fr=label_fr.strip(),
                                   label_en=label_en.strip(), required=required, choices=choices or [],
                                   position=event.questions.count())


def add_resource(actor: Any, event: Event, *, title: str, kind: str, url: str = "", file: Any = None) -> Resource:
    _require_edit(actor, event)
    if not title.strip():
        raise ValidationError({"title": [_("Give the resource a title.")]})
    if not url and file is None:
        raise ValidationError({"url": [_("Give a link or a file.")]})
    if file is not None:
        from tribu.accounts.custom_fields import validate_upload

        validate_upload(file)
    resource = Resource(event=event, title=title.strip(), kind=kind, url=url)
    if file is not None:
        resource.file = file
    resource.full_clean(exclude=["file"])
    with transaction.atomic():
        resource.save()
        record(actor, "event.resource_added", event, event.group_id, title=event.title, resource=resource.title)
    return resource


PROGRAMME_ITEMS = {"speaker": Speaker, "agenda": AgendaItem, "ticket": TicketType, "question": Question,
                   "resource": Resource}


def remove_programme_item(actor: Any, event: Event, kind: str, pk: int) -> None:
    """Remove a speaker, agenda item, ticket type (none taken yet), question or resource."""
    _require_edit(actor, event)
    model = PROGRAMME_ITEMS.get(kind)
    item = model.objects.filter(event=event, pk=pk).first() if model else None
    if item is None:
        raise ValidationError(_("This item does not exist."), code="unknown")
    if kind == "ticket" and item.registrations.exists():
        raise ValidationError(_("People registered with this ticket type: it cannot be removed."), code="in_use")
    item.delete()


# ---------------------------------------------------------------- registration


def clean_answers(event: Event, raw: dict[str, Any]) -> dict[str, Any]:
    from tribu.accounts.custom_fields import clean_value

    errors: dict[str, list[str]] = {}
    answers: dict[str, Any] = {}
    for question in event.questions.all():
        try:
            value = clean_value(question, raw.get(question.key), required=question.required)
        except ValidationError as error:
            errors[f"q_{question.key}"] = list(error.messages)
            continue
        if value is not None:
            answers[question.key] = value
    if errors:
        raise ValidationError(errors)
    return answers


def _is_member(user: Any) -> bool:
    from tribu.memberships.access import effective_tier_ids

    return bool(effective_tier_ids(user))


def _ticket_allowed(user: Any, ticket: TicketType) -> bool:
    from tribu.memberships.access import Access, decide

    return decide(user, ticket) == Access.ALLOWED


def register(actor: Any, event: Event, *, ticket_type: TicketType | None = None, guests: int = 0,
             answers: dict[str, Any] | None = None, now: datetime | None = None) -> Registration:
    """Take a seat (confirmed, or awaiting payment for a paid ticket) or, when the event is full, a
    place on the waitlist. Refusals are ``RegistrationRefused`` with a clear message."""
    now = now or timezone.now()
    code = policies.registration_refusal(actor, event)
    if code == "hidden":
        raise PermissionDenied(refusal_message(code))
    if code:
        raise refuse(code)
    if now > event.deadline():
        raise refuse("deadline")
    if guests < 0 or guests > event.max_guests:
        raise refuse("guests")
    tickets = list(event.ticket_types.prefetch_related("required_tiers"))
    if ticket_type is None and tickets:
        allowed = [t for t in tickets if _ticket_allowed(actor, t)]
        if len(allowed) != 1:
            raise ValidationError({"ticket_type": [_("Choose a ticket type.")]})
        ticket_type = allowed[0]
    if ticket_type is not None:
        if ticket_type.event_id != event.pk:
            raise ValidationError({"ticket_type": [_("Choose a ticket type.")]})
        if not _ticket_allowed(actor, ticket_type):
            raise refuse("ticket_tier")
    clean = clean_answers(event, answers or {})
    price = ticket_type.price_for(_is_member(actor)) * (1 + guests) if ticket_type else 0
    seats = 1 + guests
    try:
        with transaction.atomic():
            locked = Event.objects.select_for_update().get(pk=event.pk)
            if locked.status != EventStatus.PUBLISHED:
                raise refuse("not_open")
            if Registration.objects.filter(event=locked, user=actor, status__in=LIVE_STATUSES).exists():
                raise refuse("already")
            room = locked.capacity is None or locked.seats_taken + seats <= locked.capacity
            if room and ticket_type is not None and ticket_type.quantity is not None:
                room = bool(TicketType.objects.filter(pk=ticket_type.pk, sold__lte=F("quantity") - seats)
                            .update(sold=F("sold") + seats))
                if not room and locked.capacity is None:
                    raise refuse("ticket_sold_out")
            elif room and ticket_type is not None:
                TicketType.objects.filter(pk=ticket_type.pk).update(sold=F("sold") + seats)
            if room:
                status = RegistrationStatus.PENDING_PAYMENT if price else RegistrationStatus.CONFIRMED
                Event.objects.filter(pk=locked.pk).update(seats_taken=F("seats_taken") + seats)
            else:
                status = RegistrationStatus.WAITLISTED
            registration = Registration.objects.create(
                event=locked, user=actor, ticket_type=ticket_type, status=status, guests=guests, price_cents=price,
                currency=ticket_type.currency if ticket_type else "EUR", answers=clean,
            )
            if status == RegistrationStatus.PENDING_PAYMENT:
                _create_payment(registration)
            record(actor, "event.registered" if room else "event.waitlisted", locked, locked.group_id,
                   title=locked.title, registration=registration.pk)
            _email_on_commit(registration, "confirmed" if status == RegistrationStatus.CONFIRMED else status)
    except IntegrityError:
        # Two requests of the same member at once: the unique constraint let one through.
        raise refuse("already") from None
    event.seats_taken = Event.objects.values_list("seats_taken", flat=True).get(pk=event.pk)
    return registration


def _email_on_commit(registration: Registration, template: str) -> None:
    if registration.user_id is None and not registration.email:
        return
    from .tasks import send_registration_email

    pk = registration.pk
    transaction.on_commit(lambda: send_registration_email.enqueue(registration_id=pk, template=template))


def _create_payment(registration: Registration) -> None:
    """A pending payment for a paid ticket (purpose "event"); the member pays by the offline
    instructions shown on their ticket, or online when the payments app offers it. The job
    ``events.payments`` confirms the seat once the payment is marked paid."""
    from tribu.payments.models import Payment, PaymentMethod, PaymentPurpose

    payment = Payment.objects.create(
        reference="EV-" + secrets.token_hex(6).upper(),
        purpose=PaymentPurpose.EVENT,
        user=registration.user,
        description=registration.event.title[:200],
        amount_cents=registration.price_cents,
        currency=registration.currency,
        method=PaymentMethod.TRANSFER,
    )
    Registration.objects.filter(pk=registration.pk).update(payment=payment)
    registration.payment = payment


def card_checkout_url(actor: Any, registration: Registration, *, success_url: str, cancel_url: str) -> str:
    """The Stripe Checkout page of a ticket awaiting payment (through the payments app's gateway; its
    webhook marks the payment paid by its reference, and ``settle_payments`` then confirms the seat).
    Raises ``ValidationError`` when online payment is not available."""
    from tribu.payments import gateway
    from tribu.payments.actions import open_card_checkout
    from tribu.payments.models import PaymentStatus

    if registration.user_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if not gateway.is_configured():
        raise ValidationError(_("Online payment is not available: pay by bank transfer."), code="no_card")
    payment = registration.payment
    if registration.status != RegistrationStatus.PENDING_PAYMENT or payment is None \
            or payment.status != PaymentStatus.PENDING:
        raise ValidationError(_("This ticket is not awaiting payment."), code="not_pending")
    try:
        payment = open_card_checkout(payment, name=registration.event.title[:250], success_url=success_url,
                                     cancel_url=cancel_url, email=actor.email,
                                     metadata={"registration_id": str(registration.pk)})
    except gateway.StripeUnavailable:
        raise ValidationError(_("Online payment is not available right now: try again later or pay by bank "
                                "transfer."), code="stripe_down") from None
    return payment.checkout_url


def _release(registration: Registration) -> None:
    """Give back the seats of a registration that held some (call with the event row locked)."""
    if registration.status in SEAT_STATUSES:
        Event.objects.filter(pk=registration.event_id).update(seats_taken=F("seats_taken") - registration.seats)
        if registration.ticket_type_id:
            TicketType.objects.filter(pk=registration.ticket_type_id).update(sold=F("sold") - registration.seats)


def unregister(actor: Any, registration: Registration, *, now: datetime | None = None) -> Registration:
    """Cancel a registration (its member, or those who manage the event); the seat goes to the next
    person on the waitlist, until the deadline."""
    event = registration.event
    if registration.user_id != getattr(actor, "pk", None) and not policies.can_manage(actor, event):
        raise PermissionDenied
    with transaction.atomic():
        Event.objects.select_for_update().get(pk=event.pk)
        current = Registration.objects.select_for_update().get(pk=registration.pk)
        if current.status == RegistrationStatus.CANCELLED:
            raise ValidationError(_("This registration is already cancelled."), code="cancelled")
        if current.checked_in_at:
            raise ValidationError(_("This person has already checked in."), code="checked_in")
        _release(current)
        current.status = RegistrationStatus.CANCELLED
        current.cancelled_at = timezone.now()
        current.save(update_fields=["status", "cancelled_at"])
        record(actor, "event.unregistered", event, event.group_id, title=event.title, registration=current.pk)
        _promote(event, now=now)
    return current


def _promote(event: Event, now: datetime | None = None) -> list[Registration]:
    """Seat the waitlist, first come first served, while seats are free and the deadline has not
    passed (call inside a transaction). Each promoted person gets an email."""
    now = now or timezone.now()
    locked = Event.objects.select_for_update().get(pk=event.pk)
    if locked.status != EventStatus.PUBLISHED or now > locked.deadline():
        return []
    promoted = []
    free = None if locked.capacity is None else locked.capacity - locked.seats_taken
    for waiting in Registration.objects.filter(event=locked, status=RegistrationStatus.WAITLISTED).select_related(
        "ticket_type"
    ).order_by("created_at", "id"):
        if free is not None and free <= 0:
            break
        if free is not None and waiting.seats > free:
            continue
        if waiting.ticket_type_id and waiting.ticket_type.quantity is not None:
            if not TicketType.objects.filter(pk=waiting.ticket_type_id, sold__lte=F("quantity") - waiting.seats).update(
                sold=F("sold") + waiting.seats
            ):
                continue
        elif waiting.ticket_type_id:
            TicketType.objects.filter(pk=waiting.ticket_type_id).update(sold=F("sold") + waiting.seats)
        Event.objects.filter(pk=locked.pk).update(seats_taken=F("seats_taken") + waiting.seats)
        waiting.status = RegistrationStatus.PENDING_PAYMENT if waiting.price_cents else RegistrationStatus.CONFIRMED
        waiting.promoted_at = now
        waiting.save(update_fields=["status", "promoted_at"])
        if waiting.status == RegistrationStatus.PENDING_PAYMENT:
            _create_payment(waiting)
        record(None, "event.promoted", locked, locked.group_id, title=locked.title, registration=waiting.pk,
               member=waiting.person_name)
        _email_on_commit(waiting, "promoted")
        promoted.append(waiting)
        if free is not None:
            free -= waiting.seats
    return promoted


def settle_payments() -> dict[str, int]:
    """Registrations awaiting payment: confirmed once their payment is paid, released when it failed
    or was cancelled (the next person on the waitlist gets the seat). Driven by database state."""
    from tribu.payments.models import PaymentStatus

    counts = {"confirmed": 0, "released": 0}
    waiting = Registration.objects.filter(status=RegistrationStatus.PENDING_PAYMENT, payment__isnull=False)
    for reg in waiting.filter(payment__status=PaymentStatus.SUCCEEDED).only("pk"):
        with transaction.atomic():
            if Registration.objects.filter(pk=reg.pk, status=RegistrationStatus.PENDING_PAYMENT).update(
                status=RegistrationStatus.CONFIRMED
            ):
                row = Registration.objects.select_related("event").get(pk=reg.pk)
                record(row.user, "event.paid", row.event, row.event.group_id, title=row.event.title)
                _email_on_commit(row, "confirmed")
                counts["confirmed"] += 1
    for reg in waiting.filter(payment__status__in=[PaymentStatus.FAILED, PaymentStatus.CANCELLED]).select_related(
        "event"
    ):
        with transaction.atomic():
            Event.objects.select_for_update().get(pk=reg.event_id)
            current = Registration.objects.select_for_update().get(pk=reg.pk)
            if current.status != RegistrationStatus.PENDING_PAYMENT:
                continue
            _release(current)
            current.status = RegistrationStatus.CANCELLED
            current.cancelled_at = timezone.now()
            current.save(update_fields=["status", "cancelled_at"])
            _promote(reg.event)
            counts["released"] += 1
    return counts


# ---------------------------------------------------------------- the day itself


def check_in(
    actor: Any, event: Event, *, code: str = "", registration: Registration | None = None
) -> tuple[Registration, bool]:
    """Mark a confirmed registrant present (by their confirmation code or by ticking their name).
    Returns the registration and whether this call checked them in (False: already there)."""
    if not policies.can_check_in(actor, event):
        raise PermissionDenied
    rows = Registration.objects.filter(event=event)
    row = registration if registration is not None else rows.filter(code=(code or "").strip()).first()
    if row is None or row.event_id != event.pk:
        raise ValidationError(_("No registration of this event has this code."), code="unknown_code")
    if row.status != RegistrationStatus.CONFIRMED:
        raise ValidationError(
            _("%(name)s is not confirmed (%(status)s).")
            % {"name": row.person_name, "status": row.get_status_display()},
            code="not_confirmed",
        )
    with transaction.atomic():
        done = Registration.objects.filter(pk=row.pk, checked_in_at__isnull=True).update(
            checked_in_at=timezone.now(), checked_in_by=actor
        )
        row.refresh_from_db()
        if done:
            record(row.user, "event.attended", event, event.group_id, title=event.title, registration=row.pk,
                   by=actor.pk)
    return row, bool(done)


def undo_check_in(actor: Any, registration: Registration) -> None:
    if not policies.can_check_in(actor, registration.event):
        raise PermissionDenied
    Registration.objects.filter(pk=registration.pk).update(checked_in_at=None, checked_in_by=None)


def add_walk_in(actor: Any, event: Event, *, name: str = "", email: str = "", user: Any = None) -> Registration:
    """Someone who turns up without a registration: confirmed and checked in at once (a seat is
    still needed — raise the capacity when the room allows more)."""
    if not policies.can_check_in(actor, event):
        raise PermissionDenied
    name = " ".join((name or "").split())
    if user is None and not name:
        raise ValidationError({"name": [_("Give the person's name.")]})
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        if user is not None:
            existing = Registration.objects.filter(event=locked, user=user, status__in=LIVE_STATUSES).first()
            if existing is not None and existing.status == RegistrationStatus.CONFIRMED:
                return check_in(actor, event, registration=existing)[0]
            if existing is not None:
                _release(existing)
                existing.status = RegistrationStatus.CANCELLED
                existing.save(update_fields=["status"])
        if locked.capacity is not None and locked.seats_taken + 1 > locked.capacity:
            raise ValidationError(_("The event is full: raise its capacity to let this person in."), code="full")
        Event.objects.filter(pk=locked.pk).update(seats_taken=F("seats_taken") + 1)
        row = Registration.objects.create(
            event=locked, user=user, name="" if user else name[:160], email="" if user else email,
            status=RegistrationStatus.CONFIRMED, walk_in=True, checked_in_at=timezone.now(), checked_in_by=actor,
        )
        record(user, "event.attended", locked, locked.group_id, title=locked.title, registration=row.pk,
               by=actor.pk, walk_in=True)
    return row


def submit_feedback(actor: Any, registration: Registration, *, rating: int, comment: str = "") -> Feedback:
    if registration.user_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if registration.status != RegistrationStatus.CONFIRMED or registration.event.ends_at > timezone.now():
        raise ValidationError(_("Feedback opens once you have attended the event."), code="not_yet")
    if not 1 <= int(rating) <= 5:
        raise ValidationError({"rating": [_("Choose a rating from 1 to 5.")]})
    with transaction.atomic():
        feedback, created = Feedback.objects.update_or_create(
            registration=registration, defaults={"rating": int(rating), "comment": (comment or "")[:5000]}
        )
        if created:
            event = registration.event
            record(actor, "event.feedback", event, event.group_id, title=event.title, rating=int(rating))
    return feedback


# ---------------------------------------------------------------- calendar feed


def calendar_feed(user: Any) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


def revoke_calendar_feed(user: Any) -> CalendarFeed:
    """A new secret address: the old one stops working at once."""
    with transaction.atomic():
        feed = calendar_feed(user)
        feed.token = new_token()
        feed.save(update_fields=["token"])
        record(user, "event.calendar_revoked", None)
    return feed


def set_calendar_scope(user: Any, include_all: bool) -> CalendarFeed:
    feed = calendar_feed(user)
    if feed.include_all != include_all:
        feed.include_all = include_all
        feed.save(update_fields=["include_all"])
    return feed
