"""Membership tiers, memberships (a member's or a company's right to a tier for a period) and
their lifecycle. The history of a membership is its activity log (``target`` = the membership)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Period(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    YEARLY = "yearly", _("Yearly (from the start date)")
    CALENDAR_YEAR = "calendar_year", _("Fixed calendar year")
    LIFETIME = "lifetime", _("Lifetime")
    FREE = "free", _("Free, no end date")


class Tier(models.Model):
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    price_cents = models.PositiveIntegerField(_("price (cents)"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    period = models.CharField(_("period"), max_length=16, choices=Period.choices, default=Period.YEARLY)
    # For a fixed calendar year: the month it starts (1 = January–December, 9 = September–August).
    calendar_start_month = models.PositiveSmallIntegerField(
        _("first month of the calendar year"), default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    is_guest = models.BooleanField(_("guest tier (time-boxed trial)"), default=False)
    trial_days = models.PositiveIntegerField(_("trial length (days)"), null=True, blank=True)
    downgrade_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("after the trial, move to"),
    )
    seats = models.PositiveIntegerField(_("seats (company tiers)"), null=True, blank=True)
    grace_days = models.PositiveIntegerField(_("grace period (days)"), default=15)
    self_selectable = models.BooleanField(_("members can choose it themselves"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership tier")
        verbose_name_plural = _("membership tiers")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period__in=[p.value for p in Period]), name="memberships_tier_period"
            ),
            models.CheckConstraint(
                condition=models.Q(calendar_start_month__gte=1, calendar_start_month__lte=12),
                name="memberships_tier_start_month",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        from tribu.core.i18n_fields import localized

        return localized(self, "name") or self.slug

    @property
    def description(self) -> str:
        from tribu.core.i18n_fields import localized

        return localized(self, "description")

    @property
    def is_company_tier(self) -> bool:
        return bool(self.seats)


class MembershipStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACTIVE = "active", _("Active")
    GRACE = "grace", _("In grace period")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


CURRENT_STATUSES = [MembershipStatus.PENDING, MembershipStatus.ACTIVE, MembershipStatus.GRACE]
GRANTING_STATUSES = [MembershipStatus.ACTIVE, MembershipStatus.GRACE]


class Membership(models.Model):
    """A member's (``user``) or a company's (``company``) right to a tier, from ``starts_on`` to
    ``ends_on`` (empty: no end). At most one current (pending, active, in grace) membership each."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    company = models.ForeignKey(
        "companies.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="memberships")
    status = models.CharField(
        _("status"), max_length=16, choices=MembershipStatus.choices, default=MembershipStatus.PENDING
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    is_trial = models.BooleanField(_("trial"), default=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=16, default="manual")  # manual | signup | import | payment
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in MembershipStatus]), name="memberships_status_valid"
            ),
            models.CheckConstraint(
                condition=(models.Q(user__isnull=False, company__isnull=True)
                           | models.Q(user__isnull=True, company__isnull=False)),
                name="memberships_holder_is_user_or_company",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status__in=["pending", "active", "grace"], user__isnull=False),
                name="memberships_one_current_per_user",
            ),
            models.UniqueConstraint(
                fields=["company"],
                condition=models.Q(status__in=["pending", "active", "grace"], company__isnull=False),
                name="memberships_one_current_per_company",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "ends_on"], name="membership_status_end"),
            models.Index(fields=["tier", "status"], name="membership_tier_status"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id or self.company_id}:{self.tier_id}:{self.status}"


class RestrictionMode(models.TextChoices):
    TEASER = "teaser", _("Teaser: visible to all, opens with the tier (others see an invitation to upgrade)")
    HIDDEN = "hidden", _("Hidden: invisible without the tier")


class TierRestricted(models.Model):
    """Mixin for anything only some tiers may open (a group, a library category, an event, a post).

    ``required_tiers`` empty: open to everyone who may otherwise see it. Decide with
    ``memberships.access.decide(user, obj)``; enforce with ``access.require(user, obj)``."""

    required_tiers = models.ManyToManyField(
        Tier, blank=True, related_name="+", verbose_name=_("tiers that open it"),
        help_text=_("Empty: open to everyone."),
    )
    restriction_mode = models.CharField(
        _("without the tier"), max_length=8, choices=RestrictionMode.choices, default=RestrictionMode.TEASER
    )

    class Meta:
        abstract = True


class Area(models.TextChoices):
    DIRECTORY = "directory", _("Members directory")
    COMPANIES = "companies", _("Companies directory")


class AreaRestriction(TierRestricted):
    """A community area (the members directory, the companies directory) kept for some tiers."""

    area = models.CharField(_("area"), max_length=16, choices=Area.choices, unique=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("area restriction")
        verbose_name_plural = _("area restrictions")
        constraints = [
            models.CheckConstraint(condition=models.Q(area__in=[a.value for a in Area]), name="memberships_area_valid"),
            models.CheckConstraint(
                condition=models.Q(restriction_mode__in=[m.value for m in RestrictionMode]),
                name="memberships_area_mode_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.area
