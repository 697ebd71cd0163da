"""Library resources in the index. The library app is built alongside search, so this reads its
``Resource`` model defensively: whatever fields it has among the usual ones.

A tier-gated resource (``required_tiers`` on it or on its category, ``restriction_mode``) gets a full
document that only holders of those tiers (and the team) may find, and, in ``teaser`` mode, a
title-and-teaser document that the others find instead: a word of the gated text never matches for
someone who may not read it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.apps import apps
from django.urls import NoReverseMatch, reverse

from . import text
from .models import Kind, SearchDocument

MAX_BODY = 20_000


def model() -> Any:
    try:
        return apps.get_model("library", "Resource")
    except LookupError:
        return None


def _field_names(m: Any) -> set[str]:
    return {f.name for f in m._meta.get_fields()}


def source() -> Any:
    m = model()
    if m is None:
        return None
    names = _field_names(m)
    qs = m.objects.all()
    if "deleted_at" in names:
        qs = qs.filter(deleted_at__isnull=True)
    if "status" in names:
        qs = qs.filter(status="published")
    return qs


def _url(r: Any) -> str:
    getter = getattr(r, "get_absolute_url", None)
    if getter is not None:
        try:
            return getter()
        except NoReverseMatch:
            return ""
    for args in ([r.pk], [getattr(r, "slug", None)]):
        try:
            return reverse("library:detail", args=args)
        except NoReverseMatch:
            continue
    return ""


def _tier_rule(r: Any, names: set[str]) -> tuple[set[int], str]:
    tiers: set[int] = set()
    mode = "teaser"
    for owner in (r, getattr(r, "category", None) if "category" in names else None):
        if owner is None or not hasattr(owner, "required_tiers"):
            continue
        own = {t.pk for t in owner.required_tiers.all()}
        if own:
            tiers |= own
            if getattr(owner, "restriction_mode", "teaser") == "hidden":
                mode = "hidden"
    return tiers, mode


def build(ids: list[int]) -> list[SearchDocument]:
    qs = source()
    if qs is None:
        return []
    m = model()
    names = _field_names(m)
    related = [n for n in ("required_tiers", "tags") if n in names]
    if "category" in names:
        related.append("category__required_tiers") if hasattr(
            m._meta.get_field("category").related_model, "required_tiers") else None
    docs = []
    for r in qs.filter(pk__in=ids).prefetch_related(*related):
        title = str(getattr(r, "title", "") or getattr(r, "name", "") or r)[:300]
        body = " ".join(filter(None, [
            text.plain(getattr(r, field, "") or "", MAX_BODY)
            for field in ("summary", "description", "body", "transcript") if field in names
        ]))[:MAX_BODY]
        tags = ""
        if "tags" in names:
            folded = [text.fold(str(getattr(t, "name", t))) for t in r.tags.all()]
            tags = ("|" + "|".join(folded) + "|")[:600] if folded else ""
        author_id = getattr(r, "author_id", None) or getattr(r, "created_by_id", None)
        created: datetime = getattr(r, "published_at", None) or getattr(r, "created_at", None)
        tiers, mode = _tier_rule(r, names)
        tier_ids = ("|" + "|".join(str(t) for t in sorted(tiers)) + "|") if tiers else ""
        common = {"kind": Kind.RESOURCE, "object_id": r.pk, "group_id": getattr(r, "group_id", None),
                  "author_id": author_id, "tier_ids": tier_ids, "url": _url(r)[:500], "created_at": created}
        docs.append(SearchDocument(title=title, body=body, tags=tags, **common))
        if tiers and mode != "hidden":
            teaser = getattr(r, "teaser", "") or getattr(r, "summary", "") or ""
            docs.append(SearchDocument(title=title, body=text.plain(teaser, 1000), teaser=True, **common))
    return docs


def sweep(since: datetime) -> int:
    from .indexing import refresh

    m = model()
    if m is None:
        return 0
    names = _field_names(m)
    stamp = "updated_at" if "updated_at" in names else ("created_at" if "created_at" in names else None)
    if stamp is None:
        return 0
    return refresh(Kind.RESOURCE, m.objects.filter(**{f"{stamp}__gte": since}).values_list("pk", flat=True))
