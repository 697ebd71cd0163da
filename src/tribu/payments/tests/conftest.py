"""Payments test set-up: Stripe on 127.0.0.1 (localstripe behind ``FakeStripe``), signed webhook posts,
tiers and the organisation's bank details."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tribu.companies.tests.conftest import atelier, carla, cole, forge, olga  # noqa: F401  (fixtures)
from tribu.memberships.tests.conftest import (  # noqa: F401  (fixtures)
    body_of,
    french,
    invite,
    make_membership,
    make_tier,
    membre,
    premium,
    subject_of,
)

from .stripe_fakes import SECRET_KEY, WEBHOOK_SECRET, FakeStripe, event, sign, start_localstripe


@pytest.fixture(scope="session")
def localstripe_url():
    proc, url = start_localstripe()
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def fake_stripe(localstripe_url, settings):
    fake = FakeStripe(localstripe_url)
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_tribu"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake.url
    yield fake
    fake.close()


@pytest.fixture
def no_stripe(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_PUBLISHABLE_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.STRIPE_API_BASE = ""


@pytest.fixture
def bank(db):
    from tribu.billing.models import Organisation

    org = Organisation.get()
    org.legal_name = "Association Tribu"
    org.address = "12 rue des Lilas\n75011 Paris"
    org.iban = "FR7630006000011234567890189"
    org.bic = "AGRIFRPP"
    org.save()
    return org


def post_event(client: Any, evt: dict[str, Any], *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None,
               header: str | None = None):
    payload = json.dumps(evt)
    sig = header if header is not None else sign(payload, secret, timestamp)
    return client.post("/payments/stripe/webhook/", data=payload, content_type="application/json",
                       headers={"Stripe-Signature": sig})


__all__ = ["event", "post_event"]


@pytest.fixture
def entreprise(db):
    """A company tier: 450 € a year for three seats."""
    return make_tier("entreprise", name_fr="Entreprise", name_en="Business", price_cents=45000, period="yearly",
                     seats=3)
