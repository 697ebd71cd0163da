"""The library on a phone in a real browser: a member browses the index, opens a resource and
downloads its file; a member without the tier sees the teaser; an animator adds a resource to their
group's library. Pages fit 375 px and nothing breaks the Content-Security-Policy."""

from __future__ import annotations

import pytest

from tests.browser import ARTIFACTS, log_in, phone_page

from .conftest import add_to, make_category, make_group, make_resource, make_tier


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_members_browse_open_download_and_an_animator_adds_a_resource(live_server, tmp_path):
    from conftest import make_user
    from tribu.library.models import Resource

    shots = ARTIFACTS / "library"
    shots.mkdir(parents=True, exist_ok=True)
    anna = make_user("anna@example.org", "animator", "Anna Animatrice")
    mia = make_user("mia@example.org", "member", "Mia Membre")
    gold = make_tier("premium", name_fr="Premium")
    guides = make_category("Guides pratiques")
    make_category("Juridique", parent=guides)
    club = make_group("Club des entrepreneurs", owner=anna)
    add_to(club, mia)
    guide = make_resource("Guide de l'installation en micro-entreprise", category=guides, featured=True,
                          summary="Les démarches pas à pas pour s'installer comme artisan.")
    premium = make_resource("Étude de marché 2026 des métiers d'art", tiers=[gold],
                            summary="Chiffres clés et tendances.", body="CONTENU-PREMIUM")
    make_resource("Annuaire des chambres de métiers", kind="link", file=False, url="https://www.artisanat.fr")
    with phone_page() as (page, console):
        log_in(page, live_server.url, mia.email)
        page.goto(f"{live_server.url}/library/")
        _fits(page)
        page.screenshot(path=str(shots / "index.png"), full_page=True)
        page.click(f".library-grid a[href='/library/{guide.pk}/']")
        page.wait_for_url(f"**/library/{guide.pk}/")
        _fits(page)
        page.screenshot(path=str(shots / "resource.png"), full_page=True)
        with page.expect_download() as info:
            page.click(f"a[href='/library/{guide.pk}/download/']")
        download = info.value
        target = tmp_path / download.suggested_filename
        download.save_as(target)
        assert target.read_bytes().startswith(b"%PDF")
        page.goto(f"{live_server.url}/library/{premium.pk}/")
        assert "Premium" in page.content() and "CONTENU-PREMIUM" not in page.content()
        _fits(page)
        page.screenshot(path=str(shots / "teaser.png"), full_page=True)
        page.context.clear_cookies()
        log_in(page, live_server.url, anna.email)
        page.goto(f"{live_server.url}/library/groups/{club.slug}/")
        with page.expect_navigation():
            page.click("a[href^='/library/manage/new/']")
        page.select_option("#id_kind", "article")
        page.fill("#id_title", "Retour d'expérience : ma première embauche")
        page.fill("#id_summary", "Ce que j'aurais aimé savoir avant.")
        page.fill("#id_body", "Recruter son premier apprenti, **étape par étape**.")
        _fits(page)
        page.screenshot(path=str(shots / "add.png"), full_page=True)
        with page.expect_navigation():
            page.click("form.form button[type=submit]")
        assert Resource.objects.filter(group=club, title__startswith="Retour").exists()
        assert "<strong>étape par étape</strong>" in page.content()
        page.screenshot(path=str(shots / "added.png"), full_page=True)
    assert not [m for m in console if "Content Security Policy" in m or "Content-Security-Policy" in m]
