"""API v1: membership tiers and memberships, with the pages' permissions and validation.

- ``GET /tiers`` — people with an account (the team may add ``?archived=true``);
  ``POST /tiers``, ``PATCH /tiers/{id}``, ``DELETE /tiers/{id}`` (archives it) — admins;
- ``GET /me/membership`` — your current membership, your company's, the history;
  ``POST /me/membership`` — choose a self-selectable tier;
- ``GET /memberships?tier=&status=&expiring=&q=&holder=&page=&page_size=`` — the team;
- ``POST /memberships`` (grant to ``user_id`` or ``company_id``), ``POST /memberships/{id}/extend``,
  ``/change-tier``, ``/cancel``, ``/activate`` — the team; a ``reason`` is required (422 without).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import field_validator

from tribu.accounts.models import User
from tribu.api.errors import ApiError
from tribu.api.pagination import _page_url, max_page_size
from tribu.api.schemas import ErrorOut
from tribu.core.policies import is_member_area_allowed, is_team

from . import actions, policies, queries
from .models import Membership, Period, Tier
from .money import format_money

router = Router(tags=["memberships"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class TierOut(Schema):
    id: int
    slug: str
    name: str
    name_fr: str
    name_en: str
    description: str
    price_cents: int
    currency: str
    price: str = Field(description="The price written for the reader's language (« 60,00 € », €60.00).")
    period: str
    calendar_start_month: int
    is_guest: bool
    trial_days: int | None
    downgrade_to: int | None
    seats: int | None
    grace_days: int
    self_selectable: bool
    position: int
    active: bool


def _tier_out(tier: Tier) -> dict[str, Any]:
    return {
        "id": tier.pk, "slug": tier.slug, "name": tier.name, "name_fr": tier.name_fr, "name_en": tier.name_en,
        "description": tier.description, "price_cents": tier.price_cents, "currency": tier.currency,
        "price": format_money(tier.price_cents, tier.currency), "period": tier.period,
        "calendar_start_month": tier.calendar_start_month, "is_guest": tier.is_guest, "trial_days": tier.trial_days,
        "downgrade_to": tier.downgrade_to_id, "seats": tier.seats, "grace_days": tier.grace_days,
        "self_selectable": tier.self_selectable, "position": tier.position, "active": tier.active,
    }


class TierIn(Schema):
    name_fr: str | None = Field(None, max_length=80)
    name_en: str | None = Field(None, max_length=80)
    description_fr: str | None = Field(None, max_length=5000)
    description_en: str | None = Field(None, max_length=5000)
    price_cents: int | None = Field(None, ge=0, le=10_000_000_000)
    currency: str | None = Field(None, max_length=3)
    period: str | None = Field(None, description="monthly, yearly, calendar_year, lifetime or free.")
    calendar_start_month: int | None = Field(None, ge=1, le=12)
    is_guest: bool | None = None
    trial_days: int | None = Field(None, ge=1, le=3650)
    downgrade_to: int | None = None
    seats: int | None = Field(None, ge=1, le=100_000)
    grace_days: int | None = Field(None, ge=0, le=3650)
    self_selectable: bool | None = None

    @field_validator("period")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        if value is not None and value not in Period.values:
            raise ValueError(_("Choose a period: monthly, yearly, calendar_year, lifetime or free."))
        return value


def _tier_values(payload: TierIn) -> dict[str, Any]:
    values = payload.dict(exclude_unset=True)
    for key in ("name_fr", "price_cents", "currency", "period", "calendar_start_month", "is_guest", "grace_days",
                "self_selectable"):
        if key in values and values[key] is None:
            del values[key]  # these cannot be emptied; null means "leave as is"
    if "downgrade_to" in values:
        target = values["downgrade_to"]
        values["downgrade_to"] = None if target is None else get_object_or_404(Tier, pk=target)
    for key in ("name_en", "description_fr", "description_en"):
        if key in values and values[key] is None:
            values[key] = ""
    return values


@router.get("/tiers", response={200: list[TierOut], **ERRORS}, summary="Membership tiers")
def list_tiers(request: HttpRequest, archived: bool = False) -> list[dict[str, Any]]:
    if not is_member_area_allowed(request.user):
        raise ApiError(403)
    rows = queries.tiers(include_archived=archived and is_team(request.user))
    return [_tier_out(t) for t in rows]


@router.post("/tiers", response={201: TierOut, 422: ErrorOut, **ERRORS}, summary="Create a tier (admins)")
def create_tier(request: HttpRequest, payload: TierIn) -> Status[dict[str, Any]]:
    if not policies.can_manage_tiers(request.user):
        raise ApiError(403)
    values = _tier_values(payload)
    values.setdefault("name_fr", "")
    return Status(201, _tier_out(actions.create_tier(request.user, **values)))


@router.patch("/tiers/{tier_id}", response={200: TierOut, 422: ErrorOut, **ERRORS}, summary="Edit a tier (admins)")
def update_tier(request: HttpRequest, tier_id: int, payload: TierIn) -> dict[str, Any]:
    if not policies.can_manage_tiers(request.user):
        raise ApiError(403)
    tier = get_object_or_404(Tier, pk=tier_id)
    return _tier_out(actions.update_tier(request.user, tier, **_tier_values(payload)))


@router.delete("/tiers/{tier_id}", response={204: None, **ERRORS}, summary="Archive a tier (admins)")
def archive_tier(request: HttpRequest, tier_id: int) -> Status[None]:
    if not policies.can_manage_tiers(request.user):
        raise ApiError(403)
    actions.archive_tier(request.user, get_object_or_404(Tier, pk=tier_id))
    return Status(204, None)


# --- memberships ------------------------------------------------------------------------------------------


class TierRef(Schema):
    id: int
    name: str


class MembershipOut(Schema):
    id: int
    user_id: int | None
    company_id: int | None
    holder_name: str
    tier: TierRef
    status: str
    starts_on: date | None
    ends_on: date | None
    is_trial: bool
    source: str


def _membership_out(m: Membership) -> dict[str, Any]:
    holder = m.user.name if m.user_id else m.company.name
    return {
        "id": m.pk, "user_id": m.user_id, "company_id": m.company_id, "holder_name": holder,
        "tier": {"id": m.tier_id, "name": m.tier.name}, "status": m.status, "starts_on": m.starts_on,
        "ends_on": m.ends_on, "is_trial": m.is_trial, "source": m.source,
    }


class EventOut(Schema):
    at: datetime
    verb: str
    text: str
    reason: str
    membership_id: int | None


class MyMembershipOut(Schema):
    current: MembershipOut | None
    company: MembershipOut | None = Field(description="Your company's current membership, if any.")
    covered_by_company_seat: bool
    tier_ids: list[int] = Field(description="The tiers that open content for you now.")
    history: list[EventOut]


@router.get("/me/membership", response={200: MyMembershipOut, **ERRORS}, summary="Your membership")
def my_membership(request: HttpRequest) -> dict[str, Any]:
    from . import access

    if not policies.can_view_own_membership(request.user):
        raise ApiError(403)
    o = queries.overview(request.user)
    return {
        "current": _membership_out(o.current) if o.current else None,
        "company": _membership_out(o.company_membership) if o.company_membership else None,
        "covered_by_company_seat": o.seat_covered,
        "tier_ids": sorted(access.effective_tier_ids(request.user)),
        "history": [
            {"at": e.when, "verb": e.verb, "text": e.text, "reason": e.reason, "membership_id": e.membership_id}
            for e in o.history
        ],
    }


class ChooseIn(Schema):
    tier_id: int


@router.post("/me/membership", response={201: MembershipOut, 422: ErrorOut, **ERRORS},
             summary="Choose a self-selectable tier")
def choose(request: HttpRequest, payload: ChooseIn) -> Status[dict[str, Any]]:
    tier = get_object_or_404(Tier, pk=payload.tier_id, active=True)
    if not policies.can_choose_tier(request.user, tier):
        raise ApiError(403)
    return Status(201, _membership_out(actions.choose_tier(request.user, tier)))


class MembershipFilters(Schema):
    tier: int | None = None
    status: str = Field("", description="pending, active, grace, expired, cancelled or current.")
    expiring: int | None = Field(None, ge=0, le=3660, description="Ending within this many days.")
    q: str = Field("", max_length=100, description="Name, email or company.")
    holder: str = Field("", pattern="^(|user|company)$")
    page: int = Field(1, ge=1)
    page_size: int | None = Field(None, ge=1)


class MembershipPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[MembershipOut]


@router.get("/memberships", response={200: MembershipPage, **ERRORS}, summary="Memberships (the team)")
def list_memberships(request: HttpRequest, filters: Query[MembershipFilters]) -> dict[str, Any]:
    if not policies.can_manage_memberships(request.user):
        raise ApiError(403)
    rows = queries.memberships(queries.parse_filters(request.GET))
    size = min(filters.page_size or max_page_size(), max_page_size())
    count = rows.count()
    last = max(1, -(-count // size))
    if filters.page > last:
        raise ApiError(404, "invalid_page", _("This page does not exist."))
    start = (filters.page - 1) * size
    return {
        "count": count,
        "next": _page_url(request, filters.page + 1, size) if filters.page < last else None,
        "previous": _page_url(request, filters.page - 1, size) if filters.page > 1 else None,
        "results": [_membership_out(m) for m in rows[start:start + size]],
    }


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500, description="Kept in the membership's history.")


class GrantIn(ReasonIn):
    tier_id: int
    user_id: int | None = None
    company_id: int | None = None
    starts_on: date | None = None
    ends_on: date | None = None


class ExtendIn(ReasonIn):
    to: date | None = Field(None, description="Empty: one more period.")


class ChangeTierIn(ReasonIn):
    tier_id: int
    ends_on: date | None = Field(None, description="Empty: keep the end date.")


def _staff(request: HttpRequest) -> None:
    if not policies.can_manage_memberships(request.user):
        raise ApiError(403)


def _membership(membership_id: int) -> Membership:
    return get_object_or_404(Membership.objects.select_related("tier", "user", "company"), pk=membership_id)


@router.post("/memberships", response={201: MembershipOut, 422: ErrorOut, **ERRORS}, summary="Grant a membership")
def grant(request: HttpRequest, payload: GrantIn) -> Status[dict[str, Any]]:
    from tribu.companies.models import Company

    _staff(request)
    if (payload.user_id is None) == (payload.company_id is None):
        raise ApiError(422, message=_("Give either user_id or company_id."))
    tier = get_object_or_404(Tier, pk=payload.tier_id)
    user = get_object_or_404(User, pk=payload.user_id) if payload.user_id else None
    company = get_object_or_404(Company, pk=payload.company_id) if payload.company_id else None
    m = actions.grant(request.user, tier=tier, reason=payload.reason, user=user, company=company,
                      starts_on=payload.starts_on, ends_on=payload.ends_on)
    return Status(201, _membership_out(m))


@router.post("/memberships/{membership_id}/extend", response={200: MembershipOut, 422: ErrorOut, **ERRORS},
             summary="Extend a membership")
def extend(request: HttpRequest, membership_id: int, payload: ExtendIn) -> dict[str, Any]:
    _staff(request)
    return _membership_out(actions.extend(request.user, _membership(membership_id), reason=payload.reason,
                                          to=payload.to))


@router.post("/memberships/{membership_id}/change-tier", response={200: MembershipOut, 422: ErrorOut, **ERRORS},
             summary="Change a membership's tier")
def change_tier(request: HttpRequest, membership_id: int, payload: ChangeTierIn) -> dict[str, Any]:
    _staff(request)
    tier = get_object_or_404(Tier, pk=payload.tier_id)
    return _membership_out(actions.change_tier(request.user, _membership(membership_id), tier=tier,
                                               reason=payload.reason, ends_on=payload.ends_on))


@router.post("/memberships/{membership_id}/cancel", response={200: MembershipOut, 422: ErrorOut, **ERRORS},
             summary="Cancel a membership")
def cancel(request: HttpRequest, membership_id: int, payload: ReasonIn) -> dict[str, Any]:
    _staff(request)
    return _membership_out(actions.cancel(request.user, _membership(membership_id), reason=payload.reason))


@router.post("/memberships/{membership_id}/activate", response={200: MembershipOut, 422: ErrorOut, **ERRORS},
             summary="Activate a pending membership")
def activate(request: HttpRequest, membership_id: int, payload: ReasonIn) -> dict[str, Any]:
    _staff(request)
    return _membership_out(actions.activate(request.user, _membership(membership_id), reason=payload.reason))


