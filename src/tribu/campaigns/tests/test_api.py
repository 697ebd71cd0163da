"""API v1 /campaigns: the team creates, changes, schedules and reads statistics; nobody else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tribu.campaigns.models import Campaign, Recipient, Status

from .conftest import make_campaign, make_members

BLOCKS = [
    {"type": "text", "text_fr": "Bonjour {{ first_name }}", "text_en": "Hello {{ first_name }}"},
    {"type": "button", "url": "https://example.com/go", "label_fr": "Aller", "label_en": "Go"},
]


@pytest.mark.parametrize("role", ["animator", "member", "guest"])
def test_only_the_team_uses_the_campaigns_api(client, users_by_role, segment, role):
    campaign = make_campaign(segment=segment)
    client.force_login(users_by_role[role])
    assert client.get("/api/v1/campaigns").status_code == 403
    assert client.post("/api/v1/campaigns", {"name": "x"}, content_type="application/json").status_code == 403
    assert client.get(f"/api/v1/campaigns/{campaign.pk}/stats").status_code == 403
    assert (
        client.post(f"/api/v1/campaigns/{campaign.pk}/schedule", {}, content_type="application/json").status_code == 403
    )
    assert (
        client.patch(f"/api/v1/campaigns/{campaign.pk}", {"name": "y"}, content_type="application/json").status_code
        == 403
    )
    assert Campaign.objects.get().name == "Rentrée" and not Recipient.objects.exists()


def test_anonymous_callers_must_authenticate(client, segment):
    assert client.get("/api/v1/campaigns").status_code == 401


def test_create_update_schedule_and_read_statistics(
    client, bob, segment, smtp_server, django_capture_on_commit_callbacks
):
    make_members(3)
    client.force_login(bob)
    response = client.post(
        "/api/v1/campaigns",
        {
            "name": "Rentrée",
            "subject_fr": "Bonjour",
            "subject_en": "Hello",
            "blocks": BLOCKS,
            "segment_id": segment.pk,
            "rate_per_second": 0,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["status"] == "draft" and response.json()["segment_id"] == segment.pk

    response = client.patch(
        f"/api/v1/campaigns/{pk}", {"preheader_fr": "Les nouvelles"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["preheader_fr"] == "Les nouvelles"

    later = (timezone.now() + timedelta(days=1)).isoformat()
    response = client.post(f"/api/v1/campaigns/{pk}/schedule", {"at": later}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "scheduled"
    Campaign.objects.filter(pk=pk).update(status=Status.DRAFT, scheduled_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/campaigns/{pk}/schedule", {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "sending"
    assert len(smtp_server.received) == 3
    assert client.get(f"/api/v1/campaigns/{pk}").json()["status"] == "sent"

    # Once sent, a campaign cannot change any more.
    response = client.patch(f"/api/v1/campaigns/{pk}", {"name": "Autre"}, content_type="application/json")
    assert response.status_code == 409

    stats = client.get(f"/api/v1/campaigns/{pk}/stats").json()
    assert stats["sent"] == stats["delivered"] == 3 and stats["opened"] == 0
    assert stats["links"] == [{"url": "https://example.com/go", "clicks": 0, "people": 0}]
    assert stats["timeline"][0]["sent"] == 3
    listing = client.get("/api/v1/campaigns").json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == pk


def test_bad_input_is_a_422_with_translated_messages_and_writes_nothing(client, bob, segment, english):
    client.force_login(bob)
    client.cookies["tribu_language"] = "en"
    bad_block = client.post(
        "/api/v1/campaigns", {"name": "x", "blocks": [{"type": "video"}]}, content_type="application/json"
    )
    assert bad_block.status_code == 422 and "unknown block type" in bad_block.content.decode()
    no_segment = client.post("/api/v1/campaigns", {"name": "x", "segment_id": 999999}, content_type="application/json")
    assert no_segment.status_code == 422 and "segment does not exist" in no_segment.content.decode()
    assert not Campaign.objects.exists()

    campaign = make_campaign(segment=segment, subject_fr="Bonjour {{ inconnu }}")
    response = client.post(f"/api/v1/campaigns/{campaign.pk}/schedule", {}, content_type="application/json")
    assert response.status_code == 422 and "Unknown placeholder" in response.content.decode()
    campaign.subject_fr = "Bonjour"
    campaign.save()
    response = client.post(f"/api/v1/campaigns/{campaign.pk}/schedule", {}, content_type="application/json")
    assert response.status_code == 422 and "matches no member" in response.content.decode()
    assert not Recipient.objects.exists()
    assert client.post(f"/api/v1/campaigns/{campaign.pk}/pause").status_code == 409
