"""Page-number pagination for every API list: ``?page=&page_size=`` → ``{count, next, previous, results}``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.pagination import PaginationBase

from .errors import ApiError


def max_page_size() -> int:
    return max(1, int(settings.TRIBU_API_PAGE_SIZE))


class PageNumberPagination(PaginationBase):
    """Use with ``@paginate(PageNumberPagination)`` on an endpoint returning a queryset.

    ``page_size`` defaults to, and is capped at, ``settings.TRIBU_API_PAGE_SIZE``. A page past the
    end is a 404, like an unknown address.
    """

    class Input(Schema):
        page: int = Field(1, ge=1, description="Page number, from 1.")
        page_size: int | None = Field(None, ge=1, description="Items per page (capped by the server).")

    class Output(Schema):
        count: int
        next: str | None
        previous: str | None
        results: list[Any]

    items_attribute = "results"

    def paginate_queryset(self, queryset: QuerySet, pagination: Input, request: HttpRequest, **params: Any) -> Any:
        size = min(pagination.page_size or max_page_size(), max_page_size())
        count = self._items_count(queryset)
        last_page = max(1, -(-count // size))
        if pagination.page > last_page:
            raise ApiError(404, "invalid_page", _("This page does not exist."))
        offset = (pagination.page - 1) * size
        return {
            "count": count,
            "next": _page_url(request, pagination.page + 1, size) if pagination.page < last_page else None,
            "previous": _page_url(request, pagination.page - 1, size) if pagination.page > 1 else None,
            "results": list(queryset[offset : offset + size]),
        }


def _page_url(request: HttpRequest, page: int, size: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    query["page_size"] = str(size)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
