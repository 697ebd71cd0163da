"""Statistics: bounces and complaints from the mailing app's suppression records, unsubscribes from
the activity log, opens and clicks from the tracking events; recipient lists per figure."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tribu.campaigns import queries
from tribu.campaigns.models import Link, Recipient, RecipientStatus, Status, TrackingEvent
from tribu.core.activity import record

from .conftest import make_campaign, make_members


def test_every_figure_counts_what_happened_after_the_message_was_sent(segment):
    from tribu.mailing.models import EmailSuppression

    members = make_members(10)
    campaign = make_campaign(segment=segment, status=Status.SENT)
    sent_at = timezone.now() - timedelta(hours=3)
    rows = Recipient.objects.bulk_create(
        [
            Recipient(
                campaign=campaign, user=m, email=m.email, language="fr", status=RecipientStatus.SENT, sent_at=sent_at
            )
            for m in members[:8]
        ]
        + [
            Recipient(
                campaign=campaign,
                user=members[8],
                email=members[8].email,
                language="fr",
                status=RecipientStatus.FAILED,
                last_error="550 no such mailbox",
            ),
            Recipient(
                campaign=campaign,
                user=members[9],
                email=members[9].email,
                language="fr",
                status=RecipientStatus.SKIPPED,
                skip_reason="no_consent",
            ),
        ]
    )
    EmailSuppression.objects.create(email=rows[0].email, reason="hard_bounce")
    EmailSuppression.objects.create(email=rows[1].email, reason="complaint")
    old = EmailSuppression.objects.create(email=rows[2].email, reason="hard_bounce")
    EmailSuppression.objects.filter(pk=old.pk).update(
        created_at=sent_at - timedelta(days=1)
    )  # before: not this campaign
    record(members[3], "mailing.unsubscribed", members[3], topic="campaigns")
    record(members[4], "mailing.unsubscribed", members[4], topic="newsletter")  # another topic
    link_a = Link.objects.create(campaign=campaign, url="https://example.com/a")
    link_b = Link.objects.create(campaign=campaign, url="https://example.com/b")
    TrackingEvent.objects.bulk_create(
        [
            TrackingEvent(campaign=campaign, recipient=rows[5], kind="open"),
            TrackingEvent(campaign=campaign, recipient=rows[5], kind="open"),
            TrackingEvent(campaign=campaign, recipient=rows[6], kind="click", link=link_a),
            TrackingEvent(campaign=campaign, recipient=rows[6], kind="click", link=link_a),
            TrackingEvent(campaign=campaign, recipient=rows[7], kind="click", link=link_b),
        ]
    )

    stats = queries.statistics(campaign)
    assert (stats["sent"], stats["delivered"], stats["bounced"], stats["complaints"]) == (8, 7, 1, 1)
    assert (stats["opened"], stats["clicked"], stats["unsubscribed"]) == (3, 2, 1)
    assert (stats["failed"], stats["skipped"], stats["skip_reasons"]) == (1, 1, {"no_consent": 1})
    assert stats["rates"]["opened"] == round(100 * 3 / 7, 1)
    assert stats["links"] == [
        {"url": "https://example.com/a", "clicks": 2, "people": 1},
        {"url": "https://example.com/b", "clicks": 1, "people": 1},
    ]
    assert sum(h["sent"] for h in stats["timeline"]) == 8
    assert [r.email for r in queries.recipients(campaign, "bounced")] == [rows[0].email]
    assert [r.email for r in queries.recipients(campaign, "unsubscribed")] == [rows[3].email]
    assert [r.email for r in queries.recipients(campaign, "clicked")] == [rows[6].email, rows[7].email]
    assert [r.email for r in queries.recipients(campaign, "failed")] == [members[8].email]


def test_the_statistics_page_lists_recipients_per_status(client, bob, segment):
    members = make_members(3)
    campaign = make_campaign(segment=segment, status=Status.SENDING)
    Recipient.objects.create(
        campaign=campaign,
        user=members[0],
        email=members[0].email,
        language="fr",
        status=RecipientStatus.FAILED,
        last_error="550 5.1.1 no such mailbox",
        attempts=1,
    )
    Recipient.objects.create(
        campaign=campaign,
        user=members[1],
        email=members[1].email,
        language="fr",
        status=RecipientStatus.QUEUED,
        attempts=2,
        last_error="451 try later",
        next_attempt_at=timezone.now() + timedelta(minutes=4),
    )
    client.force_login(bob)
    page = client.get(f"/manage/campaigns/{campaign.pk}/stats/?show=failed").content.decode()
    assert members[0].email in page and "550 5.1.1 no such mailbox" in page and members[1].email not in page
    page = client.get(f"/manage/campaigns/{campaign.pk}/stats/?show=queued").content.decode()
    assert members[1].email in page and "451 try later" in page
    assert "Mettre en pause" in page or "Pause" in page
