"""Reading the community row, cached; every page needs it, so it costs no query once warm."""

from __future__ import annotations

from django.core.cache import cache

from .models import Community

CACHE_KEY = "tribu:community:v1"


def get_community() -> Community:
    community = cache.get(CACHE_KEY)
    if community is None:
        community, _ = Community.objects.get_or_create(pk=1)
        cache.set(CACHE_KEY, community, 300)
    return community


def forget_community() -> None:
    cache.delete(CACHE_KEY)
