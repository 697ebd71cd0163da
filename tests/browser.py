"""Helpers for browser tests: headless Debian Chromium driven by Playwright, and a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

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
