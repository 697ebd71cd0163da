"""Tables of the library app: resources (documents, videos, podcasts, links, articles) filed in
categories, at community level or inside a group.

- ``Category``: FR/EN names (``tribu.core.i18n_fields``), one level of ``parent`` for subcategories,
  ``group`` empty for the community library. A subcategory lives where its parent lives (enforced by
  the actions).
- ``Resource``: ``body`` is Markdown, ``body_html`` its sanitised rendering written by the action that
  saves the body. ``file`` and ``cover`` live in private storage (never under ``MEDIA_ROOT``) and are
  served by views that check access first. ``required_tiers`` (from ``TierRestricted``): members
  without one of them see a teaser. ``download_count`` is increased with ``F()`` by the download action.
  ``discussion`` is the feed post where members discuss the resource (created on demand).
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import Storage
from django.db import models
from django.utils.translation import gettext_lazy as _

from tribu.memberships.models import TierRestricted


def private_storage() -> Storage:
    """A callable, so the storage is chosen at run time (private: files are served through views)."""
    from tribu.media.storage import attachment_storage

    return attachment_storage()


class Category(models.Model):
    name_fr = models.CharField(_("name (French)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children",
        verbose_name=_("parent category"),
    )
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="library_categories",
        verbose_name=_("group"),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name_fr", "id"]
        indexes = [models.Index(fields=["group", "parent", "position"], name="library_cat_place")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(parent=models.F("id")), name="library_category_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("library:category", args=[self.slug])

    @property
    def name(self) -> str:
        from tribu.core.i18n_fields import localized

        return localized(self, "name")

    @property
    def description(self) -> str:
        from tribu.core.i18n_fields import localized

        return localized(self, "description")


class ResourceKind(models.TextChoices):
    DOCUMENT = "document", _("Document")
    VIDEO = "video", _("Video")
    PODCAST = "podcast", _("Podcast")
    LINK = "link", _("Link")
    ARTICLE = "article", _("Article")


KIND_GLYPHS = {"document": "📄", "video": "🎬", "podcast": "🎧", "link": "🔗", "article": "📰"}


class Resource(TierRestricted):
    kind = models.CharField(_("kind"), max_length=16, choices=ResourceKind.choices, default=ResourceKind.DOCUMENT)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=400, blank=True)
    body = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    body_html = models.TextField(editable=False, default="")
    file = models.FileField(_("file"), upload_to="library/files/%Y/%m/", storage=private_storage, blank=True)
    file_name = models.CharField(max_length=200, blank=True, editable=False)
    file_type = models.CharField(max_length=120, blank=True, editable=False)
    file_size = models.PositiveBigIntegerField(default=0, editable=False)
    url = models.URLField(_("address"), max_length=1000, blank=True)
    cover = models.ImageField(_("cover image"), upload_to="library/covers/%Y/%m/", storage=private_storage,
                              blank=True)
    cover_alt = models.CharField(_("cover image description"), max_length=200, blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="resources",
        verbose_name=_("category"),
    )
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="library_resources",
        verbose_name=_("group"),
    )
    featured = models.BooleanField(_("featured"), default=False)
    published = models.BooleanField(_("published"), default=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="library_resources"
    )
    download_count = models.PositiveIntegerField(default=0, editable=False)
    discussion = models.ForeignKey(
        "feed.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["published", "group", "-created_at"], name="library_res_place"),
            models.Index(fields=["category", "-created_at"], name="library_res_category"),
            models.Index(fields=["featured", "-created_at"], name="library_res_featured"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["document", "video", "podcast", "link", "article"]),
                name="library_resource_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(restriction_mode__in=["teaser", "hidden"]), name="library_resource_mode_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def glyph(self) -> str:
        return KIND_GLYPHS.get(self.kind, "")

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("library:detail", args=[self.pk])
