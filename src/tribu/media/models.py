"""Attachments (pictures and documents hung on a post, a comment or a library resource) and the cached
preview cards of links.

An attachment's owner is any model registered with ``tribu.media.owners.register``; the pair
``owner_type``/``owner_id`` points at it. Files live in ``storage.attachment_storage()`` (private), and
are served by ``media:download`` after the owner's ``can_view`` said yes.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .storage import attachment_storage


def _upload_to(instance: Attachment, filename: str) -> str:
    # A random name: the original one is kept in ``original_name`` and only shown, never used as a path.
    extension = filename[filename.rfind(".") :].lower() if "." in filename else ""
    return f"a/{timezone.now():%Y/%m}/{secrets.token_urlsafe(16)}{extension[:8]}"


def _thumb_to(instance: Attachment, filename: str) -> str:
    return f"t/{timezone.now():%Y/%m}/{secrets.token_urlsafe(16)}.jpg"


def _card_to(instance: LinkPreview, filename: str) -> str:
    return f"l/{timezone.now():%Y/%m}/{secrets.token_urlsafe(16)}.jpg"


class AttachmentKind(models.TextChoices):
    IMAGE = "image", _("Picture")
    DOCUMENT = "document", _("Document")


class Attachment(models.Model):
    owner_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    owner_id = models.PositiveBigIntegerField()
    owner = GenericForeignKey("owner_type", "owner_id")
    file = models.FileField(_("file"), upload_to=_upload_to, storage=attachment_storage, max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=AttachmentKind.choices)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size"))
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    alt = models.CharField(_("description of the picture"), max_length=300, blank=True)
    thumbnail = models.FileField(upload_to=_thumb_to, storage=attachment_storage, max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["owner_type", "owner_id", "position"], name="media_att_owner")]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=["image", "document"]), name="media_att_kind"),
            models.CheckConstraint(condition=models.Q(size__gt=0), name="media_att_size"),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.kind == AttachmentKind.IMAGE

    @property
    def extension(self) -> str:
        name = self.original_name
        return name[name.rfind(".") + 1 :].upper() if "." in name else ""


class PreviewStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Not reachable")


class LinkPreview(models.Model):
    """What a linked page says about itself (OpenGraph, ``<title>``, description), fetched in the
    background. Plain text only: it is escaped wherever it is shown."""

    url_hash = models.CharField(max_length=64, unique=True)
    url = models.URLField(max_length=2000)
    title = models.CharField(max_length=300, blank=True)
    description = models.CharField(max_length=1000, blank=True)
    image_url = models.URLField(max_length=2000, blank=True)
    image = models.FileField(upload_to=_card_to, storage=attachment_storage, max_length=200, blank=True)
    site_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=PreviewStatus.choices, default=PreviewStatus.PENDING)
    fetched_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("link preview")
        verbose_name_plural = _("link previews")

    def __str__(self) -> str:
        return self.title or self.url

    @property
    def host(self) -> str:
        from urllib.parse import urlsplit

        return (urlsplit(self.url).hostname or "").removeprefix("www.")
