"""API v1 of the library — the pages' rules exactly (``policies``, ``queries.visible_resources``): a
resource or category the caller may not know of is a 404 everywhere.

- ``GET /resources?q=&kind=&category=&group=&page=&page_size=`` (``group``: an id or ``community``);
  tier-gated resources the caller cannot open come as teasers (``locked``: true, no body, no file);
- ``GET /resources/{id}``, ``POST /resources``, ``PATCH /resources/{id}``, ``DELETE /resources/{id}``;
- ``POST /resources/{id}/file`` (multipart ``file``): the resource's file, checked by content;
- ``GET /library/categories?group=``, ``GET /library/categories/{id}``, ``POST /library/categories``,
  ``PATCH /library/categories/{id}``, ``DELETE /library/categories/{id}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile

from tribu.api.errors import ApiError
from tribu.api.pagination import _page_url, max_page_size
from tribu.api.schemas import ErrorOut
from tribu.groups import queries as group_queries
from tribu.memberships.models import Tier

from . import actions, policies, queries
from .models import Category, Resource

router = Router(tags=["library"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}
KIND_PATTERN = "^(document|video|podcast|link|article)$"


class CategoryOut(Schema):
    id: int
    slug: str
    name: str
    name_fr: str
    name_en: str
    description: str
    parent_id: int | None
    group_id: int | None
    position: int
    url: str


class ResourceOut(Schema):
    id: int
    kind: str
    title: str
    summary: str
    locked: bool = Field(description="A teaser: the caller lacks the tiers that open it (see tier_ids).")
    body: str | None
    body_html: str | None
    url: str | None
    file_name: str | None
    file_size: int | None
    download_url: str | None
    cover_url: str | None
    cover_alt: str
    category_id: int | None
    group_id: int | None
    featured: bool
    published: bool
    tier_ids: list[int]
    restriction_mode: str
    download_count: int
    author_id: int | None
    discussion_url: str | None
    page_url: str
    can_edit: bool
    created_at: datetime
    updated_at: datetime


class ResourcePage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[ResourceOut]


class ResourceFilters(Schema):
    q: str = Field("", max_length=100)
    kind: str = Field("", pattern="^(|document|video|podcast|link|article)$")
    category: int | None = Field(None, ge=1)
    group: str = Field("", max_length=20, description="A group id, or community.")
    page: int = Field(1, ge=1)
    page_size: int | None = Field(None, ge=1)


class ResourceIn(Schema):
    group_id: int | None = Field(None, description="Empty: the community library.")
    kind: str = Field("document", pattern=KIND_PATTERN)
    title: str = Field(..., min_length=1, max_length=200)
    summary: str = Field("", max_length=400)
    body: str = Field("", max_length=actions.MAX_BODY)
    url: str = Field("", max_length=1000)
    category_id: int | None = None
    featured: bool = False
    published: bool = True
    tier_ids: list[int] = Field([], max_length=50)
    restriction_mode: str = Field("teaser", pattern="^(teaser|hidden)$")


class ResourcePatch(Schema):
    kind: str | None = Field(None, pattern=KIND_PATTERN)
    title: str | None = Field(None, min_length=1, max_length=200)
    summary: str | None = Field(None, max_length=400)
    body: str | None = Field(None, max_length=actions.MAX_BODY)
    url: str | None = Field(None, max_length=1000)
    category_id: int | None = None
    featured: bool | None = None
    published: bool | None = None
    tier_ids: list[int] | None = Field(None, max_length=50)
    restriction_mode: str | None = Field(None, pattern="^(teaser|hidden)$")


class CategoryIn(Schema):
    group_id: int | None = None
    name_fr: str = Field("", max_length=120)
    name_en: str = Field("", max_length=120)
    description_fr: str = Field("", max_length=5000)
    description_en: str = Field("", max_length=5000)
    parent_id: int | None = None
    position: int = Field(0, ge=0, le=10000)


class CategoryPatch(Schema):
    name_fr: str | None = Field(None, max_length=120)
    name_en: str | None = Field(None, max_length=120)
    description_fr: str | None = Field(None, max_length=5000)
    description_en: str | None = Field(None, max_length=5000)
    parent_id: int | None = None
    position: int | None = Field(None, ge=0, le=10000)


def _category_out(request: HttpRequest, c: Category) -> dict[str, Any]:
    return {"id": c.pk, "slug": c.slug, "name": c.name, "name_fr": c.name_fr, "name_en": c.name_en,
            "description": c.description, "parent_id": c.parent_id, "group_id": c.group_id, "position": c.position,
            "url": request.build_absolute_uri(reverse("library:category", args=[c.slug]))}


def _resource_out(request: HttpRequest, r: Resource) -> dict[str, Any]:
    locked = getattr(r, "locked", None)
    if locked is None:
        locked = not policies.can_open(request.user, r)
    absolute = request.build_absolute_uri
    discussion = None
    if not locked and r.discussion_id:
        from tribu.feed.actions import post_url

        discussion = absolute(post_url(r.discussion))
    return {
        "id": r.pk, "kind": r.kind, "title": r.title, "summary": r.summary, "locked": locked,
        "body": None if locked else r.body, "body_html": None if locked else r.body_html,
        "url": None if locked else (r.url or None),
        "file_name": None if locked or not r.file else r.file_name,
        "file_size": None if locked or not r.file else r.file_size,
        "download_url": None if locked or not r.file else absolute(reverse("library:download", args=[r.pk])),
        "cover_url": absolute(reverse("library:cover", args=[r.pk])) if r.cover else None,
        "cover_alt": r.cover_alt, "category_id": r.category_id, "group_id": r.group_id, "featured": r.featured,
        "published": r.published, "tier_ids": sorted(t.pk for t in r.required_tiers.all()),
        "restriction_mode": r.restriction_mode, "download_count": r.download_count, "author_id": r.author_id,
        "discussion_url": discussion, "page_url": absolute(reverse("library:detail", args=[r.pk])),
        "can_edit": getattr(r, "can_edit", None) if hasattr(r, "can_edit") else policies.can_edit(request.user, r),
        "created_at": r.created_at, "updated_at": r.updated_at,
    }


def _browse(request: HttpRequest) -> None:
    if not policies.can_browse(request.user):
        raise ApiError(403)


def _invalid(error: ValidationError) -> ApiError:
    details = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    return ApiError(422, message=error.messages[0], details=details)


def _refused(error: PermissionDenied) -> ApiError:
    return ApiError(403, message=str(error) or None)


def _resource(request: HttpRequest, resource_id: int) -> Resource:
    return queries.resource_for(request.user, resource_id)


def _group(request: HttpRequest, group_id: int | None) -> Any:
    return group_queries.group_by_id_for(request.user, group_id) if group_id else None


def _category(request: HttpRequest, category_id: int | None) -> Category | None:
    if not category_id:
        return None
    c = Category.objects.select_related("group", "parent").filter(pk=category_id).first()
    if c is None or not policies.can_view_category(request.user, c):
        raise ApiError(422, message=_("This category does not exist."), details={"category_id": [
            _("This category does not exist.")]})
    return c


def _tiers(ids: list[int]) -> list[Tier]:
    tiers = list(Tier.objects.filter(pk__in=ids))
    if len(tiers) != len(set(ids)):
        raise ApiError(422, message=_("Some of these tiers do not exist."),
                       details={"tier_ids": [_("Some of these tiers do not exist.")]})
    return tiers


@router.get("/resources", response={200: ResourcePage, **ERRORS}, summary="Library resources")
def list_resources(request: HttpRequest, filters: Query[ResourceFilters]) -> dict[str, Any]:
    _browse(request)
    parsed = queries.parse_filters({"q": filters.q, "kind": filters.kind, "category": filters.category,
                                    "group": filters.group})
    rows = queries.with_display(queries.listing(request.user, parsed))
    size = min(filters.page_size or max_page_size(), max_page_size())
    count = rows.count()
    last = max(1, -(-count // size))
    if filters.page > last:
        raise ApiError(404, "invalid_page", _("This page does not exist."))
    start = (filters.page - 1) * size
    results = queries.annotate_access(request.user, rows[start : start + size])
    return {
        "count": count,
        "next": _page_url(request, filters.page + 1, size) if filters.page < last else None,
        "previous": _page_url(request, filters.page - 1, size) if filters.page > 1 else None,
        "results": [_resource_out(request, r) for r in results],
    }


@router.get("/resources/{resource_id}", response={200: ResourceOut, **ERRORS}, summary="A resource")
def read_resource(request: HttpRequest, resource_id: int) -> dict[str, Any]:
    _browse(request)
    return _resource_out(request, _resource(request, resource_id))


@router.post("/resources", response={201: ResourceOut, **ERRORS}, summary="Add a resource")
def create_resource(request: HttpRequest, payload: ResourceIn) -> Status[dict[str, Any]]:
    _browse(request)
    group = _group(request, payload.group_id)
    try:
        resource = actions.create_resource(
            request.user, group=group, kind=payload.kind, title=payload.title, summary=payload.summary,
            body=payload.body, url=payload.url, category=_category(request, payload.category_id),
            featured=payload.featured, published=payload.published, tiers=_tiers(payload.tier_ids),
            restriction_mode=payload.restriction_mode,
        )
    except PermissionDenied as error:
        raise _refused(error) from None
    except ValidationError as error:
        raise _invalid(error) from None
    return Status(201, _resource_out(request, _resource(request, resource.pk)))


@router.patch("/resources/{resource_id}", response={200: ResourceOut, **ERRORS}, summary="Change a resource")
def update_resource(request: HttpRequest, resource_id: int, payload: ResourcePatch) -> dict[str, Any]:
    _browse(request)
    resource = _resource(request, resource_id)
    values = payload.model_dump(exclude_unset=True)
    tiers = _tiers(values.pop("tier_ids")) if values.get("tier_ids") is not None else None
    values.pop("tier_ids", None)
    if "category_id" in values:
        values["category"] = _category(request, values.pop("category_id"))
    values = {k: v for k, v in values.items() if v is not None or k == "category"}
    try:
        actions.update_resource(request.user, resource, tiers=tiers, **values)
    except PermissionDenied as error:
        raise _refused(error) from None
    except ValidationError as error:
        raise _invalid(error) from None
    return _resource_out(request, _resource(request, resource_id))


@router.post("/resources/{resource_id}/file", response={200: ResourceOut, **ERRORS},
             summary="Upload the resource's file")
def upload_file(request: HttpRequest, resource_id: int, file: File[UploadedFile]) -> dict[str, Any]:
    _browse(request)
    resource = _resource(request, resource_id)
    try:
        actions.update_resource(request.user, resource, file=file)
    except PermissionDenied as error:
        raise _refused(error) from None
    except ValidationError as error:
        raise _invalid(error) from None
    return _resource_out(request, _resource(request, resource_id))


@router.delete("/resources/{resource_id}", response={204: None, **ERRORS}, summary="Delete a resource")
def delete_resource(request: HttpRequest, resource_id: int) -> Status[None]:
    _browse(request)
    resource = _resource(request, resource_id)
    try:
        actions.delete_resource(request.user, resource)
    except PermissionDenied as error:
        raise _refused(error) from None
    return Status(204, None)


@router.get("/library/categories", response={200: list[CategoryOut], **ERRORS}, summary="Library categories")
def list_categories(request: HttpRequest, group: int | None = None) -> list[dict[str, Any]]:
    _browse(request)
    place = _group(request, group)
    if place is not None and not policies.can_read_place(request.user, place):
        raise ApiError(404)
    rows = Category.objects.filter(group=place).order_by("parent_id", "position", "name_fr", "id")
    return [_category_out(request, c) for c in rows[:1000]]


def _category_for(request: HttpRequest, category_id: int) -> Category:
    c = Category.objects.select_related("group", "parent").filter(pk=category_id).first()
    if c is None or not policies.can_view_category(request.user, c):
        raise ApiError(404)
    return c


@router.get("/library/categories/{category_id}", response={200: CategoryOut, **ERRORS}, summary="A category")
def read_category(request: HttpRequest, category_id: int) -> dict[str, Any]:
    _browse(request)
    return _category_out(request, _category_for(request, category_id))


@router.post("/library/categories", response={201: CategoryOut, **ERRORS}, summary="Create a category")
def create_category(request: HttpRequest, payload: CategoryIn) -> Status[dict[str, Any]]:
    _browse(request)
    group = _group(request, payload.group_id)
    try:
        c = actions.create_category(
            request.user, group=group, name_fr=payload.name_fr, name_en=payload.name_en,
            description_fr=payload.description_fr, description_en=payload.description_en,
            parent=_category(request, payload.parent_id), position=payload.position,
        )
    except PermissionDenied as error:
        raise _refused(error) from None
    except ValidationError as error:
        raise _invalid(error) from None
    return Status(201, _category_out(request, c))


@router.patch("/library/categories/{category_id}", response={200: CategoryOut, **ERRORS},
              summary="Change a category")
def update_category(request: HttpRequest, category_id: int, payload: CategoryPatch) -> dict[str, Any]:
    _browse(request)
    c = _category_for(request, category_id)
    values = payload.model_dump(exclude_unset=True)
    if "parent_id" in values:
        values["parent"] = _category(request, values.pop("parent_id"))
    values = {k: v for k, v in values.items() if v is not None or k == "parent"}
    try:
        actions.update_category(request.user, c, **values)
    except PermissionDenied as error:
        raise _refused(error) from None
    except ValidationError as error:
        raise _invalid(error) from None
    return _category_out(request, c)


@router.delete("/library/categories/{category_id}", response={204: None, **ERRORS}, summary="Delete a category")
def delete_category(request: HttpRequest, category_id: int) -> Status[None]:
    _browse(request)
    c = _category_for(request, category_id)
    try:
        actions.delete_category(request.user, c)
    except PermissionDenied as error:
        raise _refused(error) from None
    return Status(204, None)
