"""The import journey in headless Chromium, on a phone-sized screen: upload, columns, check, import,
progress, report; then the personal data page. No horizontal scroll, no CSP violation."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.conf import settings

from tests.browser import CHROMIUM, CHROMIUM_ARGS, skip_or_fail

from .factories import member_rows, setup_reference_data, to_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser() -> Any:
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def signed_in_page(browser: Any, live_server: Any, user: Any) -> tuple[Any, list[str]]:
    from django.test import Client

    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 375, "height": 800})
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    return page, problems


def no_horizontal_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0


def test_an_admin_imports_a_file_on_a_phone(browser, live_server, alice, tmp_path):
    setup_reference_data()
    rows, expected = member_rows(40)
    path = tmp_path / "adhérents.csv"
    path.write_bytes(to_csv(rows, encoding="latin-1"))
    page, problems = signed_in_page(browser, live_server, alice)
    page.goto(f"{live_server.url}/manage/imports/")
    no_horizontal_scroll(page)
    page.set_input_files("input[type=file]", str(path))
    page.click("main form.form button[type=submit]")
    page.wait_for_url("**/mapping/")
    no_horizontal_scroll(page)
    page.click("main form.form button[type=submit]")
    page.wait_for_url("**/preview/")
    no_horizontal_scroll(page)
    assert "pas-une-adresse5" in page.content()
    page.click("main form.form button[type=submit]")
    page.wait_for_url("**/imports/*/")
    no_horizontal_scroll(page)
    assert page.locator(".import-counts dd").first.inner_text() == str(expected["valid"])
    page.goto(f"{live_server.url}/accounts/settings/privacy/")
    no_horizontal_scroll(page)
    page.goto(f"{live_server.url}/manage/imports/export/members/")
    no_horizontal_scroll(page)
    assert not [p for p in problems if "Content Security Policy" in p], problems
