"""Preview cards for links: what a linked page says about itself (OpenGraph tags, ``<title>``,
description), fetched once in the background and kept in ``LinkPreview``.

``card_for(url)`` answers from the table only (a page never waits for another site): the card when it
is ready, else ``None`` — and the first time a URL is seen, or when its card is older than
``TRIBU_LINK_PREVIEW_TTL_DAYS``, it enqueues ``tasks.fetch_link_preview``. ``cards_for(urls)`` does the
same for a list page in one query. Show a card with the include ``media/_link_card.html`` (context
``card``). When the server cannot reach the page there is simply no card.

The fetch is SSRF-safe: the host is resolved and EVERY address must be public (no loopback, private,
link-local, shared, multicast or reserved range), the connection goes to the address that was checked
(no second lookup an attacker's DNS could change), each redirect is checked the same way (3 at most),
proxies from the environment are ignored, and time and size are capped. Tests may let 127.0.0.1 (and
only it) through with ``TRIBU_LINK_PREVIEW_ALLOW_LOOPBACK``. What is kept is plain text, escaped when
shown: a malicious ``<title>`` is inert.
"""

from __future__ import annotations

import hashlib
import io
import ipaddress
import logging
import re
import socket
import time
from collections.abc import Iterable
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image, ImageOps

from . import conf
from .images import _flatten
from .models import LinkPreview, PreviewStatus
from .validation import check_upload

logger = logging.getLogger(__name__)
MAX_URL = 2000
MAX_REDIRECTS = 3
THUMB = 400
USER_AGENT = "TribuLinkPreview/1.0"
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


class Refused(Exception):
    """The address is not one the server may reach (private, loopback, not http(s)…)."""


class Unreachable(Exception):
    """The page could not be fetched or is not HTML."""


# --- Addresses --------------------------------------------------------------------------------


def normalise(url: str) -> str | None:
    """The http(s) address without its fragment, or None when it is not one."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL or CONTROL.search(url):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path or "/", parts.query, ""))


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def address_allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if conf.allow_loopback() and ip == ipaddress.IPv4Address("127.0.0.1"):
        return True
    return bool(
        ip.is_global
        and not ip.is_multicast
        and not ip.is_reserved
        and not ip.is_loopback
        and not ip.is_link_local
        and not ip.is_private
        and not ip.is_unspecified
    )


def resolve_public(host: str, port: int) -> str:
    """One address of ``host`` to connect to, when every address it resolves to may be reached."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise Unreachable(f"cannot resolve {host}") from exc
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address_allowed(address):
            raise Refused(f"{host} resolves to {address}, which is not public")
        addresses.append(address)
    if not addresses:
        raise Unreachable(f"no address for {host}")
    return str(addresses[0])


# --- Fetching ---------------------------------------------------------------------------------


def fetch(
    url: str, *, accept: str = "text/html,application/xhtml+xml", max_bytes: int | None = None
) -> tuple[str, bytes, str]:
    """(final address, first bytes of the body, content type); ``Refused`` or ``Unreachable`` otherwise."""
    deadline = time.monotonic() + conf.link_timeout() * 2
    limit = max_bytes or conf.link_max_bytes()
    current = normalise(url)
    if current is None:
        raise Refused("not an http(s) address")
    timeout = httpx.Timeout(conf.link_timeout(), connect=min(3, conf.link_timeout()))
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            parts = urlsplit(current)
            host = parts.hostname or ""
            port = parts.port or (443 if parts.scheme == "https" else 80)
            address = resolve_public(host, port)
            shown = f"[{address}]" if ":" in address else address
            target = urlunsplit((parts.scheme, f"{shown}:{port}", parts.path or "/", parts.query, ""))
            host_header = host if parts.port is None else f"{host}:{parts.port}"
            headers = {"Host": host_header, "User-Agent": USER_AGENT, "Accept": accept}
            try:
                with client.stream("GET", target, headers=headers, extensions={"sni_hostname": host}) as response:
                    if response.status_code in (301, 302, 303, 307, 308):
                        location = response.headers.get("location", "")
                        following = normalise(urljoin(current, location))
                        if following is None:
                            raise Refused("redirect to a non-http(s) address")
                        current = following
                        continue
                    if response.status_code != 200:
                        raise Unreachable(f"HTTP {response.status_code}")
                    content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
                    if not any(wanted.split(";")[0].strip() in content_type for wanted in accept.split(",")):
                        raise Unreachable(f"not {accept}: {content_type}")
                    body = bytearray()
                    for chunk in response.iter_bytes():
                        body.extend(chunk)
                        if len(body) >= limit or time.monotonic() > deadline:
                            break
                    charset = response.charset_encoding or ""
                    return current, bytes(body[:limit]), f"{content_type};{charset}"
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise Unreachable(str(exc)) from exc
    raise Unreachable("too many redirects")


class MetaParser(HTMLParser):
    """Collects ``<title>`` and ``<meta property|name=… content=…>`` from a page's head."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title: list[str] = []
        self.charset = ""
        self._in_title = False
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag == "meta":
            values = {name.lower(): value or "" for name, value in attrs}
            if values.get("charset"):
                self.charset = values["charset"]
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key and "content" in values and key not in self.meta:
                self.meta[key] = values["content"]
        elif tag == "body":
            self.done = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self._in_title and len(self.title) < 50:
            self.title.append(data)


def plain(text: str, limit: int) -> str:
    """One line of plain text: controls and bidi overrides removed, spaces collapsed, cut at ``limit``."""
    text = " ".join(CONTROL.sub(" ", text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def parse(html: bytes, base_url: str, charset: str = "") -> dict[str, str]:
    """title, description, image_url, site_name of a page (plain text), from OpenGraph first."""
    encoding = charset or "utf-8"
    try:
        text = html.decode(encoding, "replace")
    except LookupError:
        text = html.decode("utf-8", "replace")
    parser = MetaParser()
    for start in range(0, len(text), 16_384):
        parser.feed(text[start : start + 16_384])
        if parser.done:
            break
    meta = parser.meta
    title = meta.get("og:title") or meta.get("twitter:title") or "".join(parser.title)
    description = meta.get("og:description") or meta.get("description") or meta.get("twitter:description") or ""
    image = meta.get("og:image") or meta.get("og:image:url") or meta.get("twitter:image") or ""
    image_url = normalise(urljoin(base_url, image.strip())) if image.strip() else None
    return {
        "title": plain(title, 300),
        "description": plain(description, 1000),
        "image_url": image_url if image_url and len(image_url) <= 2000 else "",
        "site_name": plain(meta.get("og:site_name", ""), 200),
    }


def refresh(preview_id: int) -> str:
    """Fetch the page of one ``LinkPreview`` again and keep what it says (the task's body)."""
    preview = LinkPreview.objects.filter(pk=preview_id).first()
    if preview is None:
        return "gone"
    try:
        final_url, body, content_type = fetch(preview.url)
        charset = content_type.split(";", 1)[1] if ";" in content_type else ""
        found = parse(body, final_url, charset)
    except (Refused, Unreachable, OSError, ValueError, UnicodeError) as exc:
        logger.info("no preview for %s: %s", preview.url, exc)
        preview.status = PreviewStatus.FAILED
        preview.fetched_at = timezone.now()
        preview.save(update_fields=["status", "fetched_at"])
        return "failed"
    for field, value in found.items():
        setattr(preview, field, value)
    preview.status = PreviewStatus.READY if (found["title"] or found["description"]) else PreviewStatus.FAILED
    preview.fetched_at = timezone.now()
    old_image = preview.image.name if preview.image else ""
    thumbnail = _image_thumbnail(found["image_url"]) if preview.status == PreviewStatus.READY else None
    if thumbnail is not None:
        preview.image.save("card.jpg", thumbnail, save=False)
    elif old_image:
        preview.image = ""
    preview.save(update_fields=[*found, "status", "fetched_at", "image"])
    if old_image and old_image != preview.image.name:
        preview.image.storage.delete(old_image)
    return preview.status


IMAGE_TYPES = "image/jpeg,image/png,image/gif,image/webp"


def _image_thumbnail(image_url: str) -> ContentFile | None:
    """The page's picture, fetched like the page, checked like an upload and re-encoded small (the card
    shows it from this site: no third-party request from members' browsers, and the CSP stays 'self')."""
    if not image_url:
        return None
    limit = conf.link_image_max_bytes()
    try:
        _final, body, _type = fetch(image_url, accept=IMAGE_TYPES, max_bytes=limit + 1)
        if len(body) > limit:
            return None
        check_upload(ContentFile(body, name="card"), kinds=("image",), max_bytes=limit)
        with Image.open(io.BytesIO(body)) as source:
            source.draft("RGB", (THUMB, THUMB))
            image = ImageOps.exif_transpose(source)
            image.thumbnail((THUMB, THUMB), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            _flatten(image).save(out, format="JPEG", quality=80, optimize=True)
    except (Refused, Unreachable, ValidationError, OSError, ValueError, SyntaxError) as exc:
        logger.info("no picture for the card from %s: %s", image_url, exc)
        return None
    return ContentFile(out.getvalue())


# --- Cards ------------------------------------------------------------------------------------


def _enqueue(preview_id: int) -> None:
    from .tasks import fetch_link_preview

    transaction.on_commit(lambda: fetch_link_preview.enqueue(preview_id=preview_id))


def _stale(preview: LinkPreview) -> bool:
    if preview.status == PreviewStatus.PENDING:
        return False
    limit = timezone.now() - timedelta(days=conf.link_ttl_days())
    return preview.fetched_at is None or preview.fetched_at < limit


def _claim_refresh(preview: LinkPreview) -> None:
    """Enqueue one new fetch of a stale card (a conditional update: concurrent viewers enqueue once)."""
    claimed = LinkPreview.objects.filter(pk=preview.pk, fetched_at=preview.fetched_at).update(fetched_at=timezone.now())
    if claimed:
        _enqueue(preview.pk)


def _shown(preview: LinkPreview | None) -> LinkPreview | None:
    if preview is None or preview.status != PreviewStatus.READY:
        return None
    return preview


def card_for(url: str, *, fetch_missing: bool = True) -> LinkPreview | None:
    """The ready card of ``url``, else None (and the fetch is enqueued: next time it may be there)."""
    normal = normalise(url)
    if normal is None:
        return None
    key = url_hash(normal)
    preview = LinkPreview.objects.filter(url_hash=key).first()
    if preview is None:
        if fetch_missing:
            try:
                with transaction.atomic():
                    preview = LinkPreview.objects.create(url_hash=key, url=normal)
            except IntegrityError:  # created meanwhile by another request: its fetch is on the way
                return None
            _enqueue(preview.pk)
        return None
    if fetch_missing and _stale(preview):
        _claim_refresh(preview)
    return _shown(preview)


def cards_for(urls: Iterable[str], *, fetch_missing: bool = True) -> dict[str, LinkPreview]:
    """``{url: ready card}`` for a list page, in one query (plus the inserts of never-seen URLs)."""
    normal = {url: normalise(url) for url in urls if url}
    keys = {url_hash(value): value for value in normal.values() if value}
    found = {preview.url_hash: preview for preview in LinkPreview.objects.filter(url_hash__in=keys)}
    if fetch_missing:
        for key, value in keys.items():
            if key not in found:
                card_for(value)
            elif _stale(found[key]):
                _claim_refresh(found[key])
    result: dict[str, LinkPreview] = {}
    for url, value in normal.items():
        shown = _shown(found.get(url_hash(value))) if value else None
        if shown is not None:
            result[url] = shown
    return result
