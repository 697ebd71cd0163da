"""Periodic work of campaigns, driven by database state (every tick is idempotent):

- start the scheduled campaigns whose time has come;
- put back recipients claimed by a run presumed dead, and queue a run for a sending campaign that has
  due recipients but made no progress for a while (its run was lost, or its retry time has come)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from tribu.core.schedule import periodic

from . import actions, sending
from .models import Campaign, Recipient, RecipientStatus, Status

logger = logging.getLogger("tribu.campaigns")


@periodic("campaigns.dispatch", every=timedelta(seconds=30))
def dispatch() -> dict[str, int]:
    now = timezone.now()
    started = 0
    for campaign in Campaign.objects.filter(status=Status.SCHEDULED, scheduled_at__lte=now):
        try:
            actions.start_sending(None, campaign)
            started += 1
        except ValidationError as error:
            logger.warning("Scheduled campaign %s could not start: %s", campaign.pk, "; ".join(error.messages))
            Campaign.objects.filter(pk=campaign.pk, status=Status.SCHEDULED).update(status=Status.DRAFT)
    released = sending.release_stale_claims(now=now)
    kicked = 0
    quiet_since = now - sending.claim_lease()
    for campaign_id in (
        Campaign.objects.filter(status=Status.SENDING)
        .filter(Q(last_progress_at__isnull=True) | Q(last_progress_at__lt=quiet_since))
        .values_list("pk", flat=True)
    ):
        due = Recipient.objects.filter(campaign_id=campaign_id, status=RecipientStatus.QUEUED).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        )
        if due.exists():
            actions.enqueue_run(campaign_id)
            kicked += 1
        elif not Recipient.objects.filter(
            campaign_id=campaign_id, status__in=[RecipientStatus.QUEUED, RecipientStatus.SENDING]
        ).exists():
            actions.finish_campaign(campaign_id)
    return {"started": started, "released": released, "kicked": kicked}
