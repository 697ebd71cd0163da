"""Library resources in the index (``library.Resource``, published ones).

A tier-gated resource (``required_tiers``, ``restriction_mode``) gets a full document that only
holders of one of those tiers (and the team) may find, and, in ``teaser`` mode, a title-and-summary
document that the others find instead (what the library shows them): a word of the gated text never
matches for someone who may not read it. The place (community library or a group's) is checked at
search time like posts (``queries.visible_q``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import NoReverseMatch, reverse

from . import text
from .models import Kind, SearchDocument

MAX_BODY = 20_000


def source() -> Any:
    from tribu.library.models import Resource

    return Resource.objects.filter(published=True)


def _url(pk: int) -> str:
    try:
        return reverse("library:detail", args=[pk])
    except NoReverseMatch:
        return ""


def build(ids: list[int]) -> list[SearchDocument]:
    docs = []
    for r in source().filter(pk__in=ids).prefetch_related("required_tiers"):
        tiers = sorted(t.pk for t in r.required_tiers.all())
        common = {
            "kind": Kind.RESOURCE, "object_id": r.pk, "group_id": r.group_id, "author_id": r.author_id,
            "tier_ids": ("|" + "|".join(str(t) for t in tiers) + "|") if tiers else "",
            "url": _url(r.pk)[:500], "created_at": r.created_at, "title": r.title[:300],
        }
        body = " ".join(filter(None, [r.summary, text.plain(r.body, MAX_BODY)]))[:MAX_BODY]
        docs.append(SearchDocument(body=body, **common))
        if tiers and r.restriction_mode != "hidden":
            docs.append(SearchDocument(body=r.summary, teaser=True, **common))
    return docs


def sweep(since: datetime) -> int:
    from tribu.library.models import Resource

    from .indexing import refresh

    return refresh(Kind.RESOURCE, Resource.objects.filter(updated_at__gte=since).values_list("pk", flat=True))
