"""Read side of segments: who is in a segment, how many they are, and the list page's counts.

- ``members_of(segment_or_filters, now=None) -> QuerySet[User]``: active accounts with an email
  address matching the filters (a ``Segment`` or a filters document; validate unsaved filters with
  ``filters.validate`` first). Every rule is an EXISTS on the member's row.
- ``count(filters) -> int``: one SQL query.
- ``cached_count(segment)``: the count kept for ``COUNT_CACHE_SECONDS`` (list pages, the API).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet

from tribu.accounts.models import User

from . import filters as segment_filters
from .models import Segment

COUNT_CACHE_SECONDS = 60


def _filters_of(segment_or_filters: Any) -> dict[str, Any]:
    if isinstance(segment_or_filters, Segment):
        return segment_or_filters.filters or {}
    return segment_or_filters or {}


def reachable_members() -> QuerySet[User]:
    """Everyone a segment can contain: active accounts with an email address."""
    return User.objects.filter(is_active=True).exclude(email="")


def members_of(segment_or_filters: Any, now: dt.datetime | None = None) -> QuerySet[User]:
    return reachable_members().filter(segment_filters.to_q(_filters_of(segment_or_filters), now))


def count(segment_or_filters: Any, now: dt.datetime | None = None) -> int:
    return members_of(segment_or_filters, now).count()


def _cache_key(filters: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(filters, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return f"segments:count:v1:{digest}"


def cached_count(segment_or_filters: Any) -> int:
    """The member count, remembered for a minute per distinct set of filters (members come and go;
    a minute-old figure is fine on a list page; the builder asks ``count`` for a live one)."""
    filters = _filters_of(segment_or_filters)
    key = _cache_key(filters)
    value = cache.get(key)
    if value is None:
        value = count(filters)
        cache.set(key, value, COUNT_CACHE_SECONDS)
    return int(value)


def cached_counts(segments: list[Segment]) -> dict[int, int]:
    """``cached_count`` for a page of segments: one cache round trip, then one query per segment whose
    count is not cached."""
    keys = {s.pk: _cache_key(s.filters or {}) for s in segments}
    found = cache.get_many(list(set(keys.values())))
    result: dict[int, int] = {}
    missing: dict[str, int] = {}
    for segment in segments:
        key = keys[segment.pk]
        if key in found:
            result[segment.pk] = int(found[key])
        elif key in missing:
            result[segment.pk] = missing[key]
        else:
            missing[key] = result[segment.pk] = count(segment)
    if missing:
        cache.set_many(missing, COUNT_CACHE_SECONDS)
    return result


def segment_list() -> QuerySet[Segment]:
    return Segment.objects.select_related("created_by").order_by("name", "pk")


def preview(segment_or_filters: Any, limit: int = 20) -> list[User]:
    """The first matching members by name, with what the preview table shows."""
    return list(
        members_of(segment_or_filters)
        .select_related("profile", "company_attachment__company")
        .order_by("last_name", "first_name", "email", "pk")[:limit]
    )
