"""The media app's settings: each one can be set in Django settings, else it is read from the
environment, else it takes the embedded-mode default below. Bad values fail loudly.

| setting / environment variable | default | meaning |
| --- | --- | --- |
| ``TRIBU_MEDIA_MAX_IMAGE_BYTES`` | 10 MB | largest image upload |
| ``TRIBU_MEDIA_MAX_IMAGE_PIXELS`` | 40,000,000 | largest image (width × height); more is refused before decoding |
| ``TRIBU_MEDIA_MAX_DOCUMENT_BYTES`` | 25 MB | largest document upload |
| ``TRIBU_MEDIA_MAX_FILES`` | 10 | attachments per post, comment or resource |
| ``TRIBU_MEDIA_PREVIEW_MAX_CHARS`` | 100,000 | longest text the editor's live preview renders |
| ``TRIBU_LINK_PREVIEW_TIMEOUT`` | 5 | seconds allowed to fetch a page for its preview card |
| ``TRIBU_LINK_PREVIEW_MAX_BYTES`` | 1 MB | most of a page read for its preview card |
| ``TRIBU_LINK_PREVIEW_MAX_IMAGE_BYTES`` | 3 MB | largest page picture fetched for a card |
| ``TRIBU_LINK_PREVIEW_TTL_DAYS`` | 7 | a card older than this is fetched again |
| ``TRIBU_LINK_PREVIEW_ALLOW_LOOPBACK`` | false | tests only: let the fetcher reach 127.0.0.1 (nothing else private) |
| ``TRIBU_PEERTUBE_HOSTS`` | empty | PeerTube hosts whose videos embed (comma-separated; also in the CSP) |
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MB = 1024 * 1024


def _int(name: str, default: int) -> int:
    if hasattr(settings, name):
        return int(getattr(settings, name))
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


def _bool(name: str, default: bool) -> bool:
    if hasattr(settings, name):
        return bool(getattr(settings, name))
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def max_image_bytes() -> int:
    return _int("TRIBU_MEDIA_MAX_IMAGE_BYTES", 10 * MB)


def max_image_pixels() -> int:
    return _int("TRIBU_MEDIA_MAX_IMAGE_PIXELS", 40_000_000)


def max_document_bytes() -> int:
    return _int("TRIBU_MEDIA_MAX_DOCUMENT_BYTES", 25 * MB)


def max_files() -> int:
    return _int("TRIBU_MEDIA_MAX_FILES", 10)


def preview_max_chars() -> int:
    return _int("TRIBU_MEDIA_PREVIEW_MAX_CHARS", 100_000)


def link_timeout() -> int:
    return _int("TRIBU_LINK_PREVIEW_TIMEOUT", 5)


def link_max_bytes() -> int:
    return _int("TRIBU_LINK_PREVIEW_MAX_BYTES", 1 * MB)


def link_image_max_bytes() -> int:
    return _int("TRIBU_LINK_PREVIEW_MAX_IMAGE_BYTES", 3 * MB)


def link_ttl_days() -> int:
    return _int("TRIBU_LINK_PREVIEW_TTL_DAYS", 7)


def allow_loopback() -> bool:
    return _bool("TRIBU_LINK_PREVIEW_ALLOW_LOOPBACK", False)


def peertube_hosts() -> list[str]:
    value = getattr(settings, "TRIBU_PEERTUBE_HOSTS", None)
    if value is None:
        value = os.environ.get("TRIBU_PEERTUBE_HOSTS", "")
    if isinstance(value, str):
        value = value.split(",")
    return [host.strip().lower() for host in value if host.strip()]
