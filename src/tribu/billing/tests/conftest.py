"""Billing factories (keyword-only) on top of the named users and the memberships factories."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.utils import timezone

from tribu.memberships.tests.conftest import (  # noqa: F401  (fixtures re-exported for this app's tests)
    attach,
    body_of,
    entreprise,
    french,
    make_company,
    make_membership,
    make_tier,
    membre,
    premium,
    subject_of,
)

_refs = itertools.count(1)


def make_payment(*, user=None, company=None, membership=None, tier=None, amount_cents: int = 6000,
                 status: str = "succeeded", method: str = "transfer", purpose: str = "membership",
                 fee_cents: int = 0, currency: str = "EUR", paid_at=None, **extra: Any):
    from tribu.payments.models import Payment

    return Payment.objects.create(
        reference=f"TRB-{next(_refs):06d}", user=user, company=company, membership=membership, tier=tier,
        amount_cents=amount_cents, status=status, method=method, purpose=purpose, fee_cents=fee_cents,
        currency=currency, paid_at=paid_at or (timezone.now() if status == "succeeded" else None), **extra,
    )


def set_organisation(**values: Any):
    from tribu.billing.models import Organisation

    org = Organisation.get()
    defaults = {"legal_name": "Association Les Ruches", "address": "12 rue des Abeilles\n75011 Paris",
                "siret": "12345678900012", "rna": "W751234567", "email": "tresorerie@ruches.example"}
    for key, value in {**defaults, **values}.items():
        setattr(org, key, value)
    org.save()
    return org


@pytest.fixture
def org(db):
    return set_organisation()


def pdf_text(content: bytes) -> str:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\u00a0", " ")
