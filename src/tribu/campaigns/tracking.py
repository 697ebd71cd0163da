"""Signed tracking addresses: the open pixel per recipient and the click redirect per recipient per link.

A token is ``<recipient id>-<link id>-<signature>`` (``-0-`` for the pixel); the signature is an HMAC of
the ids under the site's secret key, so nobody can forge a click or an open for another member, and
the redirect only ever goes to a ``Link`` of the recipient's own campaign (no open redirect)."""

from __future__ import annotations

import base64
import hmac

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import salted_hmac

SALT = "tribu.campaigns.tracking"


def _signature(recipient_id: int, link_id: int) -> str:
    digest = salted_hmac(SALT, f"{recipient_id}:{link_id}", algorithm="sha256").digest()[:12]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token(recipient_id: int, link_id: int = 0) -> str:
    return f"{recipient_id}-{link_id}-{_signature(recipient_id, link_id)}"


def read(value: str) -> tuple[int, int] | None:
    """``(recipient id, link id)`` of a genuine token (link id 0: the pixel), else None."""
    parts = value.split("-", 2)
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(parts[0]) > 18 or len(parts[1]) > 18:
        return None
    recipient_id, link_id = int(parts[0]), int(parts[1])
    if not hmac.compare_digest(parts[2], _signature(recipient_id, link_id)):
        return None
    return recipient_id, link_id


_patterns: dict[str, str] = {}


def _address(name: str, value: str) -> str:
    if name not in _patterns:
        _patterns[name] = settings.SITE_URL + reverse(name, args=["TOKEN"])
    return _patterns[name].replace("TOKEN", value)


def pixel_url(recipient_id: int) -> str:
    return _address("campaigns:open", token(recipient_id))


def click_url(recipient_id: int, link_id: int) -> str:
    return _address("campaigns:click", token(recipient_id, link_id))
