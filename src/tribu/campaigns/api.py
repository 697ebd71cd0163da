"""API v1: email campaigns, for the community team only.

- ``GET /campaigns`` (paginated), ``POST /campaigns`` — list and create;
- ``GET /campaigns/{id}``, ``PATCH /campaigns/{id}`` — read and change a draft or scheduled campaign;
- ``POST /campaigns/{id}/schedule`` ``{"at": datetime | null}`` — schedule, or send now without ``at``;
- ``POST /campaigns/{id}/pause|resume|cancel``;
- ``GET /campaigns/{id}/stats`` — sent, delivered, bounced, opened, clicked (per link), unsubscribed,
  complaints, rates and hourly buckets.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from tribu.api.errors import ApiError
from tribu.api.pagination import PageNumberPagination
from tribu.api.schemas import ErrorOut
from tribu.segments.models import Segment

from . import actions, policies, queries
from .models import Campaign

router = Router(tags=["campaigns"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class CampaignOut(Schema):
    id: int
    kind: str
    name: str
    status: str
    subject_fr: str
    subject_en: str
    preheader_fr: str
    preheader_en: str
    blocks: list[dict[str, Any]]
    segment_id: int | None
    group_ids: list[int]
    rate_per_second: int
    scheduled_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    recipient_count: int
    period_start: date | None
    period_end: date | None
    created_at: datetime


class CampaignPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=160)
    kind: str | None = Field(None, pattern="^(campaign|newsletter)$")
    subject_fr: str | None = Field(None, max_length=200)
    subject_en: str | None = Field(None, max_length=200)
    preheader_fr: str | None = Field(None, max_length=200)
    preheader_en: str | None = Field(None, max_length=200)
    blocks: list[dict[str, Any]] | None = Field(None, description="Blocks: text, image, button, posts, events.")
    segment_id: int | None = None
    group_ids: list[int] | None = None
    rate_per_second: int | None = Field(None, ge=0, le=actions.MAX_RATE, description="0: as fast as possible.")


class CampaignIn(CampaignPatch):
    name: str = Field(..., min_length=1, max_length=160)


class ScheduleIn(Schema):
    at: datetime | None = Field(None, description="Empty: send now.")


class LinkStats(Schema):
    url: str
    clicks: int
    people: int


class HourStats(Schema):
    hour: datetime
    sent: int
    open: int
    click: int
    open_rate: float
    click_rate: float


class StatsOut(Schema):
    targeted: int
    queued: int
    sent: int
    delivered: int
    failed: int
    skipped: int
    cancelled: int
    bounced: int
    complaints: int
    opened: int
    clicked: int
    unsubscribed: int
    rates: dict[str, float]
    links: list[LinkStats]
    timeline: list[HourStats]
    skip_reasons: dict[str, int]


def _team(request: HttpRequest) -> None:
    if not policies.can_manage_campaigns(request.user):
        raise ApiError(403)


def _values(payload: Schema) -> dict[str, Any]:
    values = payload.model_dump(exclude_unset=True)
    if "segment_id" in values:
        segment_id = values.pop("segment_id")
        segment = None
        if segment_id is not None:
            segment = Segment.objects.filter(pk=segment_id).first()
            if segment is None:
                raise ValidationError({"segment_id": [_("This segment does not exist.")]})
        values["segment"] = segment
    for key in ("name", "kind", "blocks", "group_ids", "rate_per_second"):
        if key in values and values[key] is None:
            values.pop(key)
    for key in ("subject_fr", "subject_en", "preheader_fr", "preheader_en"):
        if key in values and values[key] is None:
            values[key] = ""
    return values


def _campaign(pk: int) -> Campaign:
    return queries.campaign_or_404(pk)


def _conflict(error: ValidationError) -> ApiError:
    if hasattr(error, "error_dict"):
        return ApiError(422, message=" ".join(error.messages), details=error.message_dict)
    return ApiError(409, message=" ".join(error.messages))


@router.get("/campaigns", response={200: list[CampaignOut], **ERRORS}, summary="Email campaigns")
@paginate(PageNumberPagination)
def list_campaigns(request: HttpRequest) -> Any:
    _team(request)
    return Campaign.objects.order_by("-created_at", "-id")


@router.post("/campaigns", response={201: CampaignOut, 422: ErrorOut, **ERRORS}, summary="Create a campaign")
def create_campaign(request: HttpRequest, payload: CampaignIn) -> Status[Campaign]:
    _team(request)
    try:
        campaign = actions.create_campaign(request.user, **_values(payload))
    except ValidationError as error:
        raise _conflict(error) from None
    return Status(201, campaign)


@router.get("/campaigns/{campaign_id}", response={200: CampaignOut, **ERRORS}, summary="A campaign")
def read_campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    _team(request)
    return _campaign(campaign_id)


@router.patch(
    "/campaigns/{campaign_id}",
    response={200: CampaignOut, 409: ErrorOut, 422: ErrorOut, **ERRORS},
    summary="Change a draft or scheduled campaign",
)
def update_campaign(request: HttpRequest, campaign_id: int, payload: CampaignPatch) -> Campaign:
    _team(request)
    campaign = _campaign(campaign_id)
    try:
        return actions.update_campaign(request.user, campaign, _values(payload))
    except ValidationError as error:
        raise _conflict(error) from None


@router.post(
    "/campaigns/{campaign_id}/schedule",
    response={200: CampaignOut, 409: ErrorOut, 422: ErrorOut, **ERRORS},
    summary="Schedule a campaign, or send it now",
)
def schedule_campaign(request: HttpRequest, campaign_id: int, payload: ScheduleIn) -> Campaign:
    _team(request)
    campaign = _campaign(campaign_id)
    try:
        actions.schedule_campaign(request.user, campaign, payload.at)
    except ValidationError as error:
        raise _conflict(error) from None
    return _campaign(campaign_id)


def _transition(action: Any) -> Any:
    def endpoint(request: HttpRequest, campaign_id: int) -> Campaign:
        _team(request)
        campaign = _campaign(campaign_id)
        try:
            action(request.user, campaign)
        except ValidationError as error:
            raise _conflict(error) from None
        return _campaign(campaign_id)

    return endpoint


for _name, _action, _summary in (
    ("pause", actions.pause_campaign, "Pause sending"),
    ("resume", actions.resume_campaign, "Resume sending"),
    ("cancel", actions.cancel_campaign, "Cancel a campaign"),
):
    router.post(
        f"/campaigns/{{campaign_id}}/{_name}",
        response={200: CampaignOut, 409: ErrorOut, **ERRORS},
        summary=_summary,
        operation_id=f"campaigns_{_name}",
    )(_transition(_action))


@router.get("/campaigns/{campaign_id}/stats", response={200: StatsOut, **ERRORS}, summary="Campaign statistics")
def campaign_stats(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    if not policies.can_view_statistics(request.user):
        raise ApiError(403)
    return queries.statistics(_campaign(campaign_id))
