"""Helpers for browser tests: headless Debian Chromium driven by Playwright, and a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


class FreePortController(Controller):
    """aiosmtpd's Controller on an OS-chosen port.

    aiosmtpd 1.4 checks the server is up by connecting to ``self.port``; with ``port=0`` that is port 0
    and start() fails with "Connection refused". Learn the real port from the bound socket first.
    """

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def text_body(message: object) -> str:
    """The plain-text part of a received message (aiosmtpd hands over ``email.message.Message``)."""
    parsed: EmailMessage = email.message_from_bytes(
        message.as_bytes(),  # type: ignore[attr-defined]
        policy=email.policy.default,  # type: ignore[arg-type]
    )
    part = parsed.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


def find_link(text: str, path_fragment: str) -> str:
    match = re.search(rf"https?://[^\s\"'<>]*{re.escape(path_fragment)}[^\s\"'<>]*", text)
    if match is None:
        raise AssertionError(f"No link containing {path_fragment!r} in:\n{text}")
    return match.group(0)


def hex_to_rgb(colour: str) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def skip_or_fail(reason: str) -> None:
    """Without a browser a developer's run skips the browser tests; CI must have one, so there it fails."""
    import os

    import pytest

    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI installs it (scripts/test), so this is a broken set-up")
    pytest.skip(reason)


@contextmanager
def phone_page(width: int = 375, height: int = 800) -> Iterator[tuple[Any, list[str]]]:
    """A phone-sized page in Debian's headless Chromium, with the console messages it logs (to find
    Content-Security-Policy violations). Its own Playwright, closed on exit: for the apps' tests; the
    journeys in ``tests/`` share the session's ``chromium`` fixture instead (a second sync Playwright
    cannot start while that one runs)."""
    import os

    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the playwright package is not installed")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            yield page, console
        finally:
            browser.close()


def log_in(page: Any, base_url: str, email_address: str, password: str = "correct horse battery") -> None:  # noqa: S107
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", email_address)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
