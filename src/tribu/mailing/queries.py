"""Reads of the mailing app, each with the joins its page needs."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from . import registry
from .models import EmailSuppression, SkippedEmail, TemplateOverride

PAGE_SIZE = 50


def templates_with_overrides() -> list[dict[str, Any]]:
    """Every email with the languages an admin rewrote (one query)."""
    overridden: dict[str, list[str]] = {}
    for key, language in TemplateOverride.objects.values_list("template", "language").order_by("language"):
        overridden.setdefault(key, []).append(language)
    return [{"template": t, "languages": overridden.get(t.key, [])} for t in registry.all_templates()]


def suppressions(q: str = "", *, include_lifted: bool = False) -> QuerySet[EmailSuppression]:
    qs = EmailSuppression.objects.select_related("created_by", "lifted_by")
    if not include_lifted:
        qs = qs.filter(lifted_at__isnull=True)
    if q:
        qs = qs.filter(Q(email__icontains=q.strip()) | Q(detail__icontains=q.strip()))
    return qs.order_by("-created_at", "-id")


def recent_skipped(limit: int = 20) -> list[SkippedEmail]:
    return list(SkippedEmail.objects.order_by("-created_at", "-id")[:limit])


def page_of(qs: QuerySet[Any], number: Any, size: int = PAGE_SIZE) -> Page:
    return Paginator(qs, size).get_page(number)
