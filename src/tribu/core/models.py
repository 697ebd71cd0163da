"""Core tables: the community (site & branding), the activity log (the spine), notifications,
and the state of background workers and periodic jobs."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour such as #1f6feb."))


class Community(models.Model):
    """The whole instance: one row (pk=1), edited by admins on the community settings page."""

    name = models.CharField(_("name"), max_length=120, default="Tribu")
    tagline = models.CharField(_("tagline"), max_length=240, blank=True)
    logo = models.ImageField(_("logo"), upload_to="branding/", blank=True)
    favicon = models.ImageField(_("favicon"), upload_to="branding/", blank=True)
    primary_colour = models.CharField(
        _("primary colour"), max_length=7, default="#1f5fbf", validators=[colour_validator]
    )
    secondary_colour = models.CharField(
        _("secondary colour"), max_length=7, default="#e8590c", validators=[colour_validator]
    )
    default_language = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default="fr"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    contact_email = models.EmailField(_("contact email"), blank=True)
    charter = models.TextField(_("community charter"), blank=True)
    privacy_policy = models.TextField(_("privacy policy"), blank=True)
    legal_notice = models.TextField(_("legal notice"), blank=True)
    require_admin_2fa = models.BooleanField(
        _("require two-factor authentication for administrators and staff"), default=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("community")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="core_community_singleton")]

    def __str__(self) -> str:
        return self.name


class Activity(models.Model):
    """One recorded act: who did what, to what, where, when. Append-only; written by ``record()``."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    verb = models.CharField(max_length=64)
    target_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    target_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    # The group the act happened in. No database constraint: the log is append-only and must keep
    # its rows (and accept them in any order) whatever happens to the group; a deleted group's
    # activities keep nothing but their time and verb there (SET_NULL, done by Django).
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    audit = models.BooleanField(default=False, help_text="An admin action, shown in the audit log.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at"], name="activity_time"),
            models.Index(fields=["actor", "created_at"], name="activity_actor_time"),
            models.Index(fields=["verb", "created_at"], name="activity_verb_time"),
            models.Index(fields=["target_type", "target_id"], name="activity_target"),
            models.Index(fields=["group", "created_at"], name="activity_group_time"),
            models.Index(
                fields=["created_at"], name="activity_audit_time", condition=models.Q(audit=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.verb} {self.target_type_id}:{self.target_id}"


class NotificationChannel(models.TextChoices):
    IN_APP = "in_app", _("In the app only")
    EMAIL = "email", _("In the app and by email")
    DIGEST = "digest", _("In the app and in the digest email")
    OFF = "off", _("Off")


class Notification(models.Model):
    """One thing a member should hear about, shown in the notification centre."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=64)
    activity = models.ForeignKey(Activity, null=True, blank=True, on_delete=models.SET_NULL)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    url = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    digested_at = models.DateTimeField(null=True, blank=True)
    # Grouping (kinds with ``group_by``): the unread row of a recipient, kind and key absorbs the next
    # ones. ``count`` is the number of distinct actors merged, ``actors`` the most recent of them
    # (``[{"id": pk, "name": name}, ...]``, latest first, capped). Empty key: not grouped.
    group_key = models.CharField(max_length=64, blank=True, default="")
    count = models.PositiveIntegerField(default=1)
    actors = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_time"),
            models.Index(
                fields=["recipient"], name="notif_unread", condition=models.Q(read_at__isnull=True)
            ),
        ]
        constraints = [
            # At most one unread row per recipient, kind and group: concurrent notify() calls for
            # the same group collide here and the loser updates the winner's row.
            models.UniqueConstraint(
                fields=["recipient", "kind", "group_key"],
                name="notif_unread_group_unique",
                condition=models.Q(read_at__isnull=True) & ~models.Q(group_key=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"


class NotificationPreference(models.Model):
    """How a member wants one kind of notification; no row means the kind's default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=64)
    channel = models.CharField(max_length=16, choices=NotificationChannel.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notif_pref_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}={self.channel}"


class DigestFrequency(models.TextChoices):
    DAILY = "daily", _("Every day")
    WEEKLY = "weekly", _("Once a week")
    NEVER = "never", _("Never")


class DigestPreference(models.Model):
    """How often a member gets the digest email; no row means daily. ``last_sent_at`` is the
    digest job's claim: a digest is sent only by the run that moves it forward."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_preference"
    )
    frequency = models.CharField(
        _("digest frequency"), max_length=8, choices=DigestFrequency.choices, default=DigestFrequency.DAILY
    )
    # 0 = Monday … 6 = Sunday (Python's ``weekday()``), used by the weekly digest.
    weekday = models.PositiveSmallIntegerField(_("day of the weekly digest"), default=0)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id} digest={self.frequency}"


class WorkerHeartbeat(models.Model):
    """A running background worker (or scheduler) and when it last said it was alive."""

    worker_id = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, default="worker")  # worker | scheduler
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.IntegerField(null=True)
    started_at = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.worker_id}"


class ScheduledJob(models.Model):
    """The state of one periodic job; the scheduler claims a due run with a conditional update."""

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField(db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_task_id = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return self.name
