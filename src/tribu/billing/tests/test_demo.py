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


def test_the_members_documents_are_in_their_data_export(mia, anna):
    from tribu.billing import actions
    from tribu.privacy.registry import export_data

    doc = actions.issue_receipt(make_payment(user=mia, amount_cents=6000), email=False)
    actions.issue_receipt(make_payment(user=anna, amount_cents=7000), email=False)
    rows = export_data(mia)["billing_documents"]
    assert [(r["number"], r["total_cents"]) for r in rows] == [(doc.number, 6000)]
