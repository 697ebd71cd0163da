"""Every write on campaigns: compose, schedule, start, pause, resume, cancel, test sends, tracking.
Each action checks permission, validates, writes in one transaction and records the activity;
the background run is queued with ``transaction.on_commit``."""

from __future__ import annotations

import contextlib
import logging
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.tasks import task_backends
from django.utils import timezone
from django.utils.translation import gettext as _

from tribu.core.activity import record
from tribu.core.emails import send_email_on_commit
from tribu.mailing import consent

from . import audience, content, policies
from .models import (
    LANGUAGES,
    Campaign,
    EventKind,
    Kind,
    Link,
    Recipient,
    RecipientStatus,
    Status,
    TrackingEvent,
)

logger = logging.getLogger("tribu.campaigns")

FIELDS = (
    "name",
    "kind",
    "subject_fr",
    "subject_en",
    "preheader_fr",
    "preheader_en",
    "blocks",
    "segment",
    "group_ids",
    "rate_per_second",
    "period_start",
    "period_end",
)
MAX_RATE = 10000


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You are not allowed to do this."))


def _check_values(values: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in values.items() if k in FIELDS}
    if "name" in values:
        values["name"] = str(values["name"] or "").strip()
        if not values["name"]:
            raise ValidationError({"name": [_("Give the campaign a name.")]})
    if "kind" in values and values["kind"] not in Kind.values:
        raise ValidationError({"kind": [_("Choose a campaign or a newsletter.")]})
    if "blocks" in values:
        try:
            values["blocks"] = content.clean_blocks(values["blocks"] or [])
        except ValidationError as error:
            raise ValidationError({"blocks": error.messages}) from None
    if "group_ids" in values:
        ids = values["group_ids"] or []
        known = {pk for pk, _name in audience.group_choices()}
        if not isinstance(ids, list) or any(not isinstance(i, int) or i not in known for i in ids):
            raise ValidationError({"group_ids": [_("One of the chosen groups does not exist.")]})
        values["group_ids"] = sorted(set(ids))
    if "rate_per_second" in values:
        rate = values["rate_per_second"]
        if not isinstance(rate, int) or not 0 <= rate <= MAX_RATE:
            raise ValidationError(
                {
                    "rate_per_second": [
                        _("The sending rate is between 0 and %(max)d messages per second.") % {"max": MAX_RATE}
                    ]
                }
            )
    if values.get("period_start") and values.get("period_end") and values["period_start"] > values["period_end"]:
        raise ValidationError({"period_end": [_("The period ends before it starts.")]})
    for key in ("subject_fr", "subject_en", "preheader_fr", "preheader_en"):
        if key in values:
            values[key] = " ".join(str(values[key] or "").split())[:200]
    return values


def create_campaign(actor: Any, **values: Any) -> Campaign:
    _require(policies.can_manage_campaigns(actor))
    values = _check_values(values)
    if not values.get("name"):
        raise ValidationError({"name": [_("Give the campaign a name.")]})
    with transaction.atomic():
        campaign = Campaign.objects.create(created_by=actor, **values)
        record(actor, "campaign.created", campaign, audit=True, name=campaign.name)
    return campaign


def update_campaign(actor: Any, campaign: Campaign, values: dict[str, Any]) -> Campaign:
    _require(policies.can_manage_campaigns(actor))
    values = _check_values(values)
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not locked.is_editable:
            raise ValidationError(_("This campaign is already being sent: it can no longer be changed."))
        for key, value in values.items():
            setattr(locked, key, value)
        locked.save(update_fields=[*values, "updated_at"] if values else ["updated_at"])
        record(actor, "campaign.updated", locked, audit=True, name=locked.name)
    return locked


def check_sendable(campaign: Campaign) -> dict[str, int]:
    """Everything that must hold before a campaign is scheduled or sent (content and audience)."""
    content.check_content(campaign)
    if not audience.has_audience(campaign):
        raise ValidationError({"segment": [_("Choose a segment or groups to send this campaign to.")]})
    numbers = audience.counts(campaign)
    if numbers["targeted"] == 0:
        raise ValidationError({"segment": [_("This audience matches no member: choose another segment or groups.")]})
    if numbers["sendable"] == 0:
        raise ValidationError(
            {
                "segment": [
                    _(
                        "None of the %(n)d members of this audience may receive this email (unsubscribed, suppressed "
                        "or without an address): the campaign would go to 0 recipients."
                    )
                    % {"n": numbers["targeted"]}
                ]
            }
        )
    return numbers


def schedule_campaign(actor: Any, campaign: Campaign, when: datetime | None) -> Campaign:
    """Send at ``when`` (in the future), or now when ``when`` is None."""
    _require(policies.can_manage_campaigns(actor))
    now = timezone.now()
    if when is not None and timezone.is_naive(when):
        when = timezone.make_aware(when)
    if when is not None and when <= now:
        raise ValidationError({"scheduled_at": [_("Choose a time in the future, or send now.")]})
    if when is None:
        return start_sending(actor, campaign)
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not locked.is_editable:
            raise ValidationError(_("This campaign is already being sent: it can no longer be changed."))
        check_sendable(locked)
        locked.status, locked.scheduled_at = Status.SCHEDULED, when
        locked.save(update_fields=["status", "scheduled_at", "updated_at"])
        record(actor, "campaign.scheduled", locked, audit=True, name=locked.name, at=when.isoformat())
    return locked


def unschedule_campaign(actor: Any, campaign: Campaign) -> Campaign:
    _require(policies.can_manage_campaigns(actor))
    with transaction.atomic():
        updated = Campaign.objects.filter(pk=campaign.pk, status=Status.SCHEDULED).update(
            status=Status.DRAFT, scheduled_at=None
        )
        if not updated:
            raise ValidationError(_("This campaign is not scheduled."))
        record(actor, "campaign.unscheduled", campaign, audit=True, name=campaign.name)
    return Campaign.objects.get(pk=campaign.pk)


def start_sending(actor: Any, campaign: Campaign) -> Campaign:
    """Freeze the recipients (consent and suppressions checked now, skipped ones kept with their
    reason) and queue the background run. Twice at once: the row lock lets only one through."""
    if actor is not None:
        _require(policies.can_manage_campaigns(actor))
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not locked.is_editable:
            raise ValidationError(_("This campaign is already being sent: it can no longer be changed."))
        check_sendable(locked)
        rows = audience.freeze(locked)
        Recipient.objects.bulk_create(
            [
                Recipient(
                    campaign=locked,
                    user_id=r["user_id"],
                    email=r["email"][:254],
                    language=r["language"],
                    status=RecipientStatus.SKIPPED if r["skip_reason"] else RecipientStatus.QUEUED,
                    skip_reason=r["skip_reason"],
                )
                for r in rows
            ],
            batch_size=1000,
        )
        locked.status = Status.SENDING
        locked.started_at = locked.last_progress_at = timezone.now()
        locked.recipient_count = sum(1 for r in rows if not r["skip_reason"])
        locked.save(update_fields=["status", "started_at", "last_progress_at", "recipient_count", "updated_at"])
        record(
            actor,
            "campaign.sending_started",
            locked,
            audit=actor is not None,
            name=locked.name,
            recipients=locked.recipient_count,
            skipped=len(rows) - locked.recipient_count,
        )
        enqueue_run(locked.pk)
    return locked


def enqueue_run(campaign_id: int, at: datetime | None = None) -> None:
    """Queue a sending run after the commit (at ``at`` when the backend can defer; otherwise the
    periodic dispatcher picks the campaign up when it is due)."""
    from .tasks import send_campaign

    def go() -> None:
        backend = task_backends[send_campaign.backend]
        if at is not None and at > timezone.now() + timedelta(seconds=1):
            if not backend.supports_defer:
                return
            send_campaign.using(run_after=at).enqueue(campaign_id)
        else:
            send_campaign.enqueue(campaign_id)

    transaction.on_commit(go)


def _set_status(actor: Any, campaign: Campaign, allowed_from: set[str], to: str, verb: str, refusal: str) -> Campaign:
    _require(policies.can_manage_campaigns(actor))
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status not in allowed_from:
            raise ValidationError(refusal)
        locked.status = to
        fields = ["status", "updated_at"]
        if to == Status.CANCELLED:
            locked.finished_at = timezone.now()
            fields.append("finished_at")
            Recipient.objects.filter(campaign=locked, status=RecipientStatus.QUEUED).update(
                status=RecipientStatus.CANCELLED
            )
        locked.save(update_fields=fields)
        record(actor, verb, locked, audit=True, name=locked.name)
        if to == Status.SENDING:
            enqueue_run(locked.pk)
    return locked


def pause_campaign(actor: Any, campaign: Campaign) -> Campaign:
    return _set_status(
        actor,
        campaign,
        {Status.SENDING},
        Status.PAUSED,
        "campaign.paused",
        _("Only a campaign being sent can be paused."),
    )


def resume_campaign(actor: Any, campaign: Campaign) -> Campaign:
    return _set_status(
        actor,
        campaign,
        {Status.PAUSED},
        Status.SENDING,
        "campaign.resumed",
        _("Only a paused campaign can be resumed."),
    )


def cancel_campaign(actor: Any, campaign: Campaign) -> Campaign:
    return _set_status(
        actor,
        campaign,
        {Status.SENDING, Status.PAUSED, Status.SCHEDULED},
        Status.CANCELLED,
        "campaign.cancelled",
        _("Only a scheduled, sending or paused campaign can be cancelled."),
    )


def delete_campaign(actor: Any, campaign: Campaign) -> None:
    _require(policies.can_manage_campaigns(actor))
    with transaction.atomic():
        if not Campaign.objects.filter(pk=campaign.pk, status=Status.DRAFT).exists():
            raise ValidationError(_("Only a draft can be deleted."))
        record(actor, "campaign.deleted", None, audit=True, name=campaign.name)
        Campaign.objects.filter(pk=campaign.pk).delete()


def finish_campaign(campaign_id: int) -> bool:
    """Close a campaign nobody is left to send to (conditional: a paused or cancelled one stays)."""
    with transaction.atomic():
        done = (
            Campaign.objects.filter(pk=campaign_id, status=Status.SENDING)
            .exclude(recipients__status__in=[RecipientStatus.QUEUED, RecipientStatus.SENDING])
            .update(status=Status.SENT, finished_at=timezone.now())
        )
        if done:
            campaign = Campaign.objects.get(pk=campaign_id)
            sent = Recipient.objects.filter(campaign_id=campaign_id, status=RecipientStatus.SENT).count()
            record(None, "campaign.sent", campaign, name=campaign.name, sent=sent)
    return bool(done)


def send_test(actor: Any, campaign: Campaign, language: str | None = None) -> str:
    """Send the campaign to the actor's own address, as a member would get it (links not tracked)."""
    _require(policies.can_manage_campaigns(actor))
    content.check_content(campaign)
    lang = campaign.language_for(language or getattr(actor, "language", "") or "fr")
    compiled = content.compile_message(campaign, lang)
    values = content.placeholder_values(actor, actor.email)
    values.update(
        {
            "PIXEL": "data:image/gif;base64,R0lGODlhAQABAAAAACw=",
            "UNSUB": consent.unsubscribe_url(actor, campaign.topic),
            "PREFS": consent.preferences_url(actor),
        }
    )
    subject, text, html = content.personalise(compiled, values)
    send_email_on_commit(
        [actor.email],
        _("[Test] %(subject)s") % {"subject": subject},
        text,
        html,
        consent.list_unsubscribe_headers(actor, campaign.topic),
    )
    record(actor, "campaign.test_sent", campaign, name=campaign.name, language=lang)
    return actor.email


# --------------------------------------------------------------------------- tracking (public, no login)


def record_open(recipient_id: int) -> None:
    recipient = Recipient.objects.filter(pk=recipient_id, status=RecipientStatus.SENT).only("id", "campaign_id").first()
    if recipient is None:
        return
    TrackingEvent.objects.create(campaign_id=recipient.campaign_id, recipient=recipient, kind=EventKind.OPEN)


def record_click(recipient_id: int, link_id: int) -> str | None:
    """The URL to redirect to, or None when the link is not one of the recipient's campaign."""
    recipient = Recipient.objects.filter(pk=recipient_id).only("id", "campaign_id", "status").first()
    if recipient is None:
        return None
    link = Link.objects.filter(pk=link_id, campaign_id=recipient.campaign_id).first()
    if link is None:
        return None
    if recipient.status == RecipientStatus.SENT:
        with contextlib.suppress(IntegrityError):  # the recipient was deleted meanwhile: still redirect
            TrackingEvent.objects.create(
                campaign_id=recipient.campaign_id, recipient=recipient, kind=EventKind.CLICK, link=link
            )
    return link.url


# --------------------------------------------------------------------------- newsletter builder


def create_newsletter(
    actor: Any, *, start: date, end: date, name: str = "", proposal: dict[str, Any] | None = None
) -> Campaign:
    """A newsletter draft for ``start``–``end`` pre-filled with what the period's most engaging
    content (see ``queries.newsletter_proposal``); the manager edits it before sending."""
    from . import queries

    _require(policies.can_manage_campaigns(actor))
    if start > end:
        raise ValidationError({"period_end": [_("The period ends before it starts.")]})
    if (end - start).days > 366:
        raise ValidationError({"period_end": [_("Choose a period of one year at most.")]})
    proposal = proposal or queries.newsletter_proposal(start, end)
    blocks: list[dict[str, Any]] = []
    intro = {
        "fr": "Bonjour {{ first_name }},\n\nVoici ce qui s'est passé dans la communauté.",
        "en": "Hello {{ first_name }},\n\nHere is what happened in the community.",
    }
    blocks.append({"type": "text", **{f"text_{lang}": intro[lang] for lang in LANGUAGES}})
    if proposal["posts"]:
        blocks.append({"type": "posts", "count": len(proposal["posts"]), "post_ids": [p.pk for p in proposal["posts"]]})
    if proposal.get("events"):
        blocks.append(
            {"type": "events", "count": len(proposal["events"]), "event_ids": [e.pk for e in proposal["events"]]}
        )
    label = name.strip() or _("Newsletter %(start)s – %(end)s") % {"start": start.isoformat(), "end": end.isoformat()}
    return create_campaign(
        actor,
        name=label[:160],
        kind=Kind.NEWSLETTER,
        subject_fr="Les nouvelles de la communauté",
        subject_en="News from the community",
        blocks=blocks,
        period_start=start,
        period_end=end,
    )
