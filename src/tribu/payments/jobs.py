"""Periodic work of payments: Stripe events left unprocessed are queued again."""

from __future__ import annotations

from datetime import timedelta

from tribu.core.schedule import periodic

from . import webhooks


@periodic("payments.retry_stale_events", every=timedelta(minutes=1))
def retry_stale_events() -> int:
    return webhooks.retry_stale()
