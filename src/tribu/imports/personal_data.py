"""The import app's part in erasure: import reports name members by email; an erased member's
address is blanked in every report and preview (the line and its outcome stay)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, TextField
from django.db.models.functions import Cast


def erase_from_reports(user: Any) -> None:
    from .models import ImportJob

    email = user.email.lower()
    jobs = ImportJob.objects.annotate(
        report_text=Cast("report", TextField()), preview_text=Cast("preview", TextField())
    ).filter(Q(report_text__icontains=email) | Q(preview_text__icontains=email))
    for job in jobs:
        job.report = [[r[0], "" if str(r[1]).lower() == email else r[1], *r[2:]] for r in job.report]
        job.preview = [[r[0], "" if str(r[1]).lower() == email else r[1], *r[2:]] for r in job.preview]
        job.save(update_fields=["report", "preview"])
