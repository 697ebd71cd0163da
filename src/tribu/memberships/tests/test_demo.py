"""The demo step: the four tiers, memberships for the demo members, idempotent."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from faker import Faker

from tribu.core.demo import DEMO_DOMAIN
from tribu.memberships import demo
from tribu.memberships.models import Membership, Tier
from tribu.memberships.money import format_money

pytestmark = pytest.mark.django_db


def test_the_demo_creates_the_tiers_and_memberships_once():
    from tribu.accounts.models import User

    for i in range(40):
        User.objects.create_user(email=f"m{i}@{DEMO_DOMAIN}", password="x", role="member")
    for i in range(3):
        User.objects.create_user(email=f"g{i}@{DEMO_DOMAIN}", password="x", role="guest")
    now = datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Europe/Paris"))
    demo.populate(Faker("fr_FR"), now)
    counts = (Tier.objects.count(), Membership.objects.count())
    demo.populate(Faker("fr_FR"), now)
    assert (Tier.objects.count(), Membership.objects.count()) == counts
    tiers = {t.slug: t for t in Tier.objects.all()}
    assert format_money(tiers["membre"].price_cents, "EUR", "fr") == "60,00\u00a0€"
    assert tiers["entreprise"].seats == 5 and tiers["invite"].trial_days == 30
    assert Membership.objects.filter(user__role="guest", tier__slug="invite", is_trial=True).count() == 3
    statuses = set(Membership.objects.values_list("status", flat=True))
    assert {"active"} <= statuses
    assert Membership.objects.filter(tier__slug="membre", status="active").count() > 20
