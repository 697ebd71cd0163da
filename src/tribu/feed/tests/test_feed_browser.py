"""The home feed and the composer in a real browser: on a phone (375 px) nothing overflows, the
composer shows the fields of the chosen kind, "older posts" loads more without leaving the page and
the address keeps the place; no CSP violation. Screenshots go to TRIBU_FEED_SHOTS when set."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser import log_in, phone_page

SHOTS = os.environ.get("TRIBU_FEED_SHOTS", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _no_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_member_reads_the_feed_and_writes_a_question_on_a_phone(live_server):
    from django.utils import timezone

    from conftest import make_user
    from tribu.feed import actions
    from tribu.feed.models import Post
    from tribu.groups.tests.conftest import add_to, make_group

    alice = make_user("alice@example.org", "admin", "Alice Admin")
    anna = make_user("anna@example.org", "animator", "Anna Animatrice")
    mia = make_user("mia@example.org", "member", "Mia Membre")
    club = make_group("Club photo", owner=anna)
    add_to(club, mia)
    actions.save_welcome_block(alice, None, title="Bienvenue dans la communauté",
                               body="Présentez-vous dans **Club photo** et posez vos questions.")
    pinned = actions.create_post(alice, None, "Les règles de la communauté sont dans la charte.",
                                 kind="announcement", title="À lire d'abord")
    actions.set_pinned(alice, pinned, True)
    for i in range(24):
        post = actions.create_post(anna, club, f"Sortie numéro {i} au bord du lac #photo #sortie",
                                   kind="question" if i % 3 == 0 else "discussion",
                                   title=f"Sortie photo {i}" if i % 2 else "")
        Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - timedelta(hours=30 - i))

    with phone_page() as (page, console):
        log_in(page, live_server.url, "mia@example.org")
        page.goto(f"{live_server.url}/feed/")
        expect(page.get_by_role("heading", name="Bienvenue dans la communauté")).to_be_visible()
        expect(page.locator(".feed-card").first).to_contain_text("À lire d'abord")
        _no_overflow(page)
        _shot(page, "feed-phone")
        before = page.locator(".feed-card").count()
        page.locator("#feed-more a").scroll_into_view_if_needed()
        expect(page.locator(".feed-card")).not_to_have_count(before)
        assert "before=" in page.url  # the address keeps the reader's place
        expect(page.locator(".feed-card")).to_have_count(25)

        page.goto(f"{live_server.url}/feed/compose/?group={club.pk}")
        expect(page.locator("#id_link_url")).to_be_hidden()
        page.select_option("#id_kind", "link")
        expect(page.locator("#id_link_url")).to_be_visible()
        page.select_option("#id_kind", "article")
        expect(page.locator(".feed-cover-fields")).to_be_visible()
        page.select_option("#id_kind", "question")
        expect(page.locator(".feed-cover-fields")).to_be_hidden()
        expect(page.locator("#id_publish_at")).to_be_hidden()
        page.check("input[name=action][value=schedule]")
        expect(page.locator("#id_publish_at")).to_be_visible()
        page.check("input[name=action][value=publish]")
        page.fill("#id_title", "Quel objectif pour débuter ?")
        page.fill("#id_body", "Je cherche un objectif polyvalent. #matériel")
        _no_overflow(page)
        _shot(page, "compose-phone")
        page.click("form[data-compose] button[type=submit]")
        page.wait_for_load_state()
        assert Post.objects.filter(title="Quel objectif pour débuter ?", group=club, kind="question").exists()
        page.goto(f"{live_server.url}/feed/tags/photo/")
        _no_overflow(page)
        assert not [m for m in console if "Content Security Policy" in m or "Content-Security-Policy" in m]

    with phone_page(width=1280, height=900) as (page, _console):
        log_in(page, live_server.url, "anna@example.org")
        page.goto(f"{live_server.url}/feed/")
        expect(page.locator(".feed-aside")).to_be_visible()
        _shot(page, "feed-desktop")
