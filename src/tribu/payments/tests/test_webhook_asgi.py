"""The webhook's ASGI door (``tribu.asgi`` → ``payments.webhook_http.WebhookFastPath``): the same answers
as the Django view, before Django's request machinery; every other request goes to Django unchanged."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from tribu.payments.models import Payment, StripeEvent
from tribu.payments.webhook_http import WebhookFastPath

from .stripe_fakes import WEBHOOK_SECRET, event, sign

PATH = "/payments/stripe/webhook/"


class Django:
    """Stands for the Django application behind the door: records what reaches it."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    async def __call__(self, scope, receive, send) -> None:
        self.seen.append((scope["method"], scope["path"]))
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"django"})


def call(app, body: bytes, *, signature: str | None = None, path: str = PATH, method: str = "POST",
         host: str = "testserver", chunks: int = 1) -> tuple[int, dict[bytes, bytes], bytes]:
    headers = [(b"host", host.encode()), (b"content-type", b"application/json")]
    if signature is not None:
        headers.append((b"stripe-signature", signature.encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": headers, "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000)}
    size = max(1, len(body) // chunks)
    parts = [body[i:i + size] for i in range(0, len(body), size)] or [b""]
    messages = [{"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
                for i, part in enumerate(parts)]
    sent: list[dict] = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    return (start["status"], dict(start["headers"]),
            b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))


def post(app, evt: dict, **kwargs) -> tuple[int, dict[bytes, bytes], bytes]:
    payload = json.dumps(evt)
    signature = kwargs.pop("signature", None) or sign(payload, kwargs.pop("secret", WEBHOOK_SECRET),
                                                      kwargs.pop("timestamp", None))
    return call(app, payload.encode(), signature=signature, **kwargs)


@pytest.fixture
def door(fake_stripe, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    django = Django()
    return WebhookFastPath(django, threads=1), django


@pytest.mark.django_db(transaction=True)
def test_a_signed_delivery_is_stored_once_and_its_duplicates_answered_without_django(door):
    app, django = door
    evt = event("checkout.session.completed", {"id": "cs_other", "object": "checkout.session", "mode": "payment",
                                               "metadata": {}, "payment_status": "paid"})
    status, headers, body = post(app, evt, chunks=3)
    assert status == 200 and headers[b"content-type"] == b"application/json"
    assert json.loads(body)["result"] in {"applied", "queued"}
    assert [json.loads(post(app, evt)[2])["result"] for _ in range(2)] == ["duplicate", "duplicate"]
    assert json.loads(post(app, event("customer.created", {"id": "cus_1"}))[2]) == {"result": "ignored"}
    assert StripeEvent.objects.count() == 2
    assert Payment.objects.count() == 0
    assert django.seen == []


@pytest.mark.django_db(transaction=True)
def test_a_bad_signature_a_stale_timestamp_or_not_an_event_is_refused_and_nothing_stored(door):
    app, django = door
    evt = event("invoice.paid", {"id": "in_1"})
    assert post(app, evt, secret="whsec_wrong")[0] == 400
    assert post(app, evt, timestamp=int(time.time()) - 600)[0] == 400
    assert post(app, evt, signature="t=1,v1=deadbeef")[0] == 400
    assert call(app, json.dumps(evt).encode())[0] == 400  # no Stripe-Signature header
    assert call(app, b"not json", signature=sign("not json"))[0] == 400
    assert call(app, b"\xff\xfe", signature="t=1,v1=x")[0] == 400
    for body in ({}, {"id": "evt_x", "type": "invoice.paid"}, {"id": "evt_y", "data": "x"}, []):
        payload = json.dumps(body)
        status, _headers, content = call(app, payload.encode(), signature=sign(payload))
        assert (status, content) == (400, b"Not a Stripe event")
    assert StripeEvent.objects.count() == 0
    assert django.seen == []


@pytest.mark.django_db(transaction=True)
def test_without_a_webhook_secret_the_door_answers_404(door, settings):
    app, _django = door
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert post(app, event("invoice.paid", {"id": "in_1"}))[0] == 404
    assert StripeEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_other_requests_and_unknown_hosts_go_to_django(door, settings):
    app, django = door
    evt = event("invoice.paid", {"id": "in_1"})
    assert call(app, b"", path="/payments/mine/", method="GET")[2] == b"django"
    assert call(app, b"", path=PATH, method="GET")[2] == b"django"
    assert post(app, evt, path="/payments/stripe/webhook")[2] == b"django"
    assert post(app, evt, host="evil.example")[2] == b"django"  # Django refuses it (DisallowedHost)
    settings.SECURE_SSL_REDIRECT = True
    assert post(app, evt)[2] == b"django"  # plain HTTP: Django redirects
    assert len(django.seen) == 5
    assert StripeEvent.objects.count() == 0


def test_the_site_s_asgi_application_puts_the_door_in_front_of_django():
    from tribu.asgi import application

    assert isinstance(application.application_mapping["http"], WebhookFastPath)
