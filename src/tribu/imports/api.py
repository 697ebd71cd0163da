"""API v1 for integrators (the community team): import a CSV/XLSX file and follow the job.

The mapping is the one the page would pre-fill (remembered for these headers, else guessed from
them); send ``apply=true`` to import the valid rows straight away (large files run in the
background: poll ``GET /imports/{id}``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status, UploadedFile

from tribu.api.errors import ApiError
from tribu.api.schemas import ErrorOut

from . import actions, policies
from .models import ImportJob

router = Router()
ERRORS = {401: ErrorOut, 403: ErrorOut, 429: ErrorOut}
TAGS = ["imports"]


class RowOut(Schema):
    line: int
    key: str
    outcome: str
    reasons: list[str]


class ImportOut(Schema):
    id: int
    kind: str
    status: str
    filename: str
    headers: list[str]
    mapping: dict[str, str]
    total_rows: int
    rows_done: int
    counts: dict[str, int]
    errors: list[RowOut]


def _out(job: ImportJob) -> dict[str, Any]:
    rows = job.report if job.status == "done" else job.preview
    return {
        "id": job.pk, "kind": job.kind, "status": job.status, "filename": job.filename, "headers": job.headers,
        "mapping": {h: job.mapping.get(str(i), "") for i, h in enumerate(job.headers)},
        "total_rows": job.total_rows, "rows_done": job.rows_done, "counts": job.counts or {},
        "errors": [
            {"line": r[0], "key": r[1] or "", "outcome": r[2], "reasons": r[3]} for r in rows if r[2] == "error"
        ],
    }


def _team(request: HttpRequest) -> None:
    if not policies.can_import(request.user):
        raise ApiError(403, message=_("Only the community team can import and export."))


@router.post(
    "/imports", response={201: ImportOut, 422: ErrorOut, **ERRORS}, tags=TAGS,
    summary="Upload a CSV or XLSX file of members or companies; check it, and import it with apply=true",
)
def create_import(
    request: HttpRequest,
    file: File[UploadedFile],
    kind: Form[str] = "members",
    apply: Form[bool] = False,
    invite: Form[bool] = False,
) -> Status[dict[str, Any]]:
    _team(request)
    try:
        job = actions.start_import(request.user, file, kind)
    except ValidationError as exc:
        raise ApiError(422, message=exc.messages[0], details={"file": exc.messages}) from None
    problems = actions.preview_import(request.user, job)
    if problems:
        raise ApiError(422, message=problems[0], details={"mapping": problems, "import": job.pk})
    if apply:
        job = actions.apply_import(request.user, job, invite=invite)
    return Status(201, _out(job))


@router.get("/imports/{job_id}", response={200: ImportOut, 404: ErrorOut, **ERRORS}, tags=TAGS,
            summary="An import: its status, progress, counts and the rows in error")
def read_import(request: HttpRequest, job_id: int) -> dict[str, Any]:
    _team(request)
    return _out(get_object_or_404(ImportJob, pk=job_id))
