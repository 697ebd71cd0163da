"""Personal data: the consents a member gave (which text, which version, when) and erasure requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ConsentKind(models.TextChoices):
    CHARTER = "charter", _("Community charter")
    PRIVACY = "privacy", _("Privacy policy")
    NEWSLETTER = "newsletter", _("Newsletter")
    EVENT_ANNOUNCEMENTS = "event_announcements", _("Event announcements")


class Consent(models.Model):
    """One consent given or withdrawn, with the version (a hash) and the exact text agreed to."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="consents"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=ConsentKind.choices)
    granted = models.BooleanField(_("granted"), default=True)
    version = models.CharField(_("text version"), max_length=64, blank=True)
    text = models.TextField(_("text agreed to"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "kind", "-created_at"], name="consent_user_kind")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.granted}"


class ErasureStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Erased")
    CANCELLED = "cancelled", _("Cancelled")


class ErasureRequest(models.Model):
    """A request to erase a member's personal data: made by the member, or entered by the team for
    someone who wrote in. Once processed, the member row it points to is anonymised."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="erasure_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_member = models.BooleanField(_("asked by the member"), default=True)
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ErasureStatus.choices, default=ErasureStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    processed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in ErasureStatus]), name="privacy_erasure_status_valid"
            ),
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(status="pending"), name="privacy_one_pending_erasure_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.status}"
