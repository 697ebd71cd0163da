"""Periodic jobs of the mailing app (imported by the scheduler)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tribu.core.schedule import periodic

from .models import SkippedEmail

KEEP_SKIPPED = timedelta(days=90)


@periodic("mailing.forget_skipped_emails", every=timedelta(days=1))
def forget_skipped_emails() -> int:
    """The record of emails not sent to suppressed addresses is kept 90 days (the suppressions stay)."""
    deleted, _rows = SkippedEmail.objects.filter(created_at__lt=timezone.now() - KEEP_SKIPPED).delete()
    return deleted
