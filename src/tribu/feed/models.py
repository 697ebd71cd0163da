"""Posts: the minimal feed the groups issue needs (group feeds, welcome posts, mentions, pinning).
The feed issue extends this app (comments, reactions, attachments, the community feed page)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PostKind(models.TextChoices):
    DISCUSSION = "discussion", _("Discussion")
    ANNOUNCEMENT = "announcement", _("Announcement")
    WELCOME = "welcome", _("Welcome")


class Post(models.Model):
    """A post in a group's feed (``group`` set) or the community feed (``group`` empty).
    ``author`` is empty for posts the platform writes (welcome posts). ``body`` is Markdown;
    ``body_html`` is its sanitised rendering, written by the action that saves the body."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    group = models.ForeignKey("groups.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="posts")
    kind = models.CharField(_("kind"), max_length=16, choices=PostKind.choices, default=PostKind.DISCUSSION)
    body = models.TextField(_("message"))
    body_html = models.TextField(editable=False, default="")
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in_posts")
    pinned = models.BooleanField(_("pinned"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["-pinned", "-created_at", "-id"]
        indexes = [
            models.Index(fields=["group", "-pinned", "-created_at"], name="post_group_feed"),
            models.Index(fields=["-created_at"], name="post_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["discussion", "announcement", "welcome"]), name="feed_post_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.pk}"
