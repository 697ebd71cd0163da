"""Stripe for the tests, on 127.0.0.1, so the real ``stripe`` client code runs end to end.

- ``localstripe`` (a stateful Stripe API emulator) answers customers, payment methods, payment intents,
  plans, subscriptions, invoices, charges and refunds;
- ``FakeStripe`` is the address the client is pointed at: it answers what localstripe lacks — Checkout
  Sessions (with idempotency keys, as Stripe keeps them), Prices and the billing portal — with the
  response shapes Stripe documents, and forwards every other request to localstripe. It can also be
  told to drop connections (Stripe unreachable, or a response lost after the session was made), and it
  serves a stand-in for Stripe's hosted payment page that completes the session the way Stripe does:
  a real PaymentIntent in localstripe, then a signed ``checkout.session.completed`` to the webhook.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

import stripe

LOCALSTRIPE = Path(__file__).resolve().parents[4] / ".venv" / "bin" / "localstripe"
WEBHOOK_SECRET = "whsec_tribu_tests"
SECRET_KEY = "sk_test_tribu"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_localstripe() -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115  (lives as long as the process it records)
    # --from-scratch: localstripe otherwise reloads the state every instance dumps to one shared file
    # (/tmp/localstripe.pickle), which parallel test runs can leave half-written.
    proc = subprocess.Popen([str(LOCALSTRIPE), "--port", str(port), "--from-scratch"], stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a loaded machine imports aiohttp slowly
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"localstripe exited: {log.read().decode(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("localstripe did not start within 120 s")


def nested(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (``line_items[0][price_data][currency]=eur``) back to dicts and lists."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node: Any = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt_is_index = not last and parts[i + 1].isdigit()
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append({} if not nxt_is_index else [])
                if last:
                    node[index] = value
                else:
                    node = node[index]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, [] if nxt_is_index else {})
    return out


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header, made by the library's own helper."""
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)


def event(type_: str, obj: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    return {"id": event_id or f"evt_{secrets.token_hex(8)}", "object": "event", "type": type_,
            "api_version": "2026-10-28.endive", "created": int(time.time()), "livemode": False,
            "pending_webhooks": 1, "data": {"object": obj}}


class FakeStripe:
    def __init__(self, upstream: str) -> None:
        self.upstream = urlparse(upstream)
        self.sessions: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, str] = {}
        self.created: list[str] = []
        self.portal_sessions: list[dict[str, Any]] = []
        self.down = False
        self.drop_after_create = 0
        self.webhook_url = ""
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                """Quiet: the test output is not the place for the fake server's access log."""

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _send(self, status: int, payload: Any, content_type: str = "application/json") -> None:
                body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _drop(self) -> None:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

            def handle_one(self, method: str) -> None:
                body = self._body()
                path = urlparse(self.path).path
                if fake.down:
                    return self._drop()
                if path.startswith("/hosted/"):
                    return fake.hosted_page(self, method, path, body)
                if path == "/v1/checkout/sessions" and method == "POST":
                    return fake.create_session(self, body)
                if path.startswith("/v1/checkout/sessions/") and method == "GET":
                    sid = path.rsplit("/", 1)[1]
                    if sid in fake.sessions:
                        return self._send(200, fake.sessions[sid])
                    return self._send(404, {"error": {"type": "invalid_request_error",
                                                      "message": f"No such checkout.session: '{sid}'"}})
                if path == "/v1/billing_portal/sessions" and method == "POST":
                    params = nested(parse_qsl(body.decode()))
                    session = {"id": f"bps_{secrets.token_hex(8)}", "object": "billing_portal.session",
                               "customer": params.get("customer"), "livemode": False,
                               "return_url": params.get("return_url"),
                               "url": f"https://billing.stripe.com/p/session/test_{secrets.token_hex(8)}"}
                    fake.portal_sessions.append(session)
                    return self._send(200, session)
                return fake.forward(self, method, body)

            def do_GET(self) -> None:
                self.handle_one("GET")

            def do_POST(self) -> None:
                self.handle_one("POST")

            def do_DELETE(self) -> None:
                self.handle_one("DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- Checkout Sessions --------------------------------------------------------------------------

    def create_session(self, handler: Any, body: bytes) -> None:
        key = handler.headers.get("Idempotency-Key", "")
        params = nested(parse_qsl(body.decode()))
        with self.lock:
            if key and key in self.by_key:
                session = self.sessions[self.by_key[key]]
            else:
                item = params["line_items"][0]
                price = item["price_data"]
                sid = f"cs_test_{secrets.token_hex(12)}"
                session = {
                    "id": sid, "object": "checkout.session", "mode": params.get("mode", "payment"),
                    "status": "open", "payment_status": "unpaid",
                    "amount_total": int(price["unit_amount"]) * int(item.get("quantity", 1)),
                    "amount_subtotal": int(price["unit_amount"]) * int(item.get("quantity", 1)),
                    "currency": price["currency"], "customer": params.get("customer"),
                    "customer_email": params.get("customer_email"),
                    "client_reference_id": params.get("client_reference_id"),
                    "metadata": params.get("metadata", {}), "success_url": params.get("success_url"),
                    "cancel_url": params.get("cancel_url"), "payment_intent": None, "subscription": None,
                    "allow_promotion_codes": params.get("allow_promotion_codes") == "true",
                    "locale": params.get("locale"), "livemode": False, "created": int(time.time()),
                    "expires_at": int(time.time()) + 86400,
                    "url": f"{self.url}/hosted/{sid}",
                    "_params": params,
                }
                self.sessions[sid] = session
                self.created.append(sid)
                if key:
                    self.by_key[key] = sid
            drop = self.drop_after_create > 0
            if drop:
                self.drop_after_create -= 1
        if drop:
            return handler._drop()
        handler._send(200, {k: v for k, v in session.items() if not k.startswith("_")})

    def client(self) -> stripe.StripeClient:
        upstream = f"{self.upstream.scheme}://{self.upstream.netloc}"
        return stripe.StripeClient(SECRET_KEY, base_addresses={"api": upstream})

    def complete(self, sid: str, *, card: str = "4242424242424242", amount_total: int | None = None) -> dict:
        """What Stripe does when the payer pays: the charge (in localstripe) and the completed session."""
        session = self.sessions[sid]
        c = self.client()
        customer = session["customer"] or c.v1.customers.create({"email": session["customer_email"] or ""}).id
        pm = c.v1.payment_methods.create({"type": "card", "card": {"number": card, "exp_month": 12,
                                                                   "exp_year": 2035, "cvc": "123"}})
        c.v1.payment_methods.attach(pm.id, {"customer": customer})
        total = session["amount_total"] if amount_total is None else amount_total
        if session["mode"] == "subscription":
            price = session["_params"]["line_items"][0]["price_data"]
            product = c.v1.products.create({"name": price["product_data"]["name"]})
            plan = c.v1.plans.create({"amount": int(price["unit_amount"]), "currency": price["currency"],
                                      "interval": price["recurring"]["interval"], "product": product.id})
            c.v1.customers.update(customer, {"invoice_settings": {"default_payment_method": pm.id}})
            sub = c.v1.subscriptions.create({"customer": customer, "items": [{"plan": plan.id}],
                                             "metadata": session["_params"].get("subscription_data", {})
                                             .get("metadata", {})})
            session.update(subscription=sub.id, payment_status="paid", status="complete", customer=customer)
        else:
            pi = c.v1.payment_intents.create({"amount": total, "currency": session["currency"],
                                              "customer": customer, "payment_method": pm.id, "confirm": True})
            session.update(payment_intent=pi.id, payment_status="paid", status="complete", customer=customer,
                           amount_total=total)
        return {k: v for k, v in session.items() if not k.startswith("_")}

    def hosted_page(self, handler: Any, method: str, path: str, body: bytes) -> None:
        sid = path.split("/")[2]
        session = self.sessions.get(sid)
        if session is None:
            return handler._send(404, b"unknown session", "text/plain")
        if method == "GET":
            page = (f"<!doctype html><html lang='en'><head><title>Stripe Checkout (test)</title></head><body>"
                    f"<h1>Pay {session['amount_total'] / 100:.2f} {session['currency'].upper()}</h1>"
                    f"<form method='post'><button type='submit'>Pay</button></form></body></html>")
            return handler._send(200, page.encode(), "text/html; charset=utf-8")
        done = self.complete(sid)
        self.deliver(event("checkout.session.completed", done))
        handler.send_response(303)
        handler.send_header("Location", session["success_url"].replace("{CHECKOUT_SESSION_ID}", sid))
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def deliver(self, evt: dict[str, Any]) -> int:
        """POST a signed event to the webhook, as Stripe does."""
        payload = json.dumps(evt)
        url = urlparse(self.webhook_url)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        conn.request("POST", url.path, body=payload, headers={"Content-Type": "application/json",
                                                                "Stripe-Signature": sign(payload)})
        status = conn.getresponse().status
        conn.close()
        return status

    # --- everything else: localstripe ---------------------------------------------------------------

    def forward(self, handler: Any, method: str, body: bytes) -> None:
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        headers = {k: v for k, v in handler.headers.items() if k.lower() in {
            "authorization", "content-type", "idempotency-key", "stripe-version"}}
        conn.request(method, handler.path, body=body or None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        handler._send(response.status, data, response.getheader("Content-Type") or "application/json")


def form(params: dict[str, Any]) -> str:
    return urlencode(params)
