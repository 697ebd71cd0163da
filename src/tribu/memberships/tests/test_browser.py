"""Memberships in a real browser, on a phone (375 px): the member's page and choosing a tier, the
team's list and a member's page with its forms — no horizontal scrolling, no CSP violation."""

from __future__ import annotations

import os

import pytest

from tests.browser import log_in, phone_page

from .conftest import make_tier

SHOTS = os.environ.get("TRIBU_MEMBERSHIPS_SHOTS", "")



def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 375


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_member_and_the_team_on_a_phone(live_server):
    from conftest import make_user
    from tribu.memberships.models import Membership

    membre = make_tier("membre", name_fr="Membre", price_cents=6000, period="calendar_year", self_selectable=True)
    make_tier("bienfaiteur", name_fr="Bienfaiteur·rice de la communauté des artisans", price_cents=25000,
              self_selectable=True)
    make_user("staff@example.org", "staff", "Sam Staff")
    member = make_user("phone@example.org", "member", "Paula Phone")
    with phone_page() as (page, console):
        log_in(page, live_server.url, "phone@example.org")
        page.goto(f"{live_server.url}/memberships/mine/")
        assert "60,00\u00a0€" in page.inner_text("main")
        assert fits(page)
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/mine.png", full_page=True)
        # A paid tier is chosen on the payment page (card, transfer or cheque): nothing is pending before that.
        with page.expect_navigation():
            page.click("text=Choisir « Membre »")
        assert page.url.endswith(f"/payments/pay/{membre.pk}/")
        assert "60,00\u00a0€" in page.inner_text("main")
        assert not Membership.objects.filter(user=member).exists()
        assert fits(page)

        from tribu.memberships.actions import choose_tier

        choose_tier(member, membre)  # the request the team activates once the dues arrive
        page.goto(f"{live_server.url}/memberships/mine/")
        assert "Payer par carte, virement ou chèque" in page.inner_text("main")

        page.context.clear_cookies()
        log_in(page, live_server.url, "staff@example.org")
        page.goto(f"{live_server.url}/memberships/manage/?status=pending")
        assert "Paula Phone" in page.inner_text("main")
        assert fits(page)
        with page.expect_navigation():
            page.click("text=Paula Phone")
        assert fits(page)
        page.fill("#id_activate-reason", "Virement reçu")
        with page.expect_navigation():
            page.click("button:has-text('Activer')")
        assert "Virement reçu" in page.inner_text("main")
        assert Membership.objects.get(user=member).status == "active"
        assert fits(page)
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/holder.png", full_page=True)
        assert not [m for m in console if "Content Security Policy" in m or "Refused" in m]
