"""Companies in a real browser, on a phone: the directory, the company page and the people page fit
375 px without horizontal scrolling, facets apply on a tick and nothing breaks the CSP."""

from __future__ import annotations

import os

import pytest

from tests.browser import log_in, phone_page

from .conftest import attach, give_seats, make_company

SHOTS = os.environ.get("TRIBU_COMPANIES_SHOTS", "")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_contact_on_a_phone_browses_companies_and_invites_a_colleague(live_server):
    from conftest import make_user
    from tribu.companies.models import CompanyInvitation, PartnerLevel

    gold = PartnerLevel.objects.create(name_fr="Mécène or", position=1)
    long_name = make_company(
        "Société coopérative de menuiserie, d'ébénisterie et de charpente traditionnelle du Pays Bigouden",
        sector="Menuiserie", city="Pont-l'Abbé", size="10-49", partner_level=gold, page_visibility="public",
        website="https://www.une-adresse-de-site-web-vraiment-tres-longue-pour-voir.example/accueil",
        description="Une **très** longue description.",
    )
    make_company("Forge de Carhaix", sector="Forge", city="Carhaix", size="1-9")
    contact = make_user("phone@example.org", "member", "Paula Phone")
    attach(contact, long_name, contact=True)
    give_seats(long_name, 5)
    with phone_page() as (page, console):
        log_in(page, live_server.url, "phone@example.org")

        page.goto(f"{live_server.url}/companies/")
        assert page.locator("#companies-results .company-card").count() == 2
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.click(".companies-filters summary")
        with page.expect_navigation():
            page.check("input[name=sector][value=Forge]")
        assert "sector=Forge" in page.url
        assert page.locator("#companies-results .company-card").count() == 1
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/index.png", full_page=True)

        page.goto(f"{live_server.url}/companies/{long_name.slug}/")
        assert "1 place prise sur 5" in page.inner_text("main")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/detail.png", full_page=True)

        page.goto(f"{live_server.url}/companies/{long_name.slug}/people/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.fill("textarea[name=emails]", "neo@example.org, trinity@example.org")
        with page.expect_navigation():
            page.click("text=Envoyer les invitations")
        assert "neo@example.org" in page.inner_text(".pending-invitations")
        assert CompanyInvitation.objects.filter(company=long_name).count() == 2
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/people.png", full_page=True)

        page.goto(f"{live_server.url}/companies/partners/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert [m for m in console if "Content Security Policy" in m] == []
