"""The one place that talks to Stripe, through the official library's ``StripeClient``.

``STRIPE_API_BASE`` (empty: Stripe's) points the client elsewhere — the tests run it against
``localstripe`` and a small server on 127.0.0.1. Every create carries an idempotency key derived from
our own payment reference, so a retry after a network failure returns the object made the first time
instead of making (and charging) a second one. Network and API failures become ``StripeUnavailable``,
which the pages turn into a translated 503.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import stripe
from django.conf import settings


class StripeUnavailable(Exception):
    """Stripe could not be reached or refused the request; nothing was recorded twice."""


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def webhook_configured() -> bool:
    return bool(settings.STRIPE_WEBHOOK_SECRET)


def checkout_origin() -> str:
    """Where Checkout pages live: Stripe's, or the emulator's when ``STRIPE_API_BASE`` points at one."""
    base = settings.STRIPE_API_BASE
    if base:
        parts = urlsplit(base)
        return f"{parts.scheme}://{parts.netloc}"
    return "https://checkout.stripe.com"


def client() -> stripe.StripeClient:
    base = settings.STRIPE_API_BASE or None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base} if base else None,  # type: ignore[arg-type]
        max_network_retries=2,
    )


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as exc:
        raise StripeUnavailable(str(exc)) from exc
    except stripe.StripeError as exc:
        raise StripeUnavailable(getattr(exc, "user_message", None) or str(exc)) from exc


def plain(obj: Any) -> dict[str, Any]:
    """A Stripe object as plain dicts and lists (what webhooks carry)."""
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    return dict(obj or {})


def create_checkout_session(params: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
    c = client()
    return plain(_call(c.v1.checkout.sessions.create, params, {"idempotency_key": idempotency_key}))


def create_portal_session(customer: str, return_url: str) -> dict[str, Any]:
    c = client()
    return plain(_call(c.v1.billing_portal.sessions.create, {"customer": customer, "return_url": return_url}))


def retrieve_subscription(subscription_id: str) -> dict[str, Any]:
    return plain(_call(client().v1.subscriptions.retrieve, subscription_id))


def retrieve_invoice(invoice_id: str) -> dict[str, Any]:
    return plain(_call(client().v1.invoices.retrieve, invoice_id))


def retrieve_charge(charge_id: str) -> dict[str, Any]:
    return plain(_call(client().v1.charges.retrieve, charge_id))


# --- reading the fields that moved between API versions ---------------------------------------------------


def subscription_of_invoice(invoice: dict[str, Any]) -> str:
    sub = invoice.get("subscription")
    if isinstance(sub, dict):
        sub = sub.get("id")
    if sub:
        return str(sub)
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    sub = details.get("subscription")
    if isinstance(sub, dict):
        sub = sub.get("id")
    return str(sub or "")


def current_period_end(subscription: dict[str, Any]) -> int | None:
    """A subscription's current period end (a timestamp): on the subscription in older API versions, on
    its items since 2025."""
    end = subscription.get("current_period_end")
    if end:
        return int(end)
    items = (subscription.get("items") or {}).get("data") or []
    ends = [int(i["current_period_end"]) for i in items if i.get("current_period_end")]
    return max(ends) if ends else None


def payment_intent_of(obj: dict[str, Any]) -> str:
    pi = obj.get("payment_intent")
    if isinstance(pi, dict):
        pi = pi.get("id")
    return str(pi or "")


def id_of(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")
