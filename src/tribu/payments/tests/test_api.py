"""API v1 of payments: the same rules as the pages (role matrix, 422 with nothing written, 409 when a
payment is already recorded, 503 when Stripe cannot be reached)."""

from __future__ import annotations

import pytest

from tribu.memberships.models import Membership
from tribu.payments import actions
from tribu.payments.models import Payment

ROLES = ["admin", "staff", "animator", "member", "guest"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_team_list_and_recording_are_for_the_team(client, users_by_role, mia, premium, bank, role):
    pending = actions.start_offline(mia, premium, method="transfer")
    client.force_login(users_by_role[role])
    team = role in {"admin", "staff"}
    listed = client.get("/api/v1/payments")
    assert listed.status_code == (200 if team else 403)
    if team:
        assert [p["reference"] for p in listed.json()["results"]] == [pending.reference]
    recorded = client.post(f"/api/v1/payments/{pending.pk}/record", {"method": "cheque"},
                           content_type="application/json")
    assert recorded.status_code == (200 if team else 403)
    pending.refresh_from_db()
    assert pending.status == ("succeeded" if team else "pending")
    mine = client.get("/api/v1/me/payments")
    assert mine.status_code == 200


@pytest.mark.django_db
def test_anonymous_callers_get_401(client):
    assert client.get("/api/v1/me/payments").status_code == 401
    assert client.get("/api/v1/payments").status_code == 401


@pytest.mark.django_db
def test_a_member_pays_offline_and_sees_it(client, mia, premium, bank):
    client.force_login(mia)
    answer = client.post("/api/v1/me/payments/offline", {"tier_id": premium.pk, "method": "transfer"},
                         content_type="application/json")
    assert answer.status_code == 201
    body = answer.json()
    assert (body["status"], body["amount_cents"], body["amount"]) == ("pending", 12000, "120,00\u00a0€")
    mine = client.get("/api/v1/me/payments").json()
    assert mine["count"] == 1 and mine["results"][0]["reference"] == body["reference"]
    bad = client.post("/api/v1/me/payments/offline", {"tier_id": premium.pk, "method": "bitcoin"},
                      content_type="application/json")
    assert bad.status_code == 422


@pytest.mark.django_db
def test_recording_twice_is_a_409(client, bob, alice, mia, premium, bank):
    pending = actions.start_offline(mia, premium, method="transfer")
    client.force_login(bob)
    assert client.post(f"/api/v1/payments/{pending.pk}/record", {"method": "transfer"},
                       content_type="application/json").status_code == 200
    client.force_login(alice)
    again = client.post(f"/api/v1/payments/{pending.pk}/record", {"method": "cash"},
                        content_type="application/json")
    assert again.status_code == 409
    assert Payment.objects.get().method == "transfer"


@pytest.mark.django_db
def test_the_team_records_a_payment_nobody_announced(client, bob, mia, premium):
    client.force_login(bob)
    bad = client.post("/api/v1/payments", {"user_id": mia.pk, "purpose": "membership", "method": "cash"},
                      content_type="application/json")
    assert bad.status_code == 422
    assert Payment.objects.count() == 0
    answer = client.post("/api/v1/payments", {"user_id": mia.pk, "purpose": "membership", "tier_id": premium.pk,
                                              "method": "cash"}, content_type="application/json")
    assert answer.status_code == 201
    assert Membership.objects.get(user=mia).status == "active"


@pytest.mark.django_db
def test_checkout_by_api_and_stripe_down(client, fake_stripe, mia, premium):
    client.force_login(mia)
    fake_stripe.down = True
    down = client.post("/api/v1/me/payments/checkout", {"tier_id": premium.pk}, content_type="application/json")
    assert down.status_code == 503
    assert down.json()["error"]["code"] == "stripe_unavailable"
    assert "Rien n'a été débité" in down.json()["error"]["message"]
    fake_stripe.down = False
    answer = client.post("/api/v1/me/payments/checkout", {"tier_id": premium.pk}, content_type="application/json")
    assert answer.status_code == 201
    assert answer.json()["checkout_url"] == fake_stripe.sessions[fake_stripe.created[0]]["url"]
    assert len(fake_stripe.created) == 1 and Payment.objects.count() == 1
