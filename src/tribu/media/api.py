"""API v1 of attachments, link previews and the Markdown preview.

- ``GET /attachments?owner_type=feed.post&owner_id=42`` — the files of something the caller may see;
- ``POST /attachments`` (multipart: ``owner_type``, ``owner_id``, ``file``, ``alt``) — add a file to
  something the caller may edit (the owner's ``can_edit``); refused files answer 422 with the reason;
- ``GET|PATCH|DELETE /attachments/{id}`` — read, describe (``alt``), remove;
- ``GET /link-previews?url=`` — the ready card of a link (404 while none; asking queues the fetch);
- ``POST /markdown/preview`` ``{"text"}`` — the sanitised HTML members would see.

Something the caller may not see is a 404, whatever exists.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from tribu.api.errors import ApiError
from tribu.api.schemas import ErrorOut

from . import actions, conf, owners, queries
from .links import card_for
from .models import Attachment
from .rich import render_rich

router = Router(tags=["attachments"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class AttachmentOut(Schema):
    id: int
    owner_type: str
    owner_id: int
    kind: str = Field(description="image or document")
    name: str
    content_type: str = Field(description="Detected from the file's content, not its name.")
    size: int
    width: int | None
    height: int | None
    alt: str
    position: int
    url: str
    thumbnail_url: str | None
    created_at: str


class AttachmentPatch(Schema):
    alt: str = Field(..., max_length=actions.MAX_ALT)


class OwnerQuery(Schema):
    owner_type: str = Field(..., max_length=100, description="app_label.model, e.g. feed.post")
    owner_id: int = Field(..., ge=1)


class LinkPreviewOut(Schema):
    url: str
    title: str
    description: str
    image_url: str
    site_name: str
    fetched_at: str | None


class MarkdownIn(Schema):
    text: str = Field(..., max_length=200_000)


class MarkdownOut(Schema):
    html: str


def _out(request: HttpRequest, attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "owner_type": f"{attachment.owner_type.app_label}.{attachment.owner_type.model}",
        "owner_id": attachment.owner_id,
        "kind": attachment.kind,
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "width": attachment.width,
        "height": attachment.height,
        "alt": attachment.alt,
        "position": attachment.position,
        "url": request.build_absolute_uri(reverse("media:download", args=[attachment.pk])),
        "thumbnail_url": (
            request.build_absolute_uri(reverse("media:thumbnail", args=[attachment.pk]))
            if attachment.thumbnail
            else None
        ),
        "created_at": attachment.created_at.isoformat(),
    }


def _owner(request: HttpRequest, owner_type: str, owner_id: int) -> Any:
    registration = owners.get(owner_type)
    if registration is None:
        raise ApiError(404, message=_("Nothing here can have attachments."))
    owner = registration.model._default_manager.filter(pk=owner_id).first()
    if owner is None or not registration.can_view(request.user, owner):
        raise ApiError(404)
    return owner


def _attachment(request: HttpRequest, attachment_id: int) -> Attachment:
    attachment = Attachment.objects.select_related("owner_type").filter(pk=attachment_id).first()
    if attachment is None:
        raise ApiError(404)
    owner = attachment.owner
    if owner is None or not owners.can_view(request.user, owner):
        raise ApiError(404)
    return attachment


@router.get(
    "/attachments", response={200: list[AttachmentOut], **ERRORS}, summary="The files of a post, comment or resource"
)
def list_attachments(request: HttpRequest, filters: Query[OwnerQuery]) -> list[dict[str, Any]]:
    owner = _owner(request, filters.owner_type, filters.owner_id)
    return [_out(request, attachment) for attachment in queries.attachments_of(owner)]


@router.post("/attachments", response={201: AttachmentOut, **ERRORS}, summary="Attach a picture or a document")
def create_attachment(
    request: HttpRequest,
    file: File[UploadedFile],
    owner_type: Form[str],
    owner_id: Form[int],
    alt: Form[str] = "",
) -> Status[dict[str, Any]]:
    owner = _owner(request, owner_type, owner_id)
    if len(alt) > actions.MAX_ALT:
        raise ApiError(
            422, message=_("A picture description is at most %(max)s characters.") % {"max": actions.MAX_ALT}
        )
    try:
        created = actions.attach(owner, [file], actor=request.user, alts=[alt])
    except PermissionDenied:
        raise ApiError(403, message=_("You may not change the attachments of this.")) from None
    except ValidationError as exc:
        raise ApiError(422, message=exc.messages[0], details={"file": exc.messages}) from None
    return Status(201, _out(request, created[0]))


@router.get("/attachments/{attachment_id}", response={200: AttachmentOut, **ERRORS}, summary="One attachment")
def read_attachment(request: HttpRequest, attachment_id: int) -> dict[str, Any]:
    return _out(request, _attachment(request, attachment_id))


@router.patch("/attachments/{attachment_id}", response={200: AttachmentOut, **ERRORS}, summary="Describe a picture")
def update_attachment(request: HttpRequest, attachment_id: int, payload: AttachmentPatch) -> dict[str, Any]:
    attachment = _attachment(request, attachment_id)
    try:
        actions.describe(request.user, attachment, payload.alt)
    except PermissionDenied:
        raise ApiError(403, message=_("You may not change the attachments of this.")) from None
    return _out(request, attachment)


@router.delete("/attachments/{attachment_id}", response={204: None, **ERRORS}, summary="Remove an attachment")
def delete_attachment(request: HttpRequest, attachment_id: int) -> Status[None]:
    attachment = _attachment(request, attachment_id)
    try:
        actions.remove(request.user, attachment)
    except PermissionDenied:
        raise ApiError(403, message=_("You may not change the attachments of this.")) from None
    return Status(204, None)


@router.get("/link-previews", response={200: LinkPreviewOut, **ERRORS}, summary="The preview card of a link")
def link_preview(request: HttpRequest, url: str = Query(..., max_length=2000)) -> dict[str, Any]:
    if not request.user.is_authenticated:
        raise ApiError(401)
    card = card_for(url)
    if card is None:
        raise ApiError(404, message=_("No preview of this link yet."))
    return {
        "url": card.url,
        "title": card.title,
        "description": card.description,
        "image_url": card.image_url,
        "site_name": card.site_name,
        "fetched_at": card.fetched_at.isoformat() if card.fetched_at else None,
    }


@router.post("/markdown/preview", response={200: MarkdownOut, **ERRORS}, summary="Render Markdown as members see it")
def markdown_preview(request: HttpRequest, payload: MarkdownIn) -> dict[str, str]:
    if not request.user.is_authenticated:
        raise ApiError(401)
    if len(payload.text) > conf.preview_max_chars():
        raise ApiError(
            422,
            message=_("This text is too long to preview: %(max)s characters at most.")
            % {"max": conf.preview_max_chars()},
        )
    return {"html": str(render_rich(payload.text))}
