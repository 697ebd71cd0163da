"""Helpers to read what arrived at the SMTP server, and a French-speaking member."""

from __future__ import annotations

import re
from email.message import Message

import pytest


def parts_of(message: Message) -> dict[str, str]:
    """``{"text": …, "html": …}`` of a received message (decoded)."""
    found: dict[str, str] = {}
    for part in message.walk():
        kind = part.get_content_type()
        if kind in {"text/plain", "text/html"} and not part.is_multipart():
            charset = part.get_content_charset() or "utf-8"
            found["text" if kind == "text/plain" else "html"] = part.get_payload(decode=True).decode(charset)
    return found


def subject_of(message: Message) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["Subject"])))


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run ``fn`` and the email tasks it queues on commit (the immediate task backend sends them)."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run
