"""Background work of campaigns: one sending run per call (ids in, idempotent; see ``sending.py``)."""

from __future__ import annotations

from django.tasks import task


@task(queue_name="default")
def send_campaign(campaign_id: int) -> dict:
    from .sending import run

    return run(campaign_id)
