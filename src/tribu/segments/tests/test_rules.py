"""Each rule of the registry picks the members a community manager would expect."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import make_user
from tribu.segments import queries
from tribu.segments.filters import validate

from .conftest import attach, make_company, make_membership

pytestmark = pytest.mark.django_db


def emails(filters) -> set[str]:
    return set(queries.members_of(validate(filters)).values_list("email", flat=True))


def rule(field, op, value=None) -> dict:
    return {"match": "all", "rules": [{"field": field, "op": op, "value": value}]}


def test_tier_rule_finds_own_and_seat_holders_and_skips_lapsed(membre, premium, entreprise):
    own = make_user("own@example.org", "member", "Own")
    lapsed = make_user("lapsed@example.org", "member", "Lapsed")
    grace = make_user("grace@example.org", "member", "Grace")
    seat1 = make_user("seat1@example.org", "member", "Seat one")
    seat2 = make_user("seat2@example.org", "member", "Seat two")
    no_seat = make_user("noseat@example.org", "member", "No seat")
    make_membership(tier=membre, user=own)
    make_membership(tier=membre, user=lapsed, status="expired")
    make_membership(tier=membre, user=grace, status="grace")
    acme = make_company("Acme")
    make_membership(tier=entreprise, company=acme)  # two seats
    attach(acme, seat1, minutes_ago=30)
    attach(acme, seat2, minutes_ago=20)
    attach(acme, no_seat, minutes_ago=10)

    assert emails(rule("tier", "in", [membre.pk])) == {"own@example.org", "grace@example.org"}
    assert emails(rule("tier", "in", [entreprise.pk])) == {"seat1@example.org", "seat2@example.org"}
    assert emails(rule("tier", "in", [premium.pk])) == set()
    assert "lapsed@example.org" in emails(rule("tier", "not_in", [membre.pk, entreprise.pk]))
    assert "noseat@example.org" in emails(rule("tier", "not_in", [membre.pk, entreprise.pk]))


def test_membership_status_rules(membre):
    today = timezone.localdate()
    active = make_user("active@example.org", "member", "Active")
    soon = make_user("soon@example.org", "member", "Soon")
    lapsed = make_user("lapsed@example.org", "member", "Lapsed")
    renewed = make_user("renewed@example.org", "member", "Renewed")
    pending = make_user("pending@example.org", "member", "Pending")
    make_user("never@example.org", "member", "Never")
    make_membership(tier=membre, user=active, ends_on=today + timedelta(days=200))
    make_membership(tier=membre, user=soon, ends_on=today + timedelta(days=10))
    make_membership(tier=membre, user=lapsed, status="expired", ends_on=today - timedelta(days=5))
    make_membership(tier=membre, user=renewed, status="expired", ends_on=today - timedelta(days=400))
    make_membership(tier=membre, user=renewed, ends_on=today + timedelta(days=100))
    make_membership(tier=membre, user=pending, status="pending")

    assert emails(rule("membership_status", "in", ["active"])) == {
        "active@example.org", "soon@example.org", "renewed@example.org"
    }
    assert emails(rule("membership_status", "expiring_within", 30)) == {"soon@example.org"}
    assert emails(rule("membership_status", "in", ["lapsed"])) == {"lapsed@example.org"}
    assert emails(rule("membership_status", "in", ["pending"])) == {"pending@example.org"}
    assert "never@example.org" in emails(rule("membership_status", "in", ["none"]))
    assert "active@example.org" not in emails(rule("membership_status", "in", ["none"]))
    assert emails(rule("membership_status", "in", ["lapsed", "pending"])) == {
        "lapsed@example.org", "pending@example.org"
    }


def test_inactive_accounts_and_empty_addresses_are_never_members(membre):
    gone = make_user("gone@example.org", "member", "Gone")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    make_membership(tier=membre, user=gone)
    assert emails(rule("tier", "in", [membre.pk])) == set()


def test_count_is_one_query_whatever_the_number_of_rules(membre, premium, django_assert_num_queries):
    filters = validate({"match": "all", "rules": [
        {"field": "tier", "op": "in", "value": [membre.pk, premium.pk]},
        {"field": "membership_status", "op": "expiring_within", "value": 30},
        {"field": "company", "op": "is_not_set"},
        {"field": "activity", "op": "did_at_least", "value": {"verb": "post.created", "min": 2, "days": 90}},
        {"field": "email_consent", "op": "given", "value": "newsletter"},
        {"field": "signup_date", "op": "within_days", "value": 365},
    ]})
    with django_assert_num_queries(1):
        queries.count(filters)
