"""Emailing tables: the addresses that must receive nothing more (bounces, complaints, manual),
the members' choices on the mailing topics that have no home elsewhere (``campaigns``), the admins'
overrides of transactional templates, and a record of every message skipped because of a suppression."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class SuppressionReason(models.TextChoices):
    HARD_BOUNCE = "hard_bounce", _("Hard bounce")
    COMPLAINT = "complaint", _("Spam complaint")
    MANUAL = "manual", _("Added by the team")


class EmailSuppression(models.Model):
    """An address that receives nothing more. ``lifted_at`` set: the team lifted it (kept for history).
    At most one active row per address (case-insensitive)."""

    email = models.EmailField(_("address"), max_length=254)
    reason = models.CharField(_("reason"), max_length=16, choices=SuppressionReason.choices)
    detail = models.TextField(_("detail"), blank=True)
    source = models.CharField(_("source"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("date"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lifted_at = models.DateTimeField(_("lifted on"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("email suppression")
        verbose_name_plural = _("email suppressions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"), condition=models.Q(lifted_at__isnull=True), name="mailing_one_active_suppression"
            ),
            models.CheckConstraint(
                condition=models.Q(reason__in=[r.value for r in SuppressionReason]),
                name="mailing_suppression_reason_valid",
            ),
        ]
        indexes = [models.Index(fields=["email"], name="mailing_suppression_email")]

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"

    @property
    def active(self) -> bool:
        return self.lifted_at is None


class TopicPreference(models.Model):
    """A member's word on a mailing topic stored by this app (``campaigns``); no row: the default."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mailing_topics")
    topic = models.CharField(_("topic"), max_length=32)
    subscribed = models.BooleanField(_("subscribed"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("mailing preference")
        verbose_name_plural = _("mailing preferences")
        constraints = [models.UniqueConstraint(fields=["user", "topic"], name="mailing_topic_pref_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.topic}={self.subscribed}"


class TemplateOverride(models.Model):
    """An admin's version of one transactional email in one language: subject and Markdown body with
    ``{{ placeholders }}``. No row: the file templates shipped with the app."""

    template = models.CharField(_("template"), max_length=200)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), help_text=_("Markdown, with placeholders such as {{ first_name }}."))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("email template override")
        verbose_name_plural = _("email template overrides")
        constraints = [
            models.UniqueConstraint(fields=["template", "language"], name="mailing_override_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.template} [{self.language}]"


class SkippedEmail(models.Model):
    """A message not sent because its recipient is suppressed: who, what, why (shown to staff)."""

    email = models.EmailField(_("address"), max_length=254)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    reason = models.CharField(_("reason"), max_length=16, choices=SuppressionReason.choices)
    created_at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        verbose_name = _("skipped email")
        verbose_name_plural = _("skipped emails")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at"], name="mailing_skipped_time")]

    def __str__(self) -> str:
        return f"{self.email}: {self.subject}"
