"""API v1: same rules as the pages (403 for those the policies refuse, 422 for bad input)."""

from __future__ import annotations

import json

import pytest

from tribu.memberships import actions
from tribu.memberships.models import Membership, Tier

from .conftest import make_company, make_membership

pytestmark = pytest.mark.django_db

ROLES = ["admin", "staff", "animator", "member", "guest"]
TEAM = {"admin", "staff"}


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_of_the_api(client, users_by_role, role, membre, premium, mia, anna):
    user = users_by_role[role]
    client.force_login(user)
    m = make_membership(user=anna, tier=membre)
    assert client.get("/api/v1/tiers").status_code == 200
    assert client.get("/api/v1/me/membership").status_code == 200
    assert client.get("/api/v1/memberships").status_code == (200 if role in TEAM else 403)
    target = mia if user != mia else users_by_role["guest"]
    granted = post(client, "/api/v1/memberships", {"user_id": target.pk, "tier_id": premium.pk, "reason": "api"})
    assert granted.status_code == (201 if role in TEAM else 403)
    for what in ("extend", "cancel"):
        assert post(client, f"/api/v1/memberships/{m.pk}/{what}", {"reason": "api"}).status_code == (
            200 if role in TEAM else 403)
    created = post(client, "/api/v1/tiers", {"name_fr": "Or", "price_cents": 1000})
    assert created.status_code == (201 if role == "admin" else 403)
    assert patch(client, f"/api/v1/tiers/{premium.pk}", {"grace_days": 3}).status_code == (
        200 if role == "admin" else 403)
    assert client.delete(f"/api/v1/tiers/{premium.pk}").status_code == (204 if role == "admin" else 403)
    premium.refresh_from_db()
    assert premium.active == (role != "admin")


def test_anonymous_callers_get_401(client):
    assert client.get("/api/v1/tiers").status_code == 401
    assert client.get("/api/v1/me/membership").status_code == 401


def test_tiers_are_listed_with_their_price_for_the_reader(client, mia, membre, premium):
    premium.active = False
    premium.save()
    client.force_login(mia)
    rows = client.get("/api/v1/tiers").json()
    assert [(r["slug"], r["price"], r["self_selectable"]) for r in rows] == [("membre", "60,00\u00a0€", True)]
    rows = client.get("/api/v1/tiers?archived=true").json()
    assert len(rows) == 1  # only the team sees archived tiers


def test_a_reason_is_required_else_422(client, bob, mia, membre):
    client.force_login(bob)
    missing = post(client, "/api/v1/memberships", {"user_id": mia.pk, "tier_id": membre.pk})
    assert missing.status_code == 422 and "reason" in missing.json()["error"]["details"]
    blank = post(client, "/api/v1/memberships", {"user_id": mia.pk, "tier_id": membre.pk, "reason": "  "})
    assert blank.status_code == 422
    assert not Membership.objects.exists()


def test_grant_extend_change_cancel_through_the_api(client, bob, mia, membre, premium):
    client.force_login(bob)
    r = post(client, "/api/v1/memberships", {"user_id": mia.pk, "tier_id": membre.pk, "reason": "paid",
                                             "starts_on": "2026-01-01"})
    assert r.status_code == 201 and r.json()["ends_on"] == "2026-12-31"
    mid = r.json()["id"]
    r = post(client, f"/api/v1/memberships/{mid}/extend", {"reason": "renewed"})
    assert r.json()["ends_on"] == "2027-12-31"
    r = post(client, f"/api/v1/memberships/{mid}/change-tier", {"tier_id": premium.pk, "reason": "upgrade"})
    assert r.json()["tier"]["id"] == premium.pk
    r = post(client, f"/api/v1/memberships/{mid}/cancel", {"reason": "left"})
    assert r.json()["status"] == "cancelled"
    again = post(client, f"/api/v1/memberships/{mid}/cancel", {"reason": "left"})
    assert again.status_code == 422
    assert post(client, "/api/v1/memberships/999999/cancel", {"reason": "x"}).status_code == 404


def test_a_grant_needs_one_holder(client, bob, mia, membre, entreprise):
    client.force_login(bob)
    company = make_company("La Forge")
    both = post(client, "/api/v1/memberships", {"user_id": mia.pk, "company_id": company.pk,
                                                "tier_id": membre.pk, "reason": "x"})
    assert both.status_code == 422
    ok = post(client, "/api/v1/memberships", {"company_id": company.pk, "tier_id": entreprise.pk, "reason": "x"})
    assert ok.status_code == 201 and ok.json()["holder_name"] == "La Forge"


def test_my_membership_lists_the_current_one_and_the_history(client, bob, mia, membre):
    actions.grant(bob, user=mia, tier=membre, reason="paid")
    client.force_login(mia)
    body = client.get("/api/v1/me/membership").json()
    assert body["current"]["tier"]["name"] == "Membre" and body["tier_ids"] == [membre.pk]
    assert body["history"][0]["verb"] == "membership.granted" and body["history"][0]["reason"] == "paid"


def test_members_choose_a_tier_through_the_api(client, gina, invite, entreprise):
    client.force_login(gina)
    assert post(client, "/api/v1/me/membership", {"tier_id": entreprise.pk}).status_code == 403
    r = post(client, "/api/v1/me/membership", {"tier_id": invite.pk})
    assert r.status_code == 201 and r.json()["status"] == "active" and r.json()["is_trial"]


def test_the_staff_list_is_filtered_and_paginated(client, bob, mia, anna, gina, membre, premium, settings):
    settings.TRIBU_API_PAGE_SIZE = 2
    for user, tier in ((mia, membre), (anna, premium), (gina, premium)):
        make_membership(user=user, tier=tier)
    client.force_login(bob)
    first = client.get("/api/v1/memberships").json()
    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"]
    assert client.get("/api/v1/memberships?page=3").status_code == 404
    filtered = client.get(f"/api/v1/memberships?tier={premium.pk}&q=gina").json()
    assert [r["user_id"] for r in filtered["results"]] == [gina.pk]


def test_bad_tier_values_are_422_with_messages(client, alice):
    client.force_login(alice)
    r = post(client, "/api/v1/tiers", {"name_fr": "X", "currency": "E1"})
    assert r.status_code == 422 and "currency" in r.json()["error"]["details"]
    r = post(client, "/api/v1/tiers", {"name_fr": "X", "period": "weekly"})
    assert r.status_code == 422
    r = post(client, "/api/v1/tiers", {"name_fr": "Invité", "is_guest": True})
    assert r.status_code == 422 and "trial_days" in r.json()["error"]["details"]
    assert not Tier.objects.exists()
