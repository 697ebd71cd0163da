"""Imports of members and companies from CSV/XLSX files: the job (file, mapping, progress, report)
and the column mappings remembered for the next file with the same headers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    MEMBERS = "members", _("Members")
    COMPANIES = "companies", _("Companies")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    PREVIEWED = "previewed", _("Checked")
    QUEUED = "queued", _("Waiting to run")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class SavedMapping(models.Model):
    """The column → field mapping last used for a set of headers, offered again for the next file."""

    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    header_key = models.CharField(max_length=64)  # sha256 of the normalised, sorted headers
    mapping = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("saved column mapping")
        verbose_name_plural = _("saved column mappings")
        constraints = [models.UniqueConstraint(fields=["kind", "header_key"], name="imports_mapping_unique")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.header_key[:8]}"


class ImportJob(models.Model):
    """One uploaded file on its way in: mapping, preview, then the import, with its progress and report.

    The uploaded file is deleted once the import has run (the report keeps line numbers and reasons)."""

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices, default=ImportKind.MEMBERS)
    status = models.CharField(_("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(upload_to="imports/", blank=True)
    filename = models.CharField(_("file name"), max_length=255)
    encoding = models.CharField(max_length=32, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict, blank=True)
    invite = models.BooleanField(_("invite new members by email"), default=False)
    total_rows = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    # {"create": n, "update": n, "unchanged": n, "error": n}
    counts = models.JSONField(default=dict, blank=True)
    # Preview: [[line, key, status, [reasons…]], …]; after the run: the same shape for what happened.
    preview = models.JSONField(default=list, blank=True)
    report = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in ImportStatus]), name="imports_job_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in ImportKind]), name="imports_job_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.filename}"

    @property
    def percent(self) -> int:
        return int(100 * self.rows_done / self.total_rows) if self.total_rows else 0

    @property
    def is_active(self) -> bool:
        return self.status in {ImportStatus.QUEUED, ImportStatus.RUNNING}
