"""The campaign pages: who may see them, the composer, bad input, query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tribu.campaigns.models import Campaign, Recipient, RecipientStatus, Status, TrackingEvent

from .conftest import make_campaign, make_members

PAGES = ["index", "create", "newsletter"]
CAMPAIGN_PAGES = ["edit", "preview", "preview_html", "stats"]
CAMPAIGN_ACTIONS = ["send_test", "schedule", "pause", "resume", "cancel", "unschedule", "delete"]


@pytest.mark.parametrize("role", ["admin", "staff", "animator", "member", "guest", "anonymous"])
def test_only_the_community_team_reaches_campaigns(client, users_by_role, segment, role):
    campaign = make_campaign(segment=segment)
    if role != "anonymous":
        client.force_login(users_by_role[role])
    team = role in {"admin", "staff"}
    for name in PAGES:
        response = client.get(reverse(f"campaigns:{name}"))
        assert response.status_code == (200 if team else 302 if role == "anonymous" else 403), name
    for name in CAMPAIGN_PAGES:
        response = client.get(reverse(f"campaigns:{name}", args=[campaign.pk]))
        assert response.status_code == (200 if team else 302 if role == "anonymous" else 403), name
    if not team:
        for name in CAMPAIGN_ACTIONS:
            response = client.post(reverse(f"campaigns:{name}", args=[campaign.pk]))
            assert response.status_code in {302, 403}, name
            if role != "anonymous":
                assert response.status_code == 403, name
        campaign.refresh_from_db()
        assert campaign.status == Status.DRAFT and Campaign.objects.filter(pk=campaign.pk).exists()


def test_the_composer_adds_moves_and_removes_blocks_and_saves(client, bob, segment):
    client.force_login(bob)
    response = client.post(reverse("campaigns:create"), {"name": "Rentrée", "kind": "campaign", "rate_per_second": 20})
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("campaigns:edit", args=[campaign.pk])
    base = {
        "name": "Rentrée",
        "kind": "campaign",
        "subject_fr": "Bonjour {{ first_name }}",
        "subject_en": "",
        "segment": segment.pk,
        "rate_per_second": 20,
    }
    client.post(reverse("campaigns:edit", args=[campaign.pk]), {**base, "blocks-count": 0, "add": "text"})
    client.post(
        reverse("campaigns:edit", args=[campaign.pk]),
        {**base, "blocks-count": 1, "b-0-type": "text", "b-0-text_fr": "Premier", "b-0-text_en": "", "add": "button"},
    )
    campaign.refresh_from_db()
    assert [b["type"] for b in campaign.blocks] == ["text", "button"]
    response = client.post(
        reverse("campaigns:edit", args=[campaign.pk]),
        {
            **base,
            "blocks-count": 2,
            "b-0-type": "text",
            "b-0-text_fr": "Premier",
            "b-1-type": "button",
            "b-1-url": "https://example.com",
            "b-1-label_fr": "Voir",
            "move": "1:up",
        },
    )
    campaign.refresh_from_db()
    assert [b["type"] for b in campaign.blocks] == ["button", "text"]
    client.post(
        reverse("campaigns:edit", args=[campaign.pk]),
        {
            **base,
            "blocks-count": 2,
            "b-0-type": "button",
            "b-0-url": "https://example.com",
            "b-0-label_fr": "Voir",
            "b-0-delete": "1",
            "b-1-type": "text",
            "b-1-text_fr": "Premier",
        },
    )
    campaign.refresh_from_db()
    assert campaign.blocks == [{"type": "text", "text_fr": "Premier", "text_en": ""}]
    page = client.get(reverse("campaigns:edit", args=[campaign.pk])).content.decode()
    assert "Premier" in page and "first_name" in page


def test_bad_input_gets_a_clear_message_and_a_4xx(client, bob, segment, english, settings):
    settings.LANGUAGE_CODE = "en"
    client.force_login(bob)
    client.cookies["tribu_language"] = "en"
    campaign = make_campaign(segment=segment)
    url = reverse("campaigns:edit", args=[campaign.pk])
    base = {
        "name": "Rentrée",
        "kind": "campaign",
        "subject_fr": "Bonjour",
        "segment": segment.pk,
        "rate_per_second": 20,
    }
    response = client.post(
        url, {**base, "blocks-count": 1, "b-0-type": "button", "b-0-url": "javascript:alert(1)", "b-0-label_fr": "x"}
    )
    assert response.status_code == 400 and "full web address" in response.content.decode()
    response = client.post(url, {**base, "rate_per_second": 999999, "blocks-count": 0})
    assert response.status_code == 400
    # Nobody to send to.
    response = client.post(reverse("campaigns:schedule", args=[campaign.pk]), {"scheduled_at": ""})
    assert response.status_code == 400 and "matches no member" in response.content.decode()
    make_members(2)
    Campaign.objects.filter(pk=campaign.pk).update(subject_fr="Bonjour {{ prénom }}")
    response = client.post(reverse("campaigns:schedule", args=[campaign.pk]), {"scheduled_at": ""})
    assert response.status_code == 400 and "Unknown placeholder" in response.content.decode()
    response = client.post(reverse("campaigns:schedule", args=[campaign.pk]), {"scheduled_at": "2001-01-01T10:00"})
    assert response.status_code == 400 and "in the future" in response.content.decode()
    assert not Recipient.objects.exists()
    assert Campaign.objects.get(pk=campaign.pk).status == Status.DRAFT


def test_scheduling_then_the_dispatcher_starts_it_on_time(
    client, bob, segment, smtp_server, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from tribu.campaigns import jobs

    make_members(2)
    campaign = make_campaign(segment=segment)
    client.force_login(bob)
    when = timezone.localtime() + timedelta(hours=2)
    response = client.post(
        reverse("campaigns:schedule", args=[campaign.pk]), {"scheduled_at": when.strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Status.SCHEDULED
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.dispatch()["started"] == 0
    Campaign.objects.filter(pk=campaign.pk).update(scheduled_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.dispatch()["started"] == 1
    assert len(smtp_server.received) == 2
    assert Campaign.objects.get(pk=campaign.pk).status == Status.SENT


def test_the_preview_frame_is_the_email_itself_allowed_in_a_same_origin_frame(client, bob, segment):
    client.force_login(bob)
    campaign = make_campaign(segment=segment)
    page = client.get(reverse("campaigns:preview", args=[campaign.pk]) + "?lang=en&width=phone")
    assert 'class="preview-frame preview-phone"' in page.content.decode()
    frame = client.get(reverse("campaigns:preview_html", args=[campaign.pk]) + "?lang=en")
    body = frame.content.decode()
    assert "Hello" in body and "Bob" in body and "https://example.com/programme" in body
    assert frame["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in frame["Content-Security-Policy"]
    assert "script-src" not in frame["Content-Security-Policy"]  # default-src 'none': no script runs


def _sent_rows(campaign, members):
    from django.utils import timezone

    rows = Recipient.objects.bulk_create(
        [
            Recipient(
                campaign=campaign,
                user=m,
                email=m.email,
                language="fr",
                status=RecipientStatus.SENT,
                sent_at=timezone.now(),
            )
            for m in members
        ]
    )
    TrackingEvent.objects.bulk_create([TrackingEvent(campaign=campaign, recipient=r, kind="open") for r in rows[::2]])


def test_list_and_statistics_pages_run_a_bounded_number_of_queries(client, bob, segment, django_assert_max_num_queries):
    client.force_login(bob)
    members = make_members(40)
    for i in range(3):
        campaign = make_campaign(segment=segment, name=f"C{i}", status=Status.SENT)
        _sent_rows(campaign, members[: 5 * (i + 1)])
    client.get(reverse("campaigns:index"))  # warm the session and the community
    with django_assert_max_num_queries(25) as small:
        client.get(reverse("campaigns:index"))
        client.get(reverse("campaigns:stats", args=[campaign.pk]) + "?show=opened")
    for i in range(3, 20):
        campaign = make_campaign(segment=segment, name=f"C{i}", status=Status.SENT)
        _sent_rows(campaign, members)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("campaigns:index"))
        stats = client.get(reverse("campaigns:stats", args=[campaign.pk]) + "?show=opened")
    assert "C19" in response.content.decode()
    assert stats.status_code == 200 and members[0].email in stats.content.decode()
