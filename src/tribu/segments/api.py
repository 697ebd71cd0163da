"""API v1: saved segments (the community team only).

- ``GET /segments`` — the segments with their member counts (counts may be a minute old);
- ``POST /segments`` — create ``{name, description, filters}``; ``GET|PATCH|DELETE /segments/{id}``;
- ``GET /segments/{id}/members`` — the members, paginated (counted live);
- ``POST /segments/count`` — the member count of filters that are not saved (the builder's live count);
- ``GET /segments/fields`` — the fields, operators and value types the filters accept.

``filters`` is ``{"match": "all" | "any", "rules": [{"field", "op", "value"}, ...]}``. Bad filters are a
422 whose ``details.filters`` lists one translated message per faulty rule.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from tribu.api.errors import ApiError
from tribu.api.pagination import PageNumberPagination, _page_url, max_page_size
from tribu.api.schemas import ErrorOut

from . import actions, policies, queries
from . import filters as F
from .models import Segment

router = Router(tags=["segments"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    filters: dict[str, Any]
    member_count: int = Field(description="Members matching now (may be up to a minute old in lists).")
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class SegmentPageOut(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[SegmentOut]


class SegmentIn(Schema):
    name: Any = Field(..., description="120 characters at most.")
    description: Any = Field("", description="300 characters at most.")
    filters: Any = Field(None, description='{"match": "all"|"any", "rules": [{"field", "op", "value"}]}')


class SegmentPatch(Schema):
    name: Any = None
    description: Any = None
    filters: Any = None


class CountIn(Schema):
    filters: Any = Field(None, description="Filters to evaluate without saving them.")


class CountOut(Schema):
    count: int
    message: str


class MemberOut(Schema):
    id: int
    email: str
    name: str
    first_name: str
    last_name: str
    language: str
    company: str | None

    @staticmethod
    def resolve_company(user: Any) -> str | None:
        try:
            return user.company_attachment.company.name
        except Exception:
            return None


class OpOut(Schema):
    op: str
    label: str
    value: str = Field(description="ids, choices, choice, days, date, number, text, bool, activity or none.")


class FieldOut(Schema):
    field: str
    label: str
    category: str
    operators: list[OpOut]
    options: list[dict[str, Any]] | None = Field(description="The values to pick from, for ids and choices.")


class PageQuery(Schema):
    page: int = Field(1, ge=1)
    page_size: int | None = Field(None, ge=1)


def _require(request: HttpRequest) -> None:
    if not policies.can_manage_segments(request.user):
        raise ApiError(403, message=_("Only the community team manages segments."))


def _out(segment: Segment, member_count: int) -> dict[str, Any]:
    return {
        "id": segment.pk,
        "name": segment.name,
        "description": segment.description,
        "filters": segment.filters or {},
        "member_count": member_count,
        "created_by": segment.created_by.name if segment.created_by_id and segment.created_by else None,
        "created_at": segment.created_at,
        "updated_at": segment.updated_at,
    }


def _segment(segment_id: int) -> Segment:
    return get_object_or_404(Segment.objects.select_related("created_by"), pk=segment_id)


def _count_message(n: int) -> str:
    if n == 0:
        return _("No member matches these filters: a campaign sent to them would reach no one.")
    return _("%(n)d members match these filters.") % {"n": n} if n > 1 else _("1 member matches these filters.")


@router.get("/segments", response={200: SegmentPageOut, 422: ErrorOut, **ERRORS}, summary="Segments")
def list_segments(request: HttpRequest, params: Query[PageQuery]) -> dict[str, Any]:
    _require(request)
    size = min(params.page_size or max_page_size(), max_page_size())
    qs = queries.segment_list()
    total = qs.count()
    last = max(1, -(-total // size))
    if params.page > last:
        raise ApiError(404, "invalid_page", _("This page does not exist."))
    segments = list(qs[(params.page - 1) * size : params.page * size])
    counts = queries.cached_counts(segments)
    return {
        "count": total,
        "next": _page_url(request, params.page + 1, size) if params.page < last else None,
        "previous": _page_url(request, params.page - 1, size) if params.page > 1 else None,
        "results": [_out(s, counts[s.pk]) for s in segments],
    }


@router.get("/segments/fields", response={200: list[FieldOut], **ERRORS}, summary="Fields segments filter on")
def list_fields(request: HttpRequest) -> list[dict[str, Any]]:
    _require(request)
    return [
        {
            "field": spec.key,
            "label": str(spec.label),
            "category": str(spec.category),
            "operators": [{"op": op.key, "label": str(op.label), "value": op.value} for op in spec.ops.values()],
            "options": [{"value": v, "label": str(label)} for v, label in spec.options()] if spec.options else None,
        }
        for spec in F.available_fields()
    ]


@router.post("/segments/count", response={200: CountOut, 422: ErrorOut, **ERRORS}, summary="Count unsaved filters")
def count_filters(request: HttpRequest, payload: CountIn) -> dict[str, Any]:
    _require(request)
    try:
        filters = F.validate(payload.filters)
    except ValidationError as error:
        raise ValidationError({"filters": error.messages}) from None
    n = queries.count(filters)
    return {"count": n, "message": _count_message(n)}


@router.post("/segments", response={201: SegmentOut, 422: ErrorOut, **ERRORS}, summary="Create a segment")
def create_segment(request: HttpRequest, payload: SegmentIn) -> Status[dict[str, Any]]:
    _require(request)
    segment = actions.create_segment(
        request.user, name=payload.name, description=payload.description or "", filters=payload.filters
    )
    return Status(201, _out(segment, queries.count(segment)))


@router.get("/segments/{segment_id}", response={200: SegmentOut, **ERRORS}, summary="A segment")
def read_segment(request: HttpRequest, segment_id: int) -> dict[str, Any]:
    _require(request)
    segment = _segment(segment_id)
    return _out(segment, queries.count(segment))


@router.patch("/segments/{segment_id}", response={200: SegmentOut, 422: ErrorOut, **ERRORS}, summary="Change a segment")
def update_segment(request: HttpRequest, segment_id: int, payload: SegmentPatch) -> dict[str, Any]:
    _require(request)
    segment = _segment(segment_id)
    values = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    actions.update_segment(request.user, segment, **values)
    return _out(segment, queries.count(segment))


@router.delete("/segments/{segment_id}", response={204: None, 409: ErrorOut, **ERRORS}, summary="Delete a segment")
def delete_segment(request: HttpRequest, segment_id: int) -> Status[None]:
    _require(request)
    segment = _segment(segment_id)
    try:
        actions.delete_segment(request.user, segment)
    except ValidationError as error:
        raise ApiError(409, message=" ".join(error.messages)) from None
    return Status(204, None)


@router.get(
    "/segments/{segment_id}/members",
    response={200: list[MemberOut], **ERRORS},
    summary="The members of a segment",
)
@paginate(PageNumberPagination)
def segment_members(request: HttpRequest, segment_id: int) -> Any:
    _require(request)
    segment = _segment(segment_id)
    return queries.members_of(segment).select_related("company_attachment__company").order_by("pk")
