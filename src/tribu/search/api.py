"""API v1: search (``GET /api/v1/search?q=&kind=&group=&author=&tag=&from=&to=&sort=&page=&page_size=``),
with the page's rules: only what the caller may see, in the results and in the counts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from tribu.api.errors import ApiError
from tribu.api.pagination import _page_url, max_page_size
from tribu.api.schemas import ErrorOut

from . import policies, queries

router = Router(tags=["search"])


class Ref(Schema):
    id: int
    name: str


class HitOut(Schema):
    kind: str = Field(description="post, comment, resource, event, group or member.")
    id: int
    title: str
    title_html: str = Field(description="The title, HTML-escaped, matching words in <mark>.")
    snippet_html: str = Field(description="An extract, HTML-escaped, matching words in <mark>.")
    url: str | None
    group: Ref | None
    author: Ref | None
    created_at: datetime | None
    teaser: bool = Field(description="Tier-gated content: only its teaser is searchable for you.")


class GroupFacet(Schema):
    id: int
    name: str
    count: int


class SearchOut(Schema):
    count: int = Field(description="Results of the requested kind (all kinds when none).")
    counts: dict[str, int] = Field(description="Results per kind, for tabs.")
    groups: list[GroupFacet]
    next: str | None
    previous: str | None
    results: list[HitOut]
    warnings: list[str]


class SearchQuery(Schema):
    q: str = Field("", max_length=400, description="Words to find (accents and word endings are ignored).")
    kind: str = Field("", pattern="^(|post|comment|resource|event|group|member)$")
    group: int | None = Field(None, ge=1)
    author: int | None = Field(None, ge=1)
    tag: str = Field("", max_length=60)
    from_: date | None = Field(None, alias="from")
    to: date | None = None
    sort: str = Field("relevance", pattern="^(relevance|recent)$")
    page: int = Field(1, ge=1, le=queries.MAX_PAGE)
    page_size: int | None = Field(None, ge=1, description="Items per page (capped by the server).")


def _plain(html: str) -> str:
    from django.utils.html import strip_tags

    return strip_tags(html).replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace(
        "&#x27;", "'").replace("&amp;", "&")


@router.get(
    "/search",
    response={200: SearchOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Search posts, comments, resources, events, members and groups",
)
def search(request: HttpRequest, filters: Query[SearchQuery]) -> dict[str, Any]:
    user = request.user
    if not policies.can_search(user):
        raise ApiError(403)
    params = queries.parse(request.GET)
    if params.q and not params.words:
        raise ApiError(400, "invalid_query", params.errors[-1])
    if not params.words and not params.narrowed:
        raise ApiError(400, "empty_query", _("Type something to search for, or choose a filter."))
    size = min(filters.page_size or max_page_size(), max_page_size(), 50)
    results = queries.search(user, params, page_size=size)
    hits = []
    for hit in results.hits:
        url = request.build_absolute_uri(hit.url) if hit.url else None
        hits.append({
            "kind": hit.kind, "id": hit.id, "title": _plain(str(hit.title)), "title_html": str(hit.title),
            "snippet_html": str(hit.snippet), "url": url,
            "group": {"id": hit.group[0], "name": hit.group[1]} if hit.group else None,
            "author": {"id": hit.author[0], "name": hit.author[1]} if hit.author else None,
            "created_at": hit.created_at, "teaser": hit.teaser,
        })
    return {
        "count": results.count,
        "counts": results.counts,
        "groups": results.groups,
        "next": _page_url(request, params.page + 1, size) if results.has_next else None,
        "previous": _page_url(request, params.page - 1, size) if params.page > 1 else None,
        "results": hits,
        "warnings": params.errors,
    }
