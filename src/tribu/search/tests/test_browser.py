"""Search in a real browser, on a phone: the header's magnifier leads to the page, a search without
accents finds the accented post, highlighted, and nothing scrolls sideways."""

from __future__ import annotations

import os

import pytest

from tests.browser import log_in, phone_page

from .conftest import make_post


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_member_searches_from_the_header_on_a_phone(live_server):
    from conftest import make_user

    member = make_user("phone@example.org", "member", "Paula Phone")
    make_post(member, "Rendez-vous au parc pour les événements de la rentrée associative, "
              "avec un très long mot: anticonstitutionnellementinternationalisation", title="Événements de septembre")
    with phone_page() as (page, console):
        log_in(page, live_server.url, "phone@example.org")
        page.goto(f"{live_server.url}/")
        page.click("header a[href='/search/']")
        page.fill("#search-q", "evenement")
        with page.expect_navigation():
            page.press("#search-q", "Enter")
        assert page.locator(".search-hit").count() == 1
        assert page.locator(".search-hit h3 mark").inner_text() == "Événements"
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        if os.environ.get("TRIBU_SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["TRIBU_SCREENSHOTS"], "search-phone.png"), full_page=True)
        assert [m for m in console if "Content Security Policy" in m] == []
