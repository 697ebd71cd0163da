"""The mailing API: members read and change their own subscriptions; the team reads, adds and lifts
suppressions; everybody else gets a 403; bad input a 422 and nothing written."""

from __future__ import annotations

import pytest

from tribu.mailing import consent
from tribu.mailing.models import EmailSuppression

API = "/api/v1/mailing"


def test_a_member_reads_and_changes_their_subscriptions(client, mia):
    client.force_login(mia)
    response = client.get(f"{API}/subscriptions")
    assert response.status_code == 200
    assert response.json() == {"newsletter": False, "event_announcements": False, "digests": True,
                               "campaigns": True, "suppressed": False}
    changed = client.patch(f"{API}/subscriptions", {"newsletter": True, "campaigns": False},
                           content_type="application/json")
    assert changed.status_code == 200
    assert changed.json()["newsletter"] is True and changed.json()["campaigns"] is False
    assert consent.may_send(mia, consent.NEWSLETTER) is True


def test_a_wrong_type_is_a_422_and_changes_nothing(client, mia):
    client.force_login(mia)
    response = client.patch(f"{API}/subscriptions", {"newsletter": "perhaps"}, content_type="application/json")
    assert response.status_code == 422
    assert consent.is_subscribed(mia, consent.NEWSLETTER) is False


def test_visitors_must_authenticate(client, db):
    assert client.get(f"{API}/subscriptions").status_code == 401
    assert client.get(f"{API}/suppressions").status_code == 401


def test_the_team_lists_adds_and_lifts_suppressions(client, bob, db):
    client.force_login(bob)
    EmailSuppression.objects.create(email="gone@example.org", reason="hard_bounce", detail="550 unknown")
    listing = client.get(f"{API}/suppressions")
    assert listing.status_code == 200
    [row] = listing.json()["results"]
    assert (row["email"], row["reason"], row["detail"]) == ("gone@example.org", "hard_bounce", "550 unknown")
    added = client.post(f"{API}/suppressions", {"email": "Asked@Example.org", "detail": "phone"},
                        content_type="application/json")
    assert added.status_code == 201
    assert added.json()["email"] == "asked@example.org" and added.json()["reason"] == "manual"
    again = client.post(f"{API}/suppressions", {"email": "asked@example.org"}, content_type="application/json")
    assert again.status_code == 409
    bad = client.post(f"{API}/suppressions", {"email": "nope"}, content_type="application/json")
    assert bad.status_code == 422
    lifted = client.delete(f"{API}/suppressions/{added.json()['id']}")
    assert lifted.status_code == 204
    assert client.delete(f"{API}/suppressions/{added.json()['id']}").status_code == 409
    assert client.delete(f"{API}/suppressions/99999").status_code == 404
    assert not consent.is_suppressed("asked@example.org")
    assert len(client.get(f"{API}/suppressions?lifted=true").json()["results"]) == 2


@pytest.mark.parametrize("role", ["animator", "member", "guest"])
def test_others_cannot_touch_the_suppression_list(client, users_by_role, role):
    row = EmailSuppression.objects.create(email="gone@example.org", reason="hard_bounce")
    client.force_login(users_by_role[role])
    assert client.get(f"{API}/suppressions").status_code == 403
    assert client.post(f"{API}/suppressions", {"email": "x@example.org"},
                       content_type="application/json").status_code == 403
    assert client.delete(f"{API}/suppressions/{row.pk}").status_code == 403
    assert EmailSuppression.objects.filter(lifted_at__isnull=True).count() == 1
