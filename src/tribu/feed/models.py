"""Posts, comments, reactions, tags and follows: where members talk.

A post lives in a group's feed (``group`` set) or in the community feed (``group`` empty). Its
body is Markdown; ``body_html`` is the sanitised rendering, written by the action that saves the
body (never by a view). Counters (``comment_count``, ``reaction_count``) and ``last_activity_at``
are kept by the actions with ``F()`` updates so lists never count rows.
"""

from __future__ import annotations

from html import unescape

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _


class PostKind(models.TextChoices):
    DISCUSSION = "discussion", _("Discussion")
    QUESTION = "question", _("Question")
    ANNOUNCEMENT = "announcement", _("Announcement")
    ARTICLE = "article", _("Article")
    LINK = "link", _("Link")
    WELCOME = "welcome", _("Welcome")


class PostStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")


class Tag(models.Model):
    """A #tag; ``name`` is stored lower-case without the ``#``."""

    name = models.CharField(_("tag"), max_length=50, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"#{self.name}"


class Post(models.Model):
    """``author`` is empty for posts the platform writes (welcome posts). Only ``published`` posts
    appear in feeds, search and notifications; ``published_at`` orders feeds (a scheduled post gets
    it when it goes out)."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    group = models.ForeignKey("groups.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="posts")
    kind = models.CharField(_("kind"), max_length=16, choices=PostKind.choices, default=PostKind.DISCUSSION)
    status = models.CharField(_("status"), max_length=16, choices=PostStatus.choices, default=PostStatus.PUBLISHED)
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    body_html = models.TextField(editable=False, default="")
    cover = models.ImageField(_("cover image"), upload_to="feed/covers/%Y/%m/", blank=True)
    cover_alt = models.CharField(_("cover image description"), max_length=200, blank=True)
    link_url = models.URLField(_("link"), max_length=1000, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts")
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in_posts")
    pinned = models.BooleanField(_("pinned"), default=False)
    featured = models.BooleanField(_("featured"), default=False)
    locked_at = models.DateTimeField(_("locked on"), null=True, blank=True)
    publish_at = models.DateTimeField(_("publish on"), null=True, blank=True)
    published_at = models.DateTimeField(_("published on"), null=True, blank=True, default=timezone.now)
    accepted_comment = models.ForeignKey(
        "Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    solved_at = models.DateTimeField(_("solved on"), null=True, blank=True)
    comment_count = models.PositiveIntegerField(default=0, editable=False)
    reaction_count = models.PositiveIntegerField(default=0, editable=False)
    last_activity_at = models.DateTimeField(default=timezone.now, editable=False)
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["-pinned", "-published_at", "-id"]
        indexes = [
            models.Index(fields=["group", "-pinned", "-created_at"], name="post_group_feed"),
            models.Index(fields=["-created_at"], name="post_time"),
            models.Index(
                fields=["group", "-published_at", "-id"],
                name="post_live_time",
                condition=models.Q(status="published", deleted_at__isnull=True),
            ),
            models.Index(
                fields=["group", "-last_activity_at", "-id"],
                name="post_live_activity",
                condition=models.Q(status="published", deleted_at__isnull=True),
            ),
            # The home feed and tag pages: live posts of many places, newest or most active first.
            models.Index(
                fields=["-published_at", "-id"],
                name="post_live_home_time",
                condition=models.Q(status="published", deleted_at__isnull=True),
            ),
            models.Index(
                fields=["-last_activity_at", "-id"],
                name="post_live_home_activity",
                condition=models.Q(status="published", deleted_at__isnull=True),
            ),
            models.Index(fields=["status", "publish_at"], name="post_scheduled",
                         condition=models.Q(status="scheduled")),
            models.Index(fields=["author", "-published_at"], name="post_author_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["discussion", "question", "announcement", "article", "link", "welcome"]),
                name="feed_post_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "scheduled", "published"]), name="feed_post_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="scheduled") | models.Q(publish_at__isnull=False),
                name="feed_post_scheduled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.pk}"

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None

    @property
    def plain_text(self) -> str:
        """The rendered body as plain text (tags removed, entities such as ``&nbsp;`` decoded) for
        headings and excerpts; templates escape it again."""
        return unescape(strip_tags(self.body_html))

    @property
    def is_solved(self) -> bool:
        return self.solved_at is not None


class Comment(models.Model):
    """A comment on a post, or a reply to a comment (``parent``): one level of replies only, the
    action attaches a reply to a reply to its top-level comment."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="feed_comments"
    )
    body = models.TextField(_("comment"))
    body_html = models.TextField(editable=False, default="")
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in_comments")
    reaction_count = models.PositiveIntegerField(default=0, editable=False)
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["post", "created_at", "id"], name="comment_post_time"),
            models.Index(fields=["author", "-created_at"], name="comment_author_time"),
        ]

    def __str__(self) -> str:
        return f"comment:{self.pk} on {self.post_id}"


class Emoji(models.TextChoices):
    LIKE = "like", "👍"
    HEART = "heart", "❤️"
    CLAP = "clap", "👏"
    LAUGH = "laugh", "😄"
    IDEA = "idea", "💡"
    THANKS = "thanks", "🙏"


class Reaction(models.Model):
    """One member's reaction to a post or a comment (exactly one of the two)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_reactions")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="reactions")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="reactions")
    emoji = models.CharField(max_length=16, choices=Emoji.choices, default=Emoji.LIKE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(post__isnull=False, comment__isnull=True)
                | models.Q(post__isnull=True, comment__isnull=False),
                name="feed_reaction_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "post", "emoji"], condition=models.Q(post__isnull=False), name="feed_reaction_post_once"
            ),
            models.UniqueConstraint(
                fields=["user", "comment", "emoji"],
                condition=models.Q(comment__isnull=False),
                name="feed_reaction_comment_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.emoji}"


class Revision(models.Model):
    """The text a post or comment had before an edit, for moderators."""

    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="revisions")
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(post__isnull=False, comment__isnull=True)
                | models.Q(post__isnull=True, comment__isnull=False),
                name="feed_revision_one_target",
            )
        ]

    def __str__(self) -> str:
        return f"revision:{self.pk}"


class Follow(models.Model):
    """A member follows another member or a tag (their posts come to the home feed)."""

    follower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_follows")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="feed_followers"
    )
    tag = models.ForeignKey(Tag, null=True, blank=True, on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, tag__isnull=True)
                | models.Q(user__isnull=True, tag__isnull=False),
                name="feed_follow_one_target",
            ),
            models.UniqueConstraint(
                fields=["follower", "user"], condition=models.Q(user__isnull=False), name="feed_follow_user_once"
            ),
            models.UniqueConstraint(
                fields=["follower", "tag"], condition=models.Q(tag__isnull=False), name="feed_follow_tag_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.follower_id} follows {self.user_id or self.tag_id}"


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("Every member")
    NEW_MEMBERS = "new_members", _("Members who joined recently")
    TIER = "tier", _("Members of a tier")
    GROUP = "group", _("Members of a group")


class WelcomeBlock(models.Model):
    """A block the team puts at the top of the home page for one audience."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), help_text=_("Markdown."))
    body_html = models.TextField(editable=False, default="")
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices, default=Audience.EVERYONE)
    new_member_days = models.PositiveIntegerField(_("joined within (days)"), default=30)
    tier = models.ForeignKey("memberships.Tier", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey("groups.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("shown"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("welcome block")
        verbose_name_plural = _("welcome blocks")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title
