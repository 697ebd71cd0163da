"""Every page a visitor, a member or an admin reaches by following links from the home page of the demo
community fits a phone's width (no sideways scrolling), passes axe-core's WCAG 2 A/AA checks and
breaks no Content-Security-Policy rule.

The pages are found by following links (same site, GET, no downloads), so a new page is covered as
soon as something links to it."""

from __future__ import annotations

import io
import re
import threading
from typing import Any
from urllib.parse import urlsplit

import pytest

from .browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SKIP = ("/accounts/logout", "/static/", "/media/", "/api/", "download", "export", "/stop/", "/open/",
        "/unsubscribe", ".ics", ".csv", ".pdf", ".xml", "/admin/")
MAX_PAGES = 200
WIDTH = 375


def _crawl(page: Any, base: str, problems: dict[str, list[str]]) -> dict[str, int]:
    """Width of each page reached from ``/`` (breadth first, at most MAX_PAGES); axe-core's findings
    go to ``problems`` (rule and element → pages)."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    seen: dict[str, int] = {}
    # Two pages of each shape (/profile/N/, /companies/a-slug/) are enough: more kinds of page, not more members.
    shapes: dict[str, int] = {}
    queue = ["/"]
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        try:
            response = page.goto(base + path)
        except Exception as error:  # a link to a file: the browser downloads it, there is no page
            if "Download is starting" in str(error):
                seen[path] = 0
                continue
            raise
        page.wait_for_load_state()
        assert response is not None and response.status < 500, f"{path}: {response and response.status}"
        # Against the phone's width, not window.innerWidth: a mobile browser widens its layout viewport
        # to fit content that overflows, which would hide the overflow.
        seen[path] = page.evaluate("document.documentElement.scrollWidth") - WIDTH
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}})
        for violation in results.response["violations"]:
            for node in violation["nodes"][:3]:
                problems.setdefault(f"{violation['id']} {node['target']}", []).append(path)
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            parts = urlsplit(href)
            if parts.netloc != urlsplit(base).netloc or any(word in parts.path for word in SKIP):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            shape = "/".join("S" if "-" in segment else re.sub(r"\d+", "N", segment)
                             for segment in parts.path.split("/"))
            if target in seen or target in queue or parts.query.startswith("before=") or shapes.get(shape, 0) >= 2:
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            queue.append(target)
    return seen


@pytest.mark.parametrize("role", ["anonymous", "member", "admin"])
def test_every_linked_page_fits_a_phone(live_server: Any, chromium: Any, role: str) -> None:
    from django.core.management import call_command

    from tribu.core import demo

    # In a thread of its own: this thread runs the browser's event loop, where Django's async_to_sync
    # (used by the demo's live notifications) refuses to run.
    worker = threading.Thread(target=call_command, args=("demo",), kwargs={"stdout": io.StringIO()})
    worker.start()
    worker.join()
    context = chromium.new_context(viewport={"width": WIDTH, "height": 800}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    try:
        if role != "anonymous":  # a visitor: the landing page, sign-up, log-in, public event pages…
            log_in(page, live_server.url, demo.DEMO_LOGINS[role], demo.DEMO_PASSWORD)
        problems: dict[str, list[str]] = {}
        widths = _crawl(page, live_server.url, problems)
    finally:
        context.close()
    assert len(widths) >= (4 if role == "anonymous" else 15), sorted(widths)
    too_wide = {path: extra for path, extra in widths.items() if extra > 1}
    assert not too_wide, f"pages wider than the phone (extra pixels): {too_wide}"
    assert not problems, "accessibility (axe-core rule, element: pages):\n" + "\n".join(
        f"{rule}: {pages[:4]}" for rule, pages in sorted(problems.items()))
    assert not [m for m in console if "Content Security Policy" in m], console
