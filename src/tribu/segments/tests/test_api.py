"""API v1 of segments: the team only; bad filters are a 422 naming each faulty rule."""

from __future__ import annotations

import pytest

from tribu.core.models import Activity
from tribu.segments import actions
from tribu.segments.models import Segment

from .conftest import make_membership, speak_english

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(db):
    speak_english()
TEAM = {"admin", "staff"}
ROLE_FILTERS = {"match": "all", "rules": [{"field": "role", "op": "in", "value": ["member", "guest"]}]}


@pytest.fixture
def segment(alice):
    return actions.create_segment(alice, name="Members and guests", filters=ROLE_FILTERS)


@pytest.mark.parametrize("role", ["admin", "staff", "animator", "member", "guest"])
def test_permission_matrix(client, users_by_role, segment, role):
    client.force_login(users_by_role[role])
    ok = role in TEAM
    calls = [
        client.get("/api/v1/segments"),
        client.get("/api/v1/segments/fields"),
        client.get(f"/api/v1/segments/{segment.pk}"),
        client.get(f"/api/v1/segments/{segment.pk}/members"),
        client.post("/api/v1/segments/count", {"filters": ROLE_FILTERS}, content_type="application/json"),
        client.patch(f"/api/v1/segments/{segment.pk}", {"name": "Changed"}, content_type="application/json"),
    ]
    assert [c.status_code for c in calls] == [200 if ok else 403] * len(calls)
    created = client.post("/api/v1/segments", {"name": "New", "filters": ROLE_FILTERS}, content_type="application/json")
    assert created.status_code == (201 if ok else 403)
    deleted = client.delete(f"/api/v1/segments/{segment.pk}")
    assert deleted.status_code == (204 if ok else 403)
    assert Segment.objects.filter(pk=segment.pk).exists() is not ok
    if not ok:
        assert calls[0].json()["error"]["code"] == "permission_denied"
        assert Segment.objects.get(pk=segment.pk).name == "Members and guests"


def test_anonymous_callers_get_401(client, segment):
    assert client.get("/api/v1/segments").status_code == 401
    assert client.post("/api/v1/segments/count", {}, content_type="application/json").status_code == 401


def test_a_token_of_the_team_works(client, bob, segment, mia):
    from tribu.api.actions import create_token

    _token, secret = create_token(bob, "crm")
    response = client.get("/api/v1/segments", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert response.json()["results"][0]["member_count"] == 1


def test_list_with_member_counts_and_pages(client, bob, alice, mia, gina, anna):
    client.force_login(bob)
    for i in range(3):
        actions.create_segment(alice, name=f"S{i}", filters={"rules": [
            {"field": "role", "op": "in", "value": [["member"], ["member", "guest"], ["animator"]][i]}]})
    body = client.get("/api/v1/segments", {"page_size": 2}).json()
    assert body["count"] == 3 and body["next"] and body["previous"] is None
    assert [(r["name"], r["member_count"]) for r in body["results"]] == [("S0", 1), ("S1", 2)]
    assert client.get("/api/v1/segments", {"page": 3, "page_size": 2}).status_code == 404


def test_create_read_update(client, bob, mia, gina, membre):
    client.force_login(bob)
    make_membership(tier=membre, user=gina)
    created = client.post("/api/v1/segments", {
        "name": "  Membre tier  ", "description": "For the AGM",
        "filters": {"match": "all", "rules": [{"field": "tier", "op": "in", "value": [membre.pk]}]},
    }, content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert body["name"] == "Membre tier" and body["member_count"] == 1 and body["created_by"] == "Bob Staff"
    pk = body["id"]
    changed = client.patch(f"/api/v1/segments/{pk}", {"filters": ROLE_FILTERS}, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["member_count"] == 2
    assert changed.json()["name"] == "Membre tier"
    stored = client.get(f"/api/v1/segments/{pk}").json()["filters"]
    assert stored == {"match": "all", "rules": [{"field": "role", "op": "in", "value": ["guest", "member"]}]}
    assert Activity.objects.filter(verb="segment.updated", actor=bob, data__fields=["filters"]).exists()


@pytest.mark.parametrize(("filters", "expected"), [
    ({"rules": [{"field": "shoe_size", "op": "in", "value": [1]}]}, "Rule 1: unknown field « shoe_size »."),
    ({"rules": [{"field": "role", "op": "near", "value": ["member"]}]}, "has no operator « near »"),
    ({"rules": [{"field": "membership_status", "op": "expiring_within", "value": "30"}]}, "whole number of days"),
    ("everyone", "The filters must be an object"),
    ({"match": "most"}, "“match” must be “all” or “any”."),
])
def test_bad_filters_are_422_with_the_reason(client, bob, filters, expected):
    client.force_login(bob)
    for response in (
        client.post("/api/v1/segments", {"name": "X", "filters": filters}, content_type="application/json"),
        client.post("/api/v1/segments/count", {"filters": filters}, content_type="application/json"),
    ):
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert any(expected in m for m in error["details"]["filters"])
    assert not Segment.objects.exists()


def test_bad_names_and_bodies_are_422(client, bob, segment):
    client.force_login(bob)
    response = client.post("/api/v1/segments", {"name": "", "filters": ROLE_FILTERS}, content_type="application/json")
    assert response.status_code == 422 and response.json()["error"]["details"]["name"] == ["Give the segment a name."]
    response = client.post("/api/v1/segments", {"name": 12}, content_type="application/json")
    assert response.status_code == 422
    response = client.post("/api/v1/segments", "{not json", content_type="application/json")
    assert response.status_code in (400, 422)
    response = client.patch(f"/api/v1/segments/{segment.pk}", {"name": "x" * 121}, content_type="application/json")
    assert response.status_code == 422
    assert Segment.objects.get(pk=segment.pk).name == "Members and guests"
    assert not Segment.objects.exclude(pk=segment.pk).exists()


def test_count_of_unsaved_filters_including_nobody(client, bob, mia, premium):
    client.force_login(bob)
    response = client.post("/api/v1/segments/count", {"filters": ROLE_FILTERS}, content_type="application/json")
    assert response.json() == {"count": 1, "message": "1 member matches these filters."}
    nobody = {"rules": [{"field": "tier", "op": "in", "value": [premium.pk]}]}
    response = client.post("/api/v1/segments/count", {"filters": nobody}, content_type="application/json")
    assert response.status_code == 200 and response.json()["count"] == 0
    assert "reach no one" in response.json()["message"]
    assert not Segment.objects.exists()


def test_members_are_paginated_with_a_fixed_number_of_queries(client, bob, segment, django_assert_max_num_queries):
    from conftest import make_user
    from tribu.companies.models import Company, CompanyMember

    client.force_login(bob)
    acme = Company.objects.create(name="Acme", slug="acme")
    for i in range(5):
        user = make_user(f"m{i}@example.org", "member", f"M{i}")
        CompanyMember.objects.create(company=acme, user=user)
    with django_assert_max_num_queries(10) as few:
        body = client.get(f"/api/v1/segments/{segment.pk}/members", {"page_size": 3}).json()
    assert body["count"] == 5 and len(body["results"]) == 3 and body["results"][0]["company"] == "Acme"
    for i in range(5, 25):
        make_user(f"m{i}@example.org", "member", f"M{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(f"/api/v1/segments/{segment.pk}/members", {"page_size": 20}).json()
    assert body["count"] == 25 and len(body["results"]) == 20


def test_fields_describe_operators_and_options(client, bob, membre):
    client.force_login(bob)
    fields = {f["field"]: f for f in client.get("/api/v1/segments/fields").json()}
    assert {"tier", "membership_status", "company", "group", "tag", "activity", "event", "email_consent"} <= set(fields)
    assert {"op": "expiring_within", "label": "ends within N days", "value": "days"} in (
        fields["membership_status"]["operators"]
    )
    assert {"value": membre.pk, "label": "Member"} in fields["tier"]["options"] or \
        {"value": membre.pk, "label": "Membre"} in fields["tier"]["options"]


def test_delete_refused_while_a_campaign_targets_it(client, bob, segment):
    from tribu.campaigns.models import Campaign

    Campaign.objects.create(name="Rentrée", segment=segment)
    client.force_login(bob)
    response = client.delete(f"/api/v1/segments/{segment.pk}")
    assert response.status_code == 409 and "campaign" in response.json()["error"]["message"]
    assert client.delete("/api/v1/segments/99999").status_code == 404


def test_the_openapi_schema_documents_segments(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/segments", "/api/v1/segments/count", "/api/v1/segments/fields", "/api/v1/segments/{segment_id}",
            "/api/v1/segments/{segment_id}/members"} <= set(paths)
    assert set(paths["/api/v1/segments/{segment_id}"]) == {"get", "patch", "delete"}
