"""The directory in a real browser: no horizontal scroll on a phone, facets apply on a tick under
the Content-Security-Policy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import skip_or_fail

from .conftest import add_member

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_directory_fits_a_phone_and_filters_on_a_tick(live_server):
    from conftest import make_user

    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    viewer = make_user("phone@example.org", "member", "Paula Phone")
    add_member("Paula Phone", user=viewer, region="Bretagne")
    add_member("Maximilien-Alexandre de La Tour d'Auvergne", job_title="Responsable des partenariats "
               "institutionnels et internationaux", region="Bretagne", city="Saint-Brieuc")
    add_member("Nora Normande", region="Normandie")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800})
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("input[name=login]", "phone@example.org")
            page.fill("input[name=password]", "correct horse battery")
            page.click("form button[type=submit]")
            page.wait_for_load_state()
            page.goto(f"{live_server.url}/members/")
            assert page.locator("#directory-results .member-card").count() == 3
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            page.click(".directory-filters summary")
            with page.expect_navigation():
                page.check("input[name=region][value=Normandie]")
            assert "region=Normandie" in page.url
            assert page.locator("#directory-results .member-card").count() == 1
            assert "1" in page.inner_text("[aria-live=polite]")
            assert [m for m in console if "Content Security Policy" in m] == []
        finally:
            browser.close()
