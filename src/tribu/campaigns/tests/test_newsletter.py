"""The newsletter builder proposes the period's most engaging posts and the upcoming events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tribu.campaigns import actions, content, queries
from tribu.campaigns.models import Campaign, Kind
from tribu.core.activity import record


def _post(author, body, days_ago, group=None):
    from tribu.feed.models import Post

    post = Post.objects.create(author=author, body=body, body_html=f"<p>{body}</p>", group=group)
    Post.objects.filter(pk=post.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return post


def test_the_most_engaging_posts_of_the_period_come_first(bob, mia, anna):
    quiet = _post(mia, "Un message calme", 2)
    lively = _post(anna, "Un débat animé", 3)
    too_old = _post(anna, "Un vieux message", 40)
    for _ in range(3):
        record(mia, "post.reacted", lively)
    record(bob, "comment.created", quiet)
    for _ in range(10):
        record(bob, "post.reacted", too_old)
    today = timezone.localdate()
    posts = queries.engaging_posts(today - timedelta(days=7), today)
    assert [p.pk for p in posts] == [lively.pk, quiet.pk]
    assert posts[0].engagement == 3


def test_posts_of_private_or_tier_reserved_groups_are_never_proposed_to_everyone(mia, anna):
    from tribu.groups.tests.conftest import make_group, make_tier

    premium = make_tier("premium")
    public = make_group("Club ouvert", owner=anna)
    private = make_group("Club fermé", visibility="private", owner=anna)
    reserved = make_group("Club premium", owner=anna, tiers=[premium])
    below = make_group("Atelier premium", owner=anna, parent=reserved)
    shown = [_post(mia, "Dans le fil", 1), _post(mia, "Au club ouvert", 1, public)]
    for group in (private, reserved, below):
        _post(mia, f"Réservé à {group.name}", 1, group)
    today = timezone.localdate()
    proposed = queries.engaging_posts(today - timedelta(days=7), today, limit=10)
    assert {p.pk for p in proposed} == {p.pk for p in shown}


def test_building_a_newsletter_makes_an_editable_draft_with_the_proposal(client, bob, mia):
    post = _post(mia, "Retour sur l'assemblée générale", 1)
    client.force_login(bob)
    today = timezone.localdate()
    params = {"period_start": (today - timedelta(days=7)).isoformat(), "period_end": today.isoformat()}
    page = client.get("/manage/campaigns/newsletter/", params)
    assert page.status_code == 200 and "Retour sur l" in page.content.decode()
    response = client.post("/manage/campaigns/newsletter/", {**params, "name": "Lettre de novembre"})
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/manage/campaigns/{campaign.pk}/"
    assert campaign.kind == Kind.NEWSLETTER and campaign.topic == "newsletter" and campaign.name == "Lettre de novembre"
    assert campaign.blocks[1] == {"type": "posts", "count": 1, "post_ids": [post.pk]}
    compiled = content.compile_message(campaign, "fr")
    assert "Retour sur l" in compiled.text and "Dernières publications" in compiled.html


def test_a_period_that_ends_before_it_starts_is_refused(client, bob):
    client.force_login(bob)
    today = timezone.localdate()
    response = client.post(
        "/manage/campaigns/newsletter/",
        {"period_start": today.isoformat(), "period_end": (today - timedelta(days=3)).isoformat()},
    )
    assert response.status_code == 400 and not Campaign.objects.exists()
    with pytest.raises(ValidationError):
        actions.create_newsletter(bob, start=today, end=today - timedelta(days=1))
    assert not Campaign.objects.exists()


def test_upcoming_events_are_proposed_and_listed_in_the_email(bob):
    from tribu.events.models import Event

    soon = timezone.now() + timedelta(days=5)
    event = Event.objects.create(slug="afterwork-brest", title="Afterwork à Brest", starts_at=soon,
                                 ends_at=soon + timedelta(hours=2), status="published")
    Event.objects.create(slug="brouillon", title="Pas encore publié", starts_at=soon,
                         ends_at=soon + timedelta(hours=2), status="draft")
    today = timezone.localdate()
    proposal = queries.newsletter_proposal(today - timedelta(days=7), today)
    assert [e.pk for e in proposal["events"]] == [event.pk]
    campaign = actions.create_newsletter(bob, start=today - timedelta(days=7), end=today, proposal=proposal)
    assert campaign.blocks[-1] == {"type": "events", "count": 1, "event_ids": [event.pk]}
    compiled = content.compile_message(campaign, "fr")
    assert "Afterwork à Brest" in compiled.html and "Événements à venir" in compiled.text
    assert "Pas encore publié" not in compiled.html
