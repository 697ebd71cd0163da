"""The demo step fills the legal details and issues the missing receipts, once."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tribu.billing import demo
from tribu.billing.models import Document, Organisation

from .conftest import make_payment

pytestmark = pytest.mark.django_db


def test_the_demo_step_is_idempotent(mia):
    make_payment(user=mia, amount_cents=6000)
    make_payment(user=mia, amount_cents=500, status="pending")
    assert demo.populate(None, timezone.now()) == "legal details, 1 receipts"
    assert demo.populate(None, timezone.now()) == "legal details, 0 receipts"
    assert Document.objects.count() == 1
    assert Organisation.get().legal_name.startswith("Association")
