"""The composer's @mention suggestions follow the place chosen in "Where", not the one the page opened
with: someone who cannot read a private group is not offered once that group is chosen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import log_in, phone_page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_mention_suggestions_follow_the_place_chosen_while_writing(live_server):
    from conftest import make_user
    from tribu.groups.tests.conftest import add_to, make_group

    anna = make_user("anna@example.org", "animator", "Anna Animatrice")
    mia = make_user("mia@example.org", "member", "Mia Membre")
    make_user("oscar@example.org", "member", "Oscar Outsider")
    make_user("olga@example.org", "member", "Olga Oiselière")
    secret = make_group("Cercle privé", visibility="private", owner=anna)
    add_to(secret, mia)

    with phone_page() as (page, console):
        log_in(page, live_server.url, "mia@example.org")
        page.goto(f"{live_server.url}/feed/compose/")
        suggestions = page.locator("[data-md-suggestions]")
        body = page.locator("#id_body")

        page.select_option("#id_place", "")  # the community feed: every member may be mentioned
        body.fill("")
        body.press_sequentially("Bonjour @Os")
        expect(suggestions.get_by_role("option", name="Oscar Outsider")).to_be_visible()
        body.press("Escape")

        page.select_option("#id_place", str(secret.pk))  # a private group: only its members
        body.fill("")
        body.press_sequentially("Bonjour @Os")
        page.wait_for_timeout(600)  # the lookup waits 150 ms for typing to pause, then asks the server
        expect(suggestions.get_by_role("option", name="Oscar Outsider")).to_have_count(0)
        body.fill("")
        body.press_sequentially("Bonjour @An")
        expect(suggestions.get_by_role("option", name="Anna Animatrice")).to_be_visible()
        body.press("Enter")
        expect(body).to_have_value(f"Bonjour @[Anna Animatrice](user:{anna.pk}) ")
        assert not [m for m in console if "Content Security Policy" in m]
