"""API v1: the members directory, with the page's visibility rules and facets.

``GET /api/v1/directory/members?q=&tier=&skill=&interest=&region=&country=&city=&company=&f_<key>=
&f_<key>_min=&f_<key>_max=&sort=name|newest|active&page=&page_size=`` (repeat a parameter for several
values: ``?skill=3&skill=7``)."""

from __future__ import annotations

from typing import Any

from django.core.paginator import EmptyPage
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from tribu.api.errors import ApiError
from tribu.api.pagination import _page_url, max_page_size
from tribu.api.schemas import ErrorOut
from tribu.memberships.access import check_area

from . import policies, queries

router = Router()


class CompanyRef(Schema):
    id: int
    name: str


class MemberOut(Schema):
    id: int
    name: str
    job_title: str = Field(description="Empty when not filled in or not visible to you.")
    organisation: str
    city: str
    region: str
    country: str
    company: CompanyRef | None
    photo_url: str | None
    profile_url: str | None
    hidden: bool = Field(description="Hidden from the directory (only the community team sees these).")


class FacetOption(Schema):
    value: str
    label: str
    count: int
    selected: bool


class Facet(Schema):
    param: str = Field(description="The query-string parameter this facet filters on.")
    label: str
    kind: str = Field(description="choice (repeat the parameter) or range (<param>_min, <param>_max).")
    options: list[FacetOption]


class DirectoryPageOut(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[MemberOut]
    facets: list[Facet]


class DirectoryQuery(Schema):
    """Documented filters; custom fields use ``f_<key>`` (see each facet's ``param``)."""

    q: str = Field("", max_length=200, description="Name, job, organisation, skill, interest, place or company.")
    tier: list[int] = Field([], description="Tier ids (any of them).")
    skill: list[int] = Field([], description="Skill tag ids (any of them).")
    interest: list[int] = Field([], description="Interest tag ids (any of them).")
    region: list[str] = Field([], description="Region names (any of them).")
    country: list[str] = Field([], description="Country names (any of them).")
    city: list[str] = Field([], description="City names (any of them).")
    company: list[int] = Field([], description="Company ids (any of them).")
    sort: str = Field("name", pattern="^(name|newest|active)$")
    page: int = Field(1, ge=1)
    page_size: int | None = Field(None, ge=1, description="Items per page (capped by the server).")


@router.get(
    "/directory/members",
    response={200: DirectoryPageOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    tags=["directory"],
    summary="Search the members directory",
)
def list_members(request: HttpRequest, filters: Query[DirectoryQuery]) -> dict[str, Any]:
    user = request.user
    if not policies.can_browse_directory(user):
        raise ApiError(403)
    check_area(user, "directory")
    viewer = queries.viewer_for(user)
    parsed = queries.parse_filters(request.GET, viewer)
    entries = queries.search(viewer, parsed)
    size = min(filters.page_size or max_page_size(), max_page_size())
    paginator = queries.page_of(entries, 1, size, viewer=viewer, filters=parsed).paginator
    try:
        page = paginator.page(filters.page)
    except EmptyPage:
        raise ApiError(404, "invalid_page", _("This page does not exist.")) from None
    results = []
    for entry in page.object_list:
        card = queries.card(viewer, entry)
        results.append(
            {
                **{k: card[k] for k in ("id", "name", "job_title", "organisation", "city", "region", "country")},
                "company": {"id": card["company_id"], "name": card["company_name"]} if card["company_id"] else None,
                "photo_url": request.build_absolute_uri(card["photo_url"]) if card["photo_url"] else None,
                "profile_url": request.build_absolute_uri(card["profile_url"]) if card["profile_url"] else None,
                "hidden": card["hidden"],
            }
        )
    return {
        "count": page.paginator.count,
        "next": _page_url(request, page.number + 1, size) if page.has_next() else None,
        "previous": _page_url(request, page.number - 1, size) if page.has_previous() else None,
        "results": results,
        "facets": queries.facets(viewer, parsed, entries),
    }
