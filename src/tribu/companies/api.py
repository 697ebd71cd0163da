"""API v1: member companies, with the pages' permissions and validation.

- ``GET /companies?q=&sector=&size=&city=&level=&sort=name|newest&page=&page_size=`` (repeat a filter
  for several values) — people with an account (and the tier rule of the "companies" area);
- ``GET /companies/{slug}`` — public pages for anyone, members-only pages for people with an account;
  lists the attached members the caller may see and, for contacts and the team, the seats;
- ``POST /companies``, ``PATCH /companies/{slug}``, ``DELETE /companies/{slug}`` — the team (a company's
  contacts may PATCH their own company, but not its partner level);
- ``GET|POST /companies/{slug}/invitations``, ``DELETE /companies/{slug}/invitations/{id}``,
  ``DELETE /companies/{slug}/members/{user_id}`` — the company's contacts and the team.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import field_validator

from tribu.api.auth import BearerTokenAuth, SessionAuth
from tribu.api.errors import ApiError
from tribu.api.pagination import _page_url, max_page_size
from tribu.api.schemas import ErrorOut
from tribu.core.markdown import render_markdown
from tribu.core.policies import is_member_area_allowed
from tribu.memberships.access import check_area

from . import actions, policies, queries
from .models import Company, CompanyInvitation, CompanyMember, CompanySize, PageVisibility, PartnerLevel
from .validators import normalise_siret, normalise_vat, validate_siret, validate_vat

router = Router(tags=["companies"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}


def _anonymous(request: HttpRequest) -> bool:
    """Lets anonymous callers through to endpoints that decide for themselves (public company pages)."""
    return True


OPTIONAL_AUTH = [BearerTokenAuth(), SessionAuth(), _anonymous]


class LevelRef(Schema):
    id: int
    name: str
    position: int


class CompanyOut(Schema):
    id: int
    slug: str
    name: str
    sector: str
    size: str
    city: str
    country: str
    website: str
    partner_level: LevelRef | None
    page_visibility: str
    logo_url: str | None
    member_count: int
    url: str


class MemberOut(Schema):
    id: int
    name: str
    is_contact: bool


class SeatsOut(Schema):
    used: int
    total: int | None = Field(description="Empty: the company holds no seat-bearing membership (no limit).")
    tier: str | None
    ends_on: date | None


class CompanyDetailOut(CompanyOut):
    address: str
    postcode: str
    siret: str
    vat_number: str
    description: str
    description_html: str
    members: list[MemberOut] = Field(description="The attached members you may see.")
    seats: SeatsOut | None = Field(description="For the company's contacts and the team.")


class CompanyPageOut(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[CompanyOut]


class CompanyFilters(Schema):
    q: str = Field("", max_length=200, description="Name, sector or city.")
    sector: list[str] = Field([], description="Sectors (any of them).")
    size: list[str] = Field([], description="Sizes: 1-9, 10-49, 50-249, 250+ (any of them).")
    city: list[str] = Field([], description="Cities (any of them).")
    level: list[int] = Field([], description="Partner level ids (any of them).")
    sort: str = Field("name", pattern="^(name|newest)$")
    page: int = Field(1, ge=1)
    page_size: int | None = Field(None, ge=1, description="Items per page (capped by the server).")


class _CompanyFields(Schema):
    sector: str | None = Field(None, max_length=120)
    size: str | None = Field(None, description="1-9, 10-49, 50-249 or 250+ (empty: unknown).")
    address: str | None = Field(None, max_length=240)
    postcode: str | None = Field(None, max_length=16)
    city: str | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=100)
    website: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=20000, description="Markdown.")
    siret: str | None = Field(None, max_length=20, description="14 digits.")
    vat_number: str | None = Field(None, max_length=30, description="EU VAT number, e.g. FR32123456789.")
    partner_level_id: int | None = Field(None, description="The team only.")
    page_visibility: str | None = Field(None, pattern="^(public|members)$")

    @field_validator("siret")
    @classmethod
    def _siret(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            validate_siret(value)
        except ValidationError as error:
            raise ValueError(error.messages[0]) from None
        return normalise_siret(value)

    @field_validator("vat_number")
    @classmethod
    def _vat(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = normalise_vat(value)
        try:
            validate_vat(value)
        except ValidationError as error:
            raise ValueError(error.messages[0]) from None
        return value

    @field_validator("size")
    @classmethod
    def _size(cls, value: str | None) -> str | None:
        if value and value not in CompanySize.values:
            raise ValueError(_("Choose a size among %(sizes)s.") % {"sizes": ", ".join(CompanySize.values)})
        return value


class CompanyIn(_CompanyFields):
    name: str = Field(..., min_length=1, max_length=160)


class CompanyPatch(_CompanyFields):
    name: str | None = Field(None, min_length=1, max_length=160)


class InvitationIn(Schema):
    emails: list[str] = Field(..., min_length=1, max_length=actions.MAX_EMAILS_PER_INVITE)


class InvitationOut(Schema):
    id: int
    email: str
    created_at: datetime
    expires_at: datetime


def _company_out(request: HttpRequest, company: Company, member_count: int | None = None) -> dict[str, Any]:
    level = company.partner_level
    return {
        "id": company.pk,
        "slug": company.slug,
        "name": company.name,
        "sector": company.sector,
        "size": company.size,
        "city": company.city,
        "country": company.country,
        "website": company.website,
        "partner_level": {"id": level.pk, "name": level.name, "position": level.position} if level else None,
        "page_visibility": company.page_visibility,
        "logo_url": request.build_absolute_uri(company.logo.url) if company.logo else None,
        "member_count": member_count if member_count is not None else getattr(company, "member_count", 0),
        "url": request.build_absolute_uri(f"/companies/{company.slug}/"),
    }


def _detail_out(request: HttpRequest, company: Company) -> dict[str, Any]:
    user = request.user
    rows = queries.attachments(company) if is_member_area_allowed(user) else []
    members = queries.visible_members(user, company, rows)
    seats = None
    if policies.can_see_membership(user, company):
        usage = queries.seats(company)
        membership = usage["membership"]
        seats = {
            "used": usage["used"],
            "total": usage["total"],
            "tier": membership.tier.name if membership else None,
            "ends_on": membership.ends_on if membership else None,
        }
    member_count = len(rows) if rows else CompanyMember.objects.filter(company=company).count()
    return {
        **_company_out(request, company, member_count),
        "address": company.address,
        "postcode": company.postcode,
        "siret": company.siret,
        "vat_number": company.vat_number,
        "description": company.description,
        "description_html": str(render_markdown(company.description)),
        "members": [{"id": m.user_id, "name": m.user.name, "is_contact": m.is_contact} for m in members],
        "seats": seats,
    }


def _values(payload: Schema) -> dict[str, Any]:
    values = payload.model_dump(exclude_unset=True)
    if "partner_level_id" in values:
        level_id = values.pop("partner_level_id")
        level = None
        if level_id is not None:
            level = PartnerLevel.objects.filter(pk=level_id).first()
            if level is None:
                raise ValidationError({"partner_level_id": [_("This partner level does not exist.")]})
        values["partner_level"] = level
    for key, value in list(values.items()):
        if value is None and key != "partner_level":
            values[key] = ""
    return values


def _company(slug: str) -> Company:
    return queries.company_or_404(slug)


@router.get("/companies", response={200: CompanyPageOut, 422: ErrorOut, **ERRORS}, summary="Search member companies")
def list_companies(request: HttpRequest, filters: Query[CompanyFilters]) -> dict[str, Any]:
    if not policies.can_browse_directory(request.user):
        raise ApiError(403)
    check_area(request.user, "companies")
    parsed = queries.parse_filters(request.GET)
    size = min(filters.page_size or max_page_size(), max_page_size())
    qs = queries.directory(parsed)
    count = qs.count()
    last = max(1, -(-count // size))
    if filters.page > last:
        raise ApiError(404, "invalid_page", _("This page does not exist."))
    start = (filters.page - 1) * size
    return {
        "count": count,
        "next": _page_url(request, filters.page + 1, size) if filters.page < last else None,
        "previous": _page_url(request, filters.page - 1, size) if filters.page > 1 else None,
        "results": [_company_out(request, c) for c in qs[start : start + size]],
    }


@router.get(
    "/companies/{slug}", response={200: CompanyDetailOut, **ERRORS}, auth=OPTIONAL_AUTH, summary="A company"
)
def read_company(request: HttpRequest, slug: str) -> dict[str, Any]:
    company = _company(slug)
    if not policies.can_view_company(request.user, company):
        raise ApiError(401)
    if company.page_visibility == PageVisibility.MEMBERS and not (
        policies.can_manage_people(request.user, company) or policies.is_attached_to(request.user, company)
    ):
        check_area(request.user, "companies")
    return _detail_out(request, company)


@router.post("/companies", response={201: CompanyDetailOut, 422: ErrorOut, **ERRORS}, summary="Create a company")
def create_company(request: HttpRequest, payload: CompanyIn) -> Status[dict[str, Any]]:
    if not policies.can_manage_companies(request.user):
        raise ApiError(403)
    company = actions.create_company(request.user, **_values(payload))
    return Status(201, _detail_out(request, company))


@router.patch(
    "/companies/{slug}", response={200: CompanyDetailOut, 422: ErrorOut, **ERRORS}, summary="Change a company"
)
def update_company(request: HttpRequest, slug: str, payload: CompanyPatch) -> dict[str, Any]:
    company = _company(slug)
    if not policies.can_edit_company(request.user, company):
        raise ApiError(403)
    values = _values(payload)
    if "partner_level" in values and not policies.can_set_partner_level(request.user):
        raise ApiError(403, message=_("You may not change the partner level."))
    actions.update_company(request.user, company, values)
    return _detail_out(request, queries.company_or_404(company.slug))


@router.delete("/companies/{slug}", response={204: None, 409: ErrorOut, **ERRORS}, summary="Delete a company")
def delete_company(request: HttpRequest, slug: str) -> Status[None]:
    company = _company(slug)
    if not policies.can_manage_companies(request.user):
        raise ApiError(403)
    try:
        actions.delete_company(request.user, company)
    except ValidationError as error:
        raise ApiError(409, message=" ".join(error.messages)) from None
    return Status(204, None)


@router.get(
    "/companies/{slug}/invitations", response={200: list[InvitationOut], **ERRORS}, summary="Pending invitations"
)
def list_invitations(request: HttpRequest, slug: str) -> Any:
    company = _company(slug)
    if not policies.can_invite(request.user, company):
        raise ApiError(403)
    return list(queries.pending_invitations(company)[:500])


@router.post(
    "/companies/{slug}/invitations",
    response={201: list[InvitationOut], 422: ErrorOut, **ERRORS},
    summary="Invite colleagues by email",
)
def invite(request: HttpRequest, slug: str, payload: InvitationIn) -> Status[list[CompanyInvitation]]:
    company = _company(slug)
    if not policies.can_invite(request.user, company):
        raise ApiError(403)
    emails = actions.check_emails(actions.parse_emails(" ".join(payload.emails)))
    try:
        sent = actions.invite_colleagues(request.user, company, emails)
    except actions.InvitationsRateLimited as limited:
        message = _("You have sent the %(n)d invitations allowed today: try again tomorrow.") % {"n": limited.limit}
        raise ApiError(429, message=message) from None
    return Status(201, sent)


@router.delete(
    "/companies/{slug}/invitations/{invitation_id}",
    response={204: None, 409: ErrorOut, **ERRORS},
    summary="Withdraw an invitation",
)
def revoke(request: HttpRequest, slug: str, invitation_id: int) -> Status[None]:
    company = _company(slug)
    if not policies.can_invite(request.user, company):
        raise ApiError(403)
    try:
        actions.revoke_invitation(request.user, company, invitation_id)
    except ValidationError as error:
        raise ApiError(409, message=" ".join(error.messages)) from None
    return Status(204, None)


@router.delete(
    "/companies/{slug}/members/{user_id}", response={204: None, **ERRORS}, summary="Detach a member"
)
def remove_member(request: HttpRequest, slug: str, user_id: int) -> Status[None]:
    company = _company(slug)
    if not policies.can_manage_people(request.user, company):
        raise ApiError(403)
    try:
        actions.remove_member(request.user, company, user_id)
    except PermissionDenied as denied:
        raise ApiError(403, message=str(denied) or None) from None
    return Status(204, None)
