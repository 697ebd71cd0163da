"""The issue's journey in a real browser on a phone: a member takes the last seat, a second member
lands on the waitlist, the first unregisters, the second is promoted and gets the email (with the
.ics), and the organiser checks the second in with the code of the confirmation. Pages fit 375 px
and nothing breaks the Content-Security-Policy."""

from __future__ import annotations

import email
import email.policy
import os
import re

import pytest

from tests.browser import log_in, phone_page

from .conftest import make_event, subject_of

SHOTS = os.environ.get("TRIBU_EVENTS_SHOTS", "")
FRENCH_UI = True  # the journey reads the pages in the community's default language


def _parsed(message):
    return email.message_from_bytes(message.as_bytes(), policy=email.policy.default)


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_waitlist_journey_on_a_phone(live_server, smtp_server, anna, mia, oscar):
    from tribu.events.models import Registration

    event = make_event(title="Afterwork des adhérents", organiser=anna, capacity=1, venue="Le Lieu Unique",
                       address="2 quai Ferdinand Favre, Nantes", summary="Un verre entre membres.")
    with phone_page() as (page, console):
        # Mia takes the only seat.
        log_in(page, live_server.url, "mia@example.org")
        page.goto(f"{live_server.url}/events/")
        assert "Afterwork des adhérents" in page.inner_text("main")
        _fits(page)
        _shot(page, "agenda")
        page.click("text=Afterwork des adhérents")
        assert "1 place restante sur 1" in page.inner_text("main")
        _fits(page)
        with page.expect_navigation():
            page.click("button:has-text('S’inscrire')")
        assert "Vous êtes inscrit·e." in page.inner_text("[data-testid=my-status]")
        _shot(page, "registered")
        [confirmation] = smtp_server.received
        assert confirmation["To"] == "mia@example.org"
        assert "Vous êtes inscrit·e" in subject_of(confirmation)
        parts = {p.get_content_type() for p in _parsed(confirmation).walk()}
        assert {"text/plain", "text/html", "text/calendar"} <= parts

        # Oscar lands on the waitlist.
        page.context.clear_cookies()
        log_in(page, live_server.url, "oscar@example.org")
        page.goto(f"{live_server.url}/events/{event.slug}/")
        with page.expect_navigation():
            page.click("button:has-text('Rejoindre la liste d’attente')")
        assert "liste d’attente (position 1)" in page.inner_text("[data-testid=my-status]")
        _fits(page)
        _shot(page, "waitlisted")

        # Mia gives her seat back; Oscar is promoted and told by email.
        page.context.clear_cookies()
        log_in(page, live_server.url, "mia@example.org")
        page.goto(f"{live_server.url}/events/{event.slug}/")
        with page.expect_navigation():
            page.click("button:has-text('Annuler mon inscription')")
        assert "Votre inscription est annulée." in page.inner_text("main")
        promoted = [m for m in smtp_server.received if m["To"] == "oscar@example.org" and "place" in subject_of(m)
                    and "libérée" in subject_of(m)]
        assert len(promoted) == 1
        body = _parsed(promoted[0]).get_body(preferencelist=("plain",)).get_content()
        code = re.search(r"Votre code de confirmation\s*:\s*(\S+)", body)
        assert code is not None, body
        assert any(p.get_content_type() == "text/calendar" for p in _parsed(promoted[0]).walk())
        registration = Registration.objects.get(event=event, user=oscar)
        assert registration.status == "confirmed" and registration.code == code.group(1)

        # Anna checks Oscar in at the door by typing the code (no camera in a headless browser).
        page.context.clear_cookies()
        log_in(page, live_server.url, "anna@example.org")
        page.goto(f"{live_server.url}/events/{event.slug}/check-in/")
        _fits(page)
        page.fill("input[name=code]", code.group(1))
        with page.expect_navigation():
            page.click("form[data-code-form] button[type=submit]")
        assert "Oscar Outsider est pointé·e." in page.inner_text("[data-testid=checkin-result]")
        _shot(page, "checkin")
        page.goto(f"{live_server.url}/events/{event.slug}/attendees/")
        assert "taux de présence 100 %" in page.inner_text("main")
        _fits(page)
        _shot(page, "attendees")
        page.goto(f"{live_server.url}/events/month/")
        _fits(page)
        _shot(page, "month")
        problems = ("Content Security Policy", "Refused", "SyntaxError", "TypeError")
        assert [m for m in console if any(p in m for p in problems)] == []
    registration.refresh_from_db()
    assert registration.checked_in_at is not None
