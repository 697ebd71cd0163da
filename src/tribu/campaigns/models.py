"""Email campaigns and newsletters: what is sent (subject, preheader, blocks in FR and/or EN), to whom
(a segment or groups, frozen into ``Recipient`` rows when sending starts), and what happened to each
message (per-recipient status, attempts, back-off, tracking events).

Sending is driven by the ``Recipient`` rows only (see ``sending.py``): a row is claimed, its
message is handed to the SMTP server, and the row is marked sent with a conditional UPDATE that
only succeeds while the claim is still held."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

LANGUAGES = ("fr", "en")


class Kind(models.TextChoices):
    CAMPAIGN = "campaign", _("Campaign")
    NEWSLETTER = "newsletter", _("Newsletter")


class Status(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("campaign", "Draft")
    SCHEDULED = "scheduled", pgettext_lazy("campaign", "Scheduled")
    SENDING = "sending", pgettext_lazy("campaign", "Sending")
    PAUSED = "paused", pgettext_lazy("campaign", "Paused")
    SENT = "sent", pgettext_lazy("campaign", "Sent")
    CANCELLED = "cancelled", pgettext_lazy("campaign", "Cancelled")


class BlockType(models.TextChoices):
    TEXT = "text", _("Text")
    IMAGE = "image", _("Image")
    BUTTON = "button", _("Button")
    POSTS = "posts", _("Latest posts")
    EVENTS = "events", _("Upcoming events")


class Campaign(models.Model):
    """``blocks`` is a list of ``{"type": ..., ...}`` (see ``content.py``); each text carries its
    French and English versions (``text_fr``/``text_en``). A language is offered when its subject is set."""

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.CAMPAIGN)
    name = models.CharField(_("internal name"), max_length=160)
    subject_fr = models.CharField(_("subject (French)"), max_length=200, blank=True)
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    preheader_fr = models.CharField(_("preheader (French)"), max_length=200, blank=True)
    preheader_en = models.CharField(_("preheader (English)"), max_length=200, blank=True)
    blocks = models.JSONField(_("blocks"), default=list, blank=True)
    segment = models.ForeignKey(
        "segments.Segment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("segment"),
    )
    group_ids = models.JSONField(_("groups"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    rate_per_second = models.PositiveIntegerField(
        _("sending rate (messages per second)"), default=20, help_text=_("0: as fast as possible.")
    )
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_progress_at = models.DateTimeField(null=True, blank=True)
    recipient_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="scheduled") | models.Q(scheduled_at__isnull=False),
                name="campaigns_scheduled_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="campaign_status_time")]

    def __str__(self) -> str:
        return self.name

    @property
    def topic(self) -> str:
        """The consent topic of ``tribu.mailing.consent``."""
        return "newsletter" if self.kind == Kind.NEWSLETTER else "campaigns"

    def languages(self) -> list[str]:
        return [lang for lang in LANGUAGES if getattr(self, f"subject_{lang}").strip()]

    def language_for(self, wanted: str) -> str:
        offered = self.languages() or ["fr"]
        return wanted if wanted in offered else offered[0]

    @property
    def subject(self) -> str:
        return self.subject_fr or self.subject_en

    @property
    def is_editable(self) -> bool:
        return self.status in {Status.DRAFT, Status.SCHEDULED}


class Link(models.Model):
    """A link of the campaign's content: click-tracked URLs point here (never to a URL from the request)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="links")
    url = models.URLField(max_length=2000)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "url"], name="campaigns_link_unique")]

    def __str__(self) -> str:
        return self.url


class RecipientStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("recipient", "Queued")
    SENDING = "sending", pgettext_lazy("recipient", "Being sent")
    SENT = "sent", pgettext_lazy("recipient", "Sent")
    FAILED = "failed", pgettext_lazy("recipient", "Failed")
    SKIPPED = "skipped", pgettext_lazy("recipient", "Skipped")
    CANCELLED = "cancelled", pgettext_lazy("recipient", "Cancelled")


class SkipReason(models.TextChoices):
    NO_CONSENT = "no_consent", _("Unsubscribed from this kind of email")
    SUPPRESSED = "suppressed", _("Address suppressed (bounce or complaint)")
    INVALID_ADDRESS = "invalid_address", _("Malformed address")
    INACTIVE = "inactive", _("Account deactivated")


class Recipient(models.Model):
    """One member of the frozen audience. ``claim`` identifies the sending run holding the row while
    its status is ``sending``; the message is only completed at the SMTP server once the row is marked
    ``sent`` under that claim (see ``sending.py``)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.CharField(_("email address"), max_length=254)
    language = models.CharField(_("language"), max_length=8)
    status = models.CharField(
        _("status"), max_length=16, choices=RecipientStatus.choices, default=RecipientStatus.QUEUED
    )
    skip_reason = models.CharField(_("reason"), max_length=32, choices=SkipReason.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=40, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "user"], name="campaigns_recipient_once"),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in RecipientStatus]),
                name="campaigns_recipient_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "status", "next_attempt_at"], name="campaign_recipient_due"),
            models.Index(fields=["campaign", "sent_at"], name="campaign_recipient_sent"),
        ]

    def __str__(self) -> str:
        return self.email


class EventKind(models.TextChoices):
    OPEN = "open", _("Opened")
    CLICK = "click", _("Clicked")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")


class TrackingEvent(models.Model):
    """An open (pixel fetched), a click (redirect followed) or an unsubscribe after this campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    link = models.ForeignKey(Link, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "kind", "created_at"], name="campaign_event_kind_time"),
            models.Index(fields=["recipient", "kind"], name="campaign_event_recipient"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.recipient_id}"
