"""Events: the community's rituals (afterworks, conferences, webinars, workshops), their tickets,
registrations with a strict capacity and a waitlist, check-in, reminders, feedback and calendar feeds.

Invariants held by the database, not only by Python:
- ``Event.seats_taken <= capacity`` (a check constraint: even a bug cannot overbook);
- ``TicketType.sold <= quantity``;
- one live registration (confirmed, waitlisted, awaiting payment) per member and event;
- one reminder of each kind per registration (the reminder job inserts first, then sends).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tribu.memberships.models import TierRestricted


def new_code() -> str:
    return secrets.token_urlsafe(12)


def new_token() -> str:
    return secrets.token_urlsafe(24)


class EventFormat(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")
    HYBRID = "hybrid", _("Hybrid")


class EventKind(models.TextChoices):
    MEETUP = "meetup", _("Meetup")
    AFTERWORK = "afterwork", _("Afterwork")
    CONFERENCE = "conference", _("Conference")
    WEBINAR = "webinar", _("Webinar")
    WORKSHOP = "workshop", _("Workshop")
    AMA = "ama", _("Ask me anything")
    OTHER = "other", _("Other")


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("Everyone (public page, any account may register)")
    MEMBERS = "members", _("Members (not guests)")
    TIERS = "tiers", _("Some membership tiers")
    GROUP = "group", _("Members of the group")


class Recurrence(models.TextChoices):
    WEEKLY = "weekly", _("Every week")
    MONTHLY = "monthly", _("Every month")
    CUSTOM = "custom", _("Custom dates")


class Series(models.Model):
    """Recurring events: each occurrence is an ``Event`` of its own (changed or cancelled alone)."""

    title = models.CharField(_("title"), max_length=200)
    recurrence = models.CharField(_("repeats"), max_length=10, choices=Recurrence.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("series")
        verbose_name_plural = _("series")

    def __str__(self) -> str:
        return self.title


class Event(TierRestricted):
    slug = models.SlugField(_("address"), max_length=220, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    cover = models.ImageField(_("cover image"), upload_to="events/covers/", blank=True)
    kind = models.CharField(_("type"), max_length=16, choices=EventKind.choices, default=EventKind.MEETUP)
    format = models.CharField(_("format"), max_length=16, choices=EventFormat.choices, default=EventFormat.IN_PERSON)
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="events",
        verbose_name=_("group"),
    )
    series = models.ForeignKey(Series, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    online_url = models.URLField(_("video-conference link"), max_length=500, blank=True,
                                 help_text=_("Shown to registered people only."))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    time_zone = models.CharField(_("time zone"), max_length=64, default=settings.TIME_ZONE)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True, help_text=_("Empty: no limit."))
    registration_deadline = models.DateTimeField(
        _("registration deadline"), null=True, blank=True, help_text=_("Empty: until the event starts.")
    )
    audience = models.CharField(_("who may register"), max_length=10, choices=Audience.choices,
                                default=Audience.EVERYONE)
    max_guests = models.PositiveSmallIntegerField(_("guests per registration (+1)"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=EventStatus.choices, default=EventStatus.DRAFT)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="organised_events",
        verbose_name=_("organiser"),
    )
    partners = models.ManyToManyField("companies.Company", blank=True, related_name="events",
                                      verbose_name=_("partners"))
    # Seats held by confirmed registrations and those awaiting payment (guests included).
    seats_taken = models.PositiveIntegerField(default=0)
    feedback_requested_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="events_end_after_start",
                violation_error_message=_("The end must come after the start."),
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(seats_taken__lte=F("capacity")), name="events_no_overbooking",
                violation_error_message=_("The capacity cannot be lower than the seats already taken."),
            ),
            models.CheckConstraint(condition=Q(status__in=[s.value for s in EventStatus]), name="events_status_valid"),
            models.CheckConstraint(condition=Q(format__in=[s.value for s in EventFormat]), name="events_format_valid"),
            models.CheckConstraint(condition=Q(audience__in=[s.value for s in Audience]), name="events_audience_valid"),
        ]
        indexes = [
            models.Index(fields=["status", "starts_at"], name="event_status_start"),
            models.Index(fields=["group", "starts_at"], name="event_group_start"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def seats_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(0, self.capacity - self.seats_taken)

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED

    def deadline(self):
        return self.registration_deadline or self.starts_at

    @property
    def has_place(self) -> bool:
        return self.format in {EventFormat.IN_PERSON, EventFormat.HYBRID}

    @property
    def has_link(self) -> bool:
        return self.format in {EventFormat.ONLINE, EventFormat.HYBRID}


class Speaker(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="speakers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("member"))
    name = models.CharField(_("name"), max_length=160, blank=True, help_text=_("For a guest speaker."))
    bio = models.TextField(_("bio"), blank=True)
    photo = models.ImageField(_("photo"), upload_to="events/speakers/", blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.user_id and not self.name:
            return self.user.name
        return self.name


class AgendaItem(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="agenda")
    starts_at = models.DateTimeField(_("time"))
    title = models.CharField(_("title"), max_length=200)
    description = models.CharField(_("details"), max_length=500, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return self.title


class TicketType(TierRestricted):
    """A kind of ticket: free or paid, a member and a non-member price, a quantity, some tiers."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="ticket_types")
    name = models.CharField(_("name"), max_length=120)
    price_cents = models.PositiveIntegerField(_("price (cents)"), default=0)
    member_price_cents = models.PositiveIntegerField(
        _("member price (cents)"), null=True, blank=True, help_text=_("Empty: the same price for everyone.")
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    quantity = models.PositiveIntegerField(_("quantity"), null=True, blank=True, help_text=_("Empty: no limit."))
    sold = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(sold__lte=F("quantity")), name="events_ticket_not_oversold"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def price_for(self, is_member: bool) -> int:
        if is_member and self.member_price_cents is not None:
            return self.member_price_cents
        return self.price_cents


class Question(models.Model):
    """A registration question, with the kinds of the custom profile fields."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=60)
    kind = models.CharField(_("type"), max_length=20)
    label_fr = models.CharField(_("label (French)"), max_length=120)
    label_en = models.CharField(_("label (English)"), max_length=120, blank=True)
    help_fr = models.CharField(max_length=300, blank=True)
    help_en = models.CharField(max_length=300, blank=True)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["event", "key"], name="events_question_key_unique")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        from tribu.core.i18n_fields import localized

        return localized(self, "label") or self.key

    @property
    def help_text(self) -> str:
        from tribu.core.i18n_fields import localized

        return localized(self, "help")


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("On the waitlist")
    PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
    CANCELLED = "cancelled", _("Cancelled")


LIVE_STATUSES = [RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED, RegistrationStatus.PENDING_PAYMENT]
SEAT_STATUSES = [RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING_PAYMENT]


class Registration(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="event_registrations")
    # Walk-ins without an account: their name and address as given at the door.
    name = models.CharField(_("name"), max_length=160, blank=True)
    email = models.EmailField(_("email"), blank=True)
    ticket_type = models.ForeignKey(TicketType, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="registrations")
    status = models.CharField(max_length=16, choices=RegistrationStatus.choices)
    guests = models.PositiveSmallIntegerField(_("guests"), default=0)
    price_cents = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default="EUR")
    payment = models.ForeignKey("payments.Payment", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="event_registrations")
    answers = models.JSONField(default=dict, blank=True)
    code = models.CharField(max_length=32, unique=True, default=new_code)
    walk_in = models.BooleanField(default=False)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    promoted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=Q(status__in=["confirmed", "waitlisted", "pending_payment"], user__isnull=False),
                name="events_one_live_registration",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in RegistrationStatus]), name="events_registration_status"
            ),
            models.CheckConstraint(condition=Q(user__isnull=False) | ~Q(name=""), name="events_registrant_named"),
        ]
        indexes = [
            models.Index(fields=["event", "status", "created_at"], name="registration_queue"),
            models.Index(fields=["user", "status"], name="registration_user_status"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id}:{self.user_id or self.name}:{self.status}"

    @property
    def seats(self) -> int:
        return 1 + self.guests

    @property
    def person_name(self) -> str:
        return self.user.name if self.user_id else self.name

    @property
    def person_email(self) -> str:
        return self.user.email if self.user_id else self.email


class ReminderSent(models.Model):
    """Inserted before the reminder is sent: the unique row makes every run of the job idempotent."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=8)  # "24h", "1h", "feedback"
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["registration", "kind"], name="events_one_reminder_each")]

    def __str__(self) -> str:
        return f"{self.registration_id}:{self.kind}"


class Feedback(models.Model):
    registration = models.OneToOneField(Registration, on_delete=models.CASCADE, related_name="feedback")
    rating = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="events_rating_1_5")]

    def __str__(self) -> str:
        return f"{self.registration_id}:{self.rating}"


class ResourceKind(models.TextChoices):
    SLIDES = "slides", _("Slides")
    RECORDING = "recording", _("Recording")
    OTHER = "other", _("Other")


class Resource(models.Model):
    """Slides, recordings and other material attached to an event after it."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(_("type"), max_length=12, choices=ResourceKind.choices, default=ResourceKind.SLIDES)
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("link"), max_length=500, blank=True)
    file = models.FileField(_("file"), upload_to="events/resources/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title


class CalendarFeed(models.Model):
    """A member's private calendar address; revoking it gives a new token and the old one stops working."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=new_token)
    include_all = models.BooleanField(_("also every event I may see"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"calendar of {self.user_id}"
