"""In a real browser: a member on a phone follows the unsubscribe link of an email, confirms, then
changes their choices in the preference centre without logging in; the email itself fits 375 px; an
admin sees the draft of an email in the desktop and phone previews. Nothing breaks the CSP."""

from __future__ import annotations

import os

import pytest

from tests.browser import log_in, phone_page

SHOTS = os.environ.get("TRIBU_MAILING_SHOTS", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_member_unsubscribes_on_a_phone_and_changes_their_choices(live_server, settings):
    from conftest import make_user
    from tribu.mailing import consent
    from tribu.mailing.composer import render
    from tribu.privacy.actions import record_consent

    settings.SITE_URL = live_server.url
    member = make_user("paula@example.org", "member", "Paula Téléphone")
    record_consent(member, consent.NEWSLETTER, True)
    email = render(
        "imports/emails/invitation", {"user": member, "url": live_server.url + "/"}, "fr",
        unsubscribe_url=consent.unsubscribe_url(member, consent.NEWSLETTER),
        preferences_url=consent.preferences_url(member),
    )
    with phone_page() as (page, console):
        page.set_content(email["html"])
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        _shot(page, "email")
        page.click("text=Se désinscrire")
        page.wait_for_load_state()
        assert page.locator("h1").inner_text().startswith("Ne plus recevoir")
        assert consent.may_send(member, consent.NEWSLETTER) is True  # opening the page changed nothing
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        _shot(page, "unsubscribe")
        page.click("form button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Vous êtes désinscrit"
        assert consent.may_send(member, consent.NEWSLETTER) is False
        page.click("text=Choisir les e-mails que vous recevez")
        page.wait_for_load_state()
        assert not page.is_checked("#id_newsletter")
        page.check("#id_event_announcements")
        page.uncheck("#id_campaigns")
        page.click("form.form button[type=submit]")
        page.wait_for_load_state()
        assert "Vos choix sont enregistrés" in page.locator(".messages").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        _shot(page, "preferences")
        assert consent.subscriptions(member)["event_announcements"] is True
        assert consent.subscriptions(member)["campaigns"] is False
        assert not [m for m in console if "Content Security Policy" in m or "Content-Security-Policy" in m]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_admin_previews_a_draft_at_both_widths(live_server):
    from conftest import make_user

    make_user("admin@example.org", "admin", "Ada Admin")
    with phone_page(width=1280, height=900) as (page, console):
        log_in(page, live_server.url, "admin@example.org")
        page.goto(f"{live_server.url}/email/manage/")
        page.click("a[href='/email/manage/fr/memberships/emails/granted/']")
        page.wait_for_load_state()
        page.fill("#id_subject", "Votre adhésion, {{ first_name }}")
        page.fill("#id_body", "Bonjour **{{ first_name }}**,\n\nVotre formule : {{ tier.name }}.")
        page.click("button[value=preview]")
        page.wait_for_load_state()
        frames = page.locator("iframe")
        assert frames.count() == 2
        widths = [frames.nth(i).bounding_box()["width"] for i in range(2)]
        assert widths[0] > 600 and 370 <= widths[1] <= 380
        for i in range(2):
            body = page.frame_locator("iframe").nth(i).locator("body")
            assert "Bonjour Ada" in body.inner_text()
        _shot(page, "editor")
        if SHOTS:
            page.locator(".mailing-previews").screenshot(path=f"{SHOTS}/previews.png")
        page.fill("#id_body", "Bonjour {{ prenom }}")
        page.click("button[value=save]")
        page.wait_for_load_state()
        assert "Variable inconnue : {{ prenom }}" in page.locator(".errors").first.inner_text()
        assert not [m for m in console if "Content Security Policy" in m or "Content-Security-Policy" in m]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_on_a_phone_see_why_an_address_is_stopped_and_lift_it(live_server):
    from conftest import make_user
    from tribu.mailing.bounces import handle_inbound
    from tribu.mailing.models import EmailSuppression

    from .test_suppression import _dsn

    make_user("staff@example.org", "staff", "Sam Staff")
    handle_inbound(_dsn("une.adresse.vraiment.tres.longue.pour.voir@sous-domaine.example.org"))
    with phone_page() as (page, console):
        log_in(page, live_server.url, "staff@example.org")
        page.goto(f"{live_server.url}/email/manage/suppressions/")
        assert "Adresse en échec définitif" in page.locator("table").inner_text()
        _shot(page, "suppressions")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.click("table button[type=submit]")
        page.wait_for_load_state()
        assert "peut de nouveau recevoir des e-mails" in page.locator(".messages").inner_text()
        assert EmailSuppression.objects.get().lifted_at is not None
        assert not [m for m in console if "Content Security Policy" in m or "Content-Security-Policy" in m]
