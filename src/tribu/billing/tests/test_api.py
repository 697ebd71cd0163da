"""API v1 of billing: my documents (and download), the team's documents list and renewals due; every
role, pagination, bad filters as 422, other people's documents as 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tribu.billing import actions

from .conftest import attach, make_company, make_membership, make_payment

pytestmark = pytest.mark.django_db
ROLES = ["admin", "staff", "animator", "member", "guest"]
TEAM = {"admin", "staff"}


@pytest.fixture
def setup(org, users_by_role, premium):
    mia, anna = users_by_role["member"], users_by_role["animator"]
    company = make_company("La Forge")
    attach(company, anna, minutes_ago=3, contact=True)
    own = actions.issue_receipt(make_payment(user=mia, amount_cents=6000), email=False)
    company_doc = actions.issue_receipt(make_payment(company=company, amount_cents=45000), email=False)
    make_membership(tier=premium, user=mia, ends_on=timezone.localdate() + timedelta(days=9))
    return {"mia": own, "company": company_doc}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix_of_the_api(client, users_by_role, setup, role):
    client.force_login(users_by_role[role])
    mine = client.get("/api/v1/billing/documents/mine")
    assert mine.status_code == 200
    numbers = {d["number"] for d in mine.json()["results"]}
    expected = {"member": {setup["mia"].number}, "animator": {setup["company"].number}}.get(role, set())
    assert numbers == expected
    assert client.get("/api/v1/billing/documents").status_code == (200 if role in TEAM else 403)
    assert client.get("/api/v1/billing/renewals").status_code == (200 if role in TEAM else 403)
    for key, doc in setup.items():
        allowed = role in TEAM or (role == "member" and key == "mia") or (role == "animator" and key == "company")
        response = client.get(f"/api/v1/billing/documents/{doc.pk}/pdf")
        assert response.status_code == (200 if allowed else 404), (role, key)
        if allowed:
            assert response.content.startswith(b"%PDF")


def test_anonymous_callers_get_401(client, setup):
    assert client.get("/api/v1/billing/documents/mine").status_code == 401
    assert client.get(f"/api/v1/billing/documents/{setup['mia'].pk}/pdf").status_code == 401


def test_my_documents_carry_their_download_address(client, mia, setup):
    client.force_login(mia)
    row = client.get("/api/v1/billing/documents/mine").json()["results"][0]
    assert row["kind"] == "receipt" and row["total_cents"] == 6000 and row["currency"] == "EUR"
    assert row["download_url"].endswith(f"/api/v1/billing/documents/{setup['mia'].pk}/pdf")
    assert client.get(row["download_url"]).status_code == 200


def test_the_team_lists_documents_with_filters_and_pages(client, bob, mia, setup):
    for _ in range(3):
        actions.issue_receipt(make_payment(user=mia), email=False)
    client.force_login(bob)
    body = client.get("/api/v1/billing/documents", {"page_size": 2}).json()
    assert body["count"] == 5 and len(body["results"]) == 2 and body["next"]
    assert client.get("/api/v1/billing/documents", {"q": "La Forge"}).json()["count"] == 1
    assert client.get("/api/v1/billing/documents", {"kind": "credit_note"}).json()["count"] == 0
    assert client.get("/api/v1/billing/documents", {"kind": "bogus"}).status_code == 422
    assert client.get("/api/v1/billing/documents", {"page": 9}).status_code == 404


def test_the_renewals_due_list(client, bob, mia, setup):
    client.force_login(bob)
    body = client.get("/api/v1/billing/renewals", {"status": "due", "days": 30}).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["holder"] == "member" and row["user_id"] == mia.pk and row["situation"] == "due"
    assert row["price_cents"] == 12000 and row["last_reminder_at"] is None
    assert client.get("/api/v1/billing/renewals", {"status": "due", "days": 5}).json()["count"] == 0
    assert client.get("/api/v1/billing/renewals", {"status": "soon"}).status_code == 422
    assert client.get("/api/v1/billing/renewals", {"days": 0}).status_code == 422
