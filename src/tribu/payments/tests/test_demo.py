"""The demo step: payments behind the demo memberships, once."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from faker import Faker

from tribu.core.demo import DEMO_DOMAIN
from tribu.memberships import demo as memberships_demo
from tribu.payments import demo
from tribu.payments.models import Payment

pytestmark = pytest.mark.django_db


def test_the_demo_creates_payments_once():
    from tribu.accounts.models import User

    for i in range(30):
        User.objects.create_user(email=f"m{i}@{DEMO_DOMAIN}", password="x", role="member")
    now = datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Europe/Paris"))
    memberships_demo.populate(Faker("fr_FR"), now)
    demo.populate(Faker("fr_FR"), now)
    count = Payment.objects.count()
    assert count > 20
    demo.populate(Faker("fr_FR"), now)
    assert Payment.objects.count() == count
    assert Payment.objects.filter(status="succeeded", purpose="membership").exists()
    assert len(set(Payment.objects.values_list("reference", flat=True))) == count
