"""Reads of the import app."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import ImportJob


def recent_jobs() -> QuerySet[ImportJob]:
    return ImportJob.objects.select_related("created_by").defer("preview", "report").order_by("-created_at")


def report_rows(rows: list[list[Any]], show: str) -> list[list[Any]]:
    """The preview or run report, all rows or only those in error / that change something."""
    if show == "errors":
        return [r for r in rows if r[2] == "error"]
    if show == "changes":
        return [r for r in rows if r[2] in {"create", "update"}]
    return rows
