"""Two people on the team grant a membership to the same member at the same moment: one wins, the
other is told there is already one (PostgreSQL, real threads and connections)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from tribu.memberships import actions
from tribu.memberships.models import Membership

from .conftest import make_company, make_tier

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def race(calls):
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = []

    def run(call):
        try:
            barrier.wait()
            outcomes.append(call())
        except ValidationError as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def test_two_grants_at_once_leave_one_membership(alice, bob, mia):
    membre = make_tier("membre", name_fr="Membre")
    premium = make_tier("premium", name_fr="Premium")
    outcomes = race([
        lambda: actions.grant(alice, user=mia, tier=membre, reason="cheque"),
        lambda: actions.grant(bob, user=mia, tier=premium, reason="transfer"),
    ])
    assert Membership.objects.filter(user=mia).count() == 1
    assert sum(isinstance(o, Membership) for o in outcomes) == 1
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1


def test_two_company_grants_at_once_leave_one_membership(alice, bob):
    company = make_company("La Forge")
    entreprise = make_tier("entreprise", name_fr="Entreprise", seats=5)
    outcomes = race([
        lambda: actions.grant(alice, company=company, tier=entreprise, reason="a"),
        lambda: actions.grant(bob, company=company, tier=entreprise, reason="b"),
    ])
    assert Membership.objects.filter(company=company).count() == 1
    assert sorted(type(o).__name__ for o in outcomes) == ["Membership", "ValidationError"]


def test_a_member_choosing_twice_at_once_gets_one_membership(mia):
    free = make_tier("libre", name_fr="Libre", period="free", self_selectable=True)
    race([lambda: actions.choose_tier(mia, free), lambda: actions.choose_tier(mia, free)])
    assert Membership.objects.filter(user=mia).count() == 1


def test_the_database_refuses_a_second_current_membership_even_without_the_action(mia):
    from django.db import IntegrityError

    membre = make_tier("membre", name_fr="Membre")
    Membership.objects.create(user=mia, tier=membre, status="active")
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=mia, tier=membre, status="pending")
