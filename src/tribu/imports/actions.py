"""Writes of the import app: upload a file, choose the mapping, preview, apply (inline or as a task)."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tribu.accounts.models import CustomField
from tribu.core.activity import record

from . import fields as F
from . import policies
from .companies import CompanyImporter
from .members import MemberImporter
from .models import ImportJob, ImportKind, ImportStatus, SavedMapping
from .parsing import MAX_BYTES, Table, TableError, read_table

logger = logging.getLogger(__name__)

# Files with more rows than this run in the background, with a progress bar.
BACKGROUND_THRESHOLD = 500


def _check(actor: Any) -> None:
    if not policies.can_import(actor):
        raise PermissionDenied


def start_import(actor: Any, uploaded: Any, kind: str) -> ImportJob:
    """Store the file and read its headers; the mapping is pre-filled (remembered, else guessed)."""
    _check(actor)
    if kind not in ImportKind.values:
        raise ValidationError(_("Choose what the file holds."))
    if uploaded.size > MAX_BYTES:
        raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
    data = uploaded.read()
    try:
        table = read_table(data, uploaded.name)
    except TableError as exc:
        raise ValidationError(str(exc)) from exc
    with transaction.atomic():
        job = ImportJob(
            kind=kind, created_by=actor, filename=uploaded.name[:255], encoding=table.encoding,
            delimiter=table.delimiter, headers=table.headers, total_rows=len(table.rows),
        )
        job.mapping = initial_mapping(job)
        job.file.save(f"{timezone.now():%Y%m%d%H%M%S}-{kind}.dat", ContentFile(data), save=False)
        job.save()
        record(actor, "import.uploaded", job, audit=True, kind=kind, rows=job.total_rows, filename=job.filename)
    return job


def _custom_fields() -> list[CustomField]:
    return list(CustomField.objects.filter(active=True))


def initial_mapping(job: ImportJob) -> dict[str, str]:
    saved = SavedMapping.objects.filter(kind=job.kind, header_key=F.header_key(job.headers)).first()
    if saved is not None:
        # Saved by header name, so a file with the same columns in another order maps the same way.
        by_name = {F.normalise(k): v for k, v in saved.mapping.items()}
        return {str(i): by_name.get(F.normalise(h), F.IGNORE) for i, h in enumerate(job.headers)}
    return F.guess_mapping(job.kind, job.headers, _custom_fields())


def set_mapping(actor: Any, job: ImportJob, mapping: dict[str, str]) -> None:
    """Keep the mapping on the job and remember it for the next file with the same headers."""
    _check(actor)
    allowed = {key for key, _label in F.targets_for(job.kind, _custom_fields())}
    clean = {str(i): (mapping.get(str(i)) or F.IGNORE) for i in range(len(job.headers))}
    if any(v not in allowed for v in clean.values()):
        raise ValidationError(_("Choose a field from the list for each column."))
    with transaction.atomic():
        job.mapping = clean
        job.status = ImportStatus.UPLOADED
        job.save(update_fields=["mapping", "status"])
        by_name = {h: clean[str(i)] for i, h in enumerate(job.headers)}
        SavedMapping.objects.update_or_create(
            kind=job.kind, header_key=F.header_key(job.headers), defaults={"mapping": by_name}
        )


def importer_for(job: ImportJob, actor: Any) -> MemberImporter | CompanyImporter:
    cls = MemberImporter if job.kind == ImportKind.MEMBERS else CompanyImporter
    return cls(actor, job.mapping, job_id=job.pk, invite=job.invite)


def load_table(job: ImportJob) -> Table:
    if not job.file:
        raise ValidationError(_("The file of this import is no longer stored: upload it again."))
    with job.file.open("rb") as handle:
        return read_table(handle.read(), job.filename)


def _report(rows: list[Any]) -> list[list[Any]]:
    out = []
    for row in rows:
        key = getattr(row, "email", None)
        if key is None:
            key = row.key
        out.append([row.line, key, row.status, list(row.errors)])
    return out


def preview_import(actor: Any, job: ImportJob) -> list[str]:
    """Validate every row and compare it with the database (reads only). Returns file-level errors."""
    _check(actor)
    importer = importer_for(job, actor)
    problems = importer.file_errors()
    if problems:
        return problems
    table = load_table(job)
    rows = importer.validate(table.rows)
    from .members import CHUNK, Counts

    for start in range(0, len(rows), CHUNK):
        importer.plan(rows[start:start + CHUNK])
    for row in rows:
        if row.errors:
            row.status = "error"
    counts = Counts()
    counts.add(rows)
    job.preview = _report(rows)
    job.counts = counts.as_dict()
    job.total_rows = len(rows)
    job.status = ImportStatus.PREVIEWED
    job.save(update_fields=["preview", "counts", "total_rows", "status"])
    return []


def apply_import(actor: Any, job: ImportJob, *, invite: bool = False) -> ImportJob:
    """Run the import now, or in the background when the file is large (the page shows the progress)."""
    _check(actor)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status not in {ImportStatus.PREVIEWED, ImportStatus.FAILED}:
            raise ValidationError(_("This import has already been started."))
        locked.invite = invite and locked.kind == ImportKind.MEMBERS
        locked.status = ImportStatus.QUEUED
        locked.rows_done = 0
        locked.save(update_fields=["invite", "status", "rows_done"])
        if locked.total_rows > BACKGROUND_THRESHOLD:
            from .tasks import run_import

            transaction.on_commit(lambda: run_import.enqueue(locked.pk))
            return locked
    # run_job logs a failure and marks the job; the page then shows it and offers a re-run.
    with contextlib.suppress(Exception):
        run_job(locked.pk)
    locked.refresh_from_db()
    return locked


def run_job(job_id: int) -> ImportJob | None:
    """Apply a queued (or interrupted) import. Idempotent: rows already written come out unchanged."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.status == ImportStatus.DONE:
        return job
    actor = job.created_by
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, started_at=timezone.now(), rows_done=0)
    try:
        importer = importer_for(job, actor)
        table = load_table(job)
        rows = importer.validate(table.rows)

        def progress(done: int, counts: Any, _chunk: list[Any]) -> None:
            ImportJob.objects.filter(pk=job.pk).update(rows_done=min(done, len(rows)), counts=counts.as_dict())

        ImportJob.objects.filter(pk=job.pk).update(total_rows=len(rows))
        counts, rows = importer.run(rows, progress)
    except Exception as exc:
        logger.exception("import %s failed", job.pk)
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, error=str(exc)[:500])
        raise
    with transaction.atomic():
        job.refresh_from_db()
        job.status = ImportStatus.DONE
        job.counts = counts.as_dict()
        job.report = _report(rows)
        job.rows_done = job.total_rows = len(rows)
        job.finished_at = timezone.now()
        stored = job.file.name
        job.file = ""
        job.save(update_fields=["status", "counts", "report", "rows_done", "total_rows", "finished_at", "file"])
        record(actor, "import.applied", job, audit=True, kind=job.kind, **job.counts)
        if stored:
            storage = ImportJob._meta.get_field("file").storage
            transaction.on_commit(lambda: storage.delete(stored))
    return job


def record_export(actor: Any, kind: str, file_format: str, columns: list[str], filters: dict[str, Any]) -> None:
    """Exports of personal data go to the audit log (who, when, which columns and filters)."""
    if not policies.can_export(actor):
        raise PermissionDenied
    clean = {k: v for k, v in filters.items() if v not in (None, "")}
    record(actor, f"{kind}.exported", None, audit=True, format=file_format, columns=columns, filters=clean)


def confirm_invited_address(user: Any) -> None:
    """The member opened their invitation link: the address it was sent to is theirs."""
    from allauth.account.models import EmailAddress

    with transaction.atomic():
        updated = EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=False).update(
            verified=True
        )
        if updated:
            record(user, "member.invitation_opened", user)
