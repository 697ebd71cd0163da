"""The HTTP side of Stripe's webhook: verify, parse, store (``webhooks.receive``), answer.

Two doors, one logic (``answer``):

- ``views.stripe_webhook``, the Django view at ``payments:stripe_webhook`` (the test client, any
  WSGI/ASGI deployment that does not use ``tribu.asgi``);
- ``WebhookFastPath``, the ASGI wrapper ``tribu.asgi`` puts in front of Django. A webhook delivery is
  a machine's POST with no session, no cookie, no page: the wrapper answers it itself, before Django's
  request machinery (request object, middleware stack, URL resolution, two signals and a new thread per
  request, whose own database connection is opened and closed each time). It verifies the signature in
  the event loop (an HMAC, microseconds), so a refused delivery never touches the database, and stores
  the event on a small pool of long-lived threads that keep their database connections (checked every
  few seconds, and after an error, as Django does at each request's start). Anything it does not
  handle plainly — another path or method, a host outside ``ALLOWED_HOSTS``, plain HTTP where
  ``SECURE_SSL_REDIRECT`` wants HTTPS — goes to Django unchanged.

Answers (both doors): 404 when no webhook secret is configured; 400 (nothing stored) for a bad or
missing signature, a timestamp older than five minutes, a body that is not JSON or not an event; 200
with ``{"result": "applied" | "queued" | "duplicate" | "ignored"}`` otherwise.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import stripe
from django.conf import settings

log = logging.getLogger(__name__)

JSON = "application/json"
TEXT = "text/plain"
# Threads storing events, per web process: each keeps one database connection.
THREADS = 4
# How often a storing thread checks its connection (Django does it at every request's start).
CHECK_EVERY = 5.0


def refusal(body: bytes, signature: str | None) -> tuple[int, bytes] | dict[str, Any]:
    """The verified event as a dict, or the (status, text) refusing it. No database access."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        return 404, b"Stripe webhooks are not configured"
    try:
        stripe.WebhookSignature.verify_header(body, signature, settings.STRIPE_WEBHOOK_SECRET,
                                              stripe.Webhook.DEFAULT_TOLERANCE)
        data = json.loads(body)
    except (ValueError, stripe.SignatureVerificationError):  # UnicodeDecodeError is a ValueError
        return 400, b"Invalid signature"
    if (not isinstance(data, dict) or not data.get("id") or not isinstance(data.get("data"), dict)
            or "object" not in data["data"]):
        return 400, b"Not a Stripe event"
    return data


def store(event: dict[str, Any]) -> tuple[int, bytes]:
    """Store a verified event and queue its application (``webhooks.receive``): the 200 answer."""
    from . import webhooks

    return 200, json.dumps({"result": webhooks.receive(event)}).encode()


def answer(body: bytes, signature: str | None) -> tuple[int, str, bytes]:
    """(status, content type, body) for one delivery."""
    checked = refusal(body, signature)
    if isinstance(checked, tuple):
        return checked[0], TEXT, checked[1]
    status, content = store(checked)
    return status, JSON, content


# --- the ASGI door ---------------------------------------------------------------------------------------

_local = threading.local()


def _store_in_thread(event: dict[str, Any]) -> tuple[int, bytes]:
    """``store`` on a pool thread, with the connection care Django's request signals give a view."""
    from django.db import close_old_connections

    now = time.monotonic()
    if now - getattr(_local, "checked", 0.0) > CHECK_EVERY:
        close_old_connections()  # obsolete (CONN_MAX_AGE) or broken connections closed; health check next
        _local.checked = now
    try:
        return store(event)
    except Exception:
        log.exception("Stripe webhook delivery %s not stored", event.get("id"))
        _local.checked = 0.0  # check the connection before the next delivery
        return 500, b"Server error"


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class WebhookFastPath:
    """ASGI: answers ``POST`` to the webhook's address itself (see the module's docstring), passes every
    other request to ``app``."""

    def __init__(self, app: Any, *, threads: int = THREADS) -> None:
        self.app = app
        self.threads = threads
        self._path: str | None = None
        self._executor: ThreadPoolExecutor | None = None
        # Now, at the process's start (the URLconf loaded, ~0.8 s of CPU), not in a delivery's answer.
        self.webhook_path()

    def webhook_path(self) -> str:
        if self._path is None:
            from django.urls import NoReverseMatch, get_script_prefix, reverse

            try:
                path = reverse("payments:stripe_webhook")
            except NoReverseMatch:
                path = ""
            prefix = get_script_prefix()
            self._path = "/" + path[len(prefix):] if path and path.startswith(prefix) else path
        return self._path

    def handles(self, scope: dict[str, Any]) -> bool:
        if scope["type"] != "http" or scope.get("method") != "POST":
            return False
        path, root = scope.get("path", ""), scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        if not path or path != self.webhook_path():
            return False
        return self._host_allowed(scope) and self._scheme_allowed(scope)

    @staticmethod
    def _host_allowed(scope: dict[str, Any]) -> bool:
        """What ``HttpRequest.get_host`` accepts; otherwise Django answers (400, DisallowedHost)."""
        from django.http.request import split_domain_port, validate_host

        host = _header(scope, b"x-forwarded-host") if settings.USE_X_FORWARDED_HOST else None
        host = host or _header(scope, b"host")
        if not host:
            return False
        allowed = settings.ALLOWED_HOSTS
        if settings.DEBUG and not allowed:
            allowed = [".localhost", "127.0.0.1", "[::1]"]
        domain, _port = split_domain_port(host)
        return bool(domain) and validate_host(domain, allowed)

    @staticmethod
    def _scheme_allowed(scope: dict[str, Any]) -> bool:
        """Plain HTTP where ``SECURE_SSL_REDIRECT`` redirects: Django answers (the redirect)."""
        if not settings.SECURE_SSL_REDIRECT or scope.get("scheme") == "https":
            return True
        proxy = settings.SECURE_PROXY_SSL_HEADER
        if proxy:
            name, value = proxy
            header = name.lower().removeprefix("http_").replace("_", "-").encode()
            return (_header(scope, header) or "").split(",")[0].strip() == value
        return False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not self.handles(scope):
            await self.app(scope, receive, send)
            return
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if limit is not None and size > limit:
                await self._send(send, 400, TEXT, b"Request body too large")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        checked = refusal(b"".join(chunks), _header(scope, b"stripe-signature"))
        if isinstance(checked, tuple):
            await self._send(send, checked[0], TEXT, checked[1])
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="stripe-webhook")
        status, content = await asyncio.get_running_loop().run_in_executor(self._executor, _store_in_thread,
                                                                           checked)
        await self._send(send, status, JSON if status == 200 else TEXT, content)

    @staticmethod
    async def _send(send: Any, status: int, content_type: str, content: bytes) -> None:
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", content_type.encode()), (b"content-length", str(len(content)).encode()),
            (b"x-content-type-options", b"nosniff"), (b"cache-control", b"no-store"),
        ]})
        await send({"type": "http.response.body", "body": content})
