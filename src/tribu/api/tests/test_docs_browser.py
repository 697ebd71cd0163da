"""The interactive API docs work in a real browser under the site's Content-Security-Policy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import skip_or_fail

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


@pytest.mark.browser
def test_the_swagger_docs_render_without_breaking_the_csp(live_server, mia):
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(f"{live_server.url}/api/v1/docs")
            page.wait_for_selector(".swagger-ui .info .title", timeout=15000)
            assert "Tribu API" in page.inner_text(".swagger-ui .info .title")
            page.wait_for_selector('[data-path="/api/v1/me/tokens"]', timeout=15000)
            script_violations = [m for m in console if "Content Security Policy" in m and "script" in m]
            assert script_violations == []
            assert all(url.startswith(live_server.url) for url in requests), requests  # no CDN
        finally:
            browser.close()
