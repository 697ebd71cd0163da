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
