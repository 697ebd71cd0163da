"""Member companies and partners: the organisation, the members attached to it, its contacts
(who manage its seats) and the invitations they send to colleagues."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PartnerLevel(models.Model):
    """Partner, sponsor gold, sponsor silver…: defined by admins, ranked by ``position``."""

    name_fr = models.CharField(_("name (French)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("partner level")
        verbose_name_plural = _("partner levels")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        from tribu.core.i18n_fields import localized

        return localized(self, "name")


class CompanySize(models.TextChoices):
    MICRO = "1-9", _("1 to 9 people")
    SMALL = "10-49", _("10 to 49 people")
    MEDIUM = "50-249", _("50 to 249 people")
    LARGE = "250+", _("250 people or more")


class PageVisibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    MEMBERS = "members", _("Members only")


class Company(models.Model):
    name = models.CharField(_("name"), max_length=160)
    slug = models.SlugField(_("slug"), max_length=180, unique=True)
    logo = models.ImageField(_("logo"), upload_to="companies/", blank=True)
    sector = models.CharField(_("sector"), max_length=120, blank=True)
    size = models.CharField(_("size"), max_length=8, choices=CompanySize.choices, blank=True)
    address = models.CharField(_("address"), max_length=240, blank=True)
    postcode = models.CharField(_("postcode"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    # Printed on the company's invoices and receipts (intra-community VAT number, e.g. FR32123456789).
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    partner_level = models.ForeignKey(
        PartnerLevel, null=True, blank=True, on_delete=models.SET_NULL, related_name="companies",
        verbose_name=_("partner level"),
    )
    page_visibility = models.CharField(
        _("page visibility"), max_length=16, choices=PageVisibility.choices, default=PageVisibility.MEMBERS
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("member company")
        verbose_name_plural = _("member companies")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["name"], name="company_name"),
            models.Index(fields=["partner_level", "name"], name="company_partner_level"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["siret"], condition=~models.Q(siret=""), name="company_siret_unique",
                violation_error_message=_("Another company already has this SIRET number."),
            ),
            models.CheckConstraint(
                condition=models.Q(page_visibility__in=["public", "members"]), name="company_page_visibility_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CompanyMember(models.Model):
    """A member attached to a company (one company per member); contacts manage it."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="attachments")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="company_attachment"
    )
    is_contact = models.BooleanField(_("company contact"), default=False)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("company member")
        verbose_name_plural = _("company members")
        ordering = ["joined_at", "id"]
        indexes = [models.Index(fields=["company", "joined_at"], name="companymember_company")]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.company_id}"


class CompanyInvitation(models.Model):
    """An email invitation from a company contact to a colleague; the secret is stored hashed."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email address"))
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("company invitation")
        verbose_name_plural = _("company invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="companyinvitation_one_open_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.company_id}"


def invitation_state(invitation: CompanyInvitation, now=None) -> str:
    """``open``, ``accepted``, ``revoked`` or ``expired``."""
    from django.utils import timezone

    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= (now or timezone.now()):
        return "expired"
    return "open"
