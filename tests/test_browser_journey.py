"""A newcomer's journey in a real browser: sign up in French, verify the email received over SMTP,
log in, find the community's branding, switch to English; plus a phone-size check and a bad signup."""

from __future__ import annotations

from typing import Any

import pytest

from .browser import find_link, hex_to_rgb, text_body

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMMUNITY_NAME = "Réseau des Artisans de Bretagne"
PRIMARY = "#7a1f5c"
PASSWORD = "Kouign-amann-2026!"


@pytest.fixture
def community(db: Any) -> Any:
    from tribu.core.community import forget_community
    from tribu.core.models import Community

    community, _ = Community.objects.update_or_create(
        pk=1,
        defaults={
            "name": COMMUNITY_NAME,
            "tagline": "Entraide et savoir-faire.",
            "primary_colour": PRIMARY,
            "secondary_colour": "#d9480f",
            "default_language": "fr",
            "charter": "# Charte\n\nSoyons bienveillants.",
        },
    )
    forget_community()
    return community


class Console:
    """Everything the page logs; CSP violations show up as console errors in Chromium."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def attach(self, page: Any) -> None:
        page.on(
            "console", lambda msg: self.messages.append(f"{msg.type}: {msg.text} ({page.url} {msg.location})")
        )
        page.on("pageerror", lambda exc: self.messages.append(f"pageerror: {exc}"))

    @property
    def csp_violations(self) -> list[str]:
        return [m for m in self.messages if "Content Security Policy" in m or "Content-Security-Policy" in m]


def new_page(chromium: Any, console: Console, **context_options: Any) -> Any:
    context = chromium.new_context(locale="fr-FR", **context_options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    console.attach(page)
    return page


def fill_signup(page: Any, *, email: str, password: str, password2: str | None = None, charter: bool) -> None:
    page.fill("input[name=email]", email)
    page.fill("input[name=display_name]", "Maël Le Goff")
    page.fill("input[name=password1]", password)
    page.fill("input[name=password2]", password if password2 is None else password2)
    if charter:
        page.check("input[name=accept_charter]")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()


def test_a_newcomer_signs_up_verifies_logs_in_and_switches_to_english(
    live_server: Any, smtp_server: Any, chromium: Any, community: Any, artifacts: Any
) -> None:
    console = Console()
    page = new_page(chromium, console)

    # 1. Sign up, in French (the community's default language).
    page.goto(f"{live_server.url}/accounts/signup/")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.screenshot(path=artifacts / "journey-1-signup.png", full_page=True)
    fill_signup(page, email="mael@example.org", password=PASSWORD, charter=True)
    page.screenshot(path=artifacts / "journey-2-verification-sent.png", full_page=True)
    assert "/accounts/signup/" not in page.url

    # 2. The verification email arrived over SMTP; open its link (as from a mail client: a new browser).
    assert len(smtp_server.received) == 1, "one verification email expected"
    message = smtp_server.received[0]
    assert message["To"] == "mael@example.org"
    link = find_link(text_body(message), "/accounts/confirm-email/")
    link = live_server.url + link[link.index("/accounts/confirm-email/") :]
    page.context.close()
    page = new_page(chromium, console)
    page.goto(link)
    page.screenshot(path=artifacts / "journey-3-confirm.png", full_page=True)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()

    # 3. Log in.
    if "/accounts/login/" not in page.url:
        page.goto(f"{live_server.url}/accounts/login/")
    page.screenshot(path=artifacts / "journey-4-login.png", full_page=True)
    page.fill("input[name=login]", "mael@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()

    # 4. The French home page, in the community's colours.
    assert page.url.rstrip("/") == live_server.url
    assert page.locator("html").get_attribute("lang") == "fr"
    assert COMMUNITY_NAME in page.locator(".topbar").inner_text()
    assert "Bonjour Maël Le Goff" in page.locator("main").inner_text()
    topbar_colour = page.evaluate("getComputedStyle(document.querySelector('.topbar')).backgroundColor")
    assert topbar_colour == hex_to_rgb(PRIMARY)
    page.screenshot(path=artifacts / "journey-5-home-fr.png", full_page=True)

    # 5. Switch to English from the footer.
    page.locator("footer form.lang-switch button[value=en]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Hello Maël Le Goff" in page.locator("main").inner_text()
    assert "Latest in the community" in page.locator("main").inner_text()
    page.screenshot(path=artifacts / "journey-6-home-en.png", full_page=True)

    # 6. On a phone: nothing sticks out sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_load_state()
    page.screenshot(path=artifacts / "journey-7-home-phone.png", full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the home page scrolls sideways by {overflow}px on a phone"

    assert console.csp_violations == [], console.messages
    page.context.close()


def test_a_bad_signup_shows_translated_errors_and_stays_on_the_page(
    live_server: Any, smtp_server: Any, chromium: Any, community: Any, artifacts: Any, mia: Any
) -> None:
    from tribu.accounts.models import User

    console = Console()
    page = new_page(chromium, console)
    page.goto(f"{live_server.url}/accounts/signup/")

    # An address already taken, a weak password and the charter left unchecked; the browser's own
    # checks are switched off so the server's messages are what the member reads.
    page.evaluate("document.querySelectorAll('form').forEach(f => f.noValidate = true)")
    fill_signup(page, email=mia.email, password="123", charter=False)

    page.screenshot(path=artifacts / "bad-signup.png", full_page=True)
    assert page.url.startswith(f"{live_server.url}/accounts/signup/")
    text = page.locator("main").inner_text()
    assert "Vous devez accepter la charte de la communauté pour vous inscrire." in text
    assert "Ce mot de passe est trop court" in text
    assert "Un autre utilisateur utilise déjà cette adresse e-mail." in text
    assert page.locator("input[name=email]").input_value() == mia.email
    assert User.objects.filter(email=mia.email).count() == 1
    assert smtp_server.received == []
    assert console.csp_violations == [], console.messages
    page.context.close()
