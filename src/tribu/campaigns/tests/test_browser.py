"""A community manager on a phone writes a campaign, previews it at phone width, sends it and reads
its statistics: every page fits 375 px and nothing breaks the Content-Security-Policy."""

from __future__ import annotations

import os

import pytest

from tests.browser import log_in, phone_page

SHOTS = os.environ.get("TRIBU_CAMPAIGNS_SHOTS", "")


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_manager_on_a_phone_composes_previews_sends_and_reads_the_statistics(live_server, settings):
    from django.core import mail

    from conftest import make_user
    from tribu.campaigns.models import Campaign

    from .conftest import make_members, members_segment

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_user("manager@example.org", "staff", "Manon Manager")
    make_members(3)
    members_segment("Tous les membres")
    with phone_page() as (page, console):
        log_in(page, live_server.url, "manager@example.org")
        page.goto(f"{live_server.url}/manage/campaigns/")
        _fits(page)
        page.click("text=Nouvelle campagne")
        page.fill("input[name=name]", "Rentrée de septembre")
        with page.expect_navigation():
            page.click("text=Créer et écrire le contenu")
        page.fill("input[name=subject_fr]", "Bonjour {{ first_name }}")
        page.select_option("select[name=segment]", label="Tous les membres")
        with page.expect_navigation():
            page.click("button[name=add][value=text]")
        page.fill("textarea[name='b-0-text_fr']", "La **rentrée** arrive : [le programme](https://example.com/p).")
        with page.expect_navigation():
            page.click("button[name=add][value=button]")
        page.fill("input[name='b-1-url']", "https://example.com/inscription")
        page.fill("input[name='b-1-label_fr']", "Je m'inscris")
        with page.expect_navigation():
            page.click("form.form button[type=submit]:has-text('Enregistrer')")
        assert "La campagne a été enregistrée" in page.inner_text("main")
        assert "3 membres sur 3 ciblés" in page.inner_text("main")
        _fits(page)
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/edit.png", full_page=True)

        page.click("text=Aperçu en français")
        page.click("text=Téléphone (375 px)")
        frame = page.frame_locator("iframe.preview-frame")
        assert "Je m'inscris" in frame.locator("body").inner_text()
        _fits(page)
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/preview.png", full_page=True)

        page.go_back()
        page.go_back()
        with page.expect_navigation():
            page.click("text=Envoyer ou programmer")
        assert "L'envoi a commencé" in page.inner_text("main") or "L’envoi a commencé" in page.inner_text("main")
        _fits(page)
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/stats.png", full_page=True)
        assert Campaign.objects.get().status == "sent"
        assert len(mail.outbox) == 3
        assert not [m for m in console if "Content Security Policy" in m or "Content-Security-Policy" in m]
