"""The API: the same rules as the pages (join, request, decide, members, invitations), clear errors."""

from __future__ import annotations

import pytest

from tribu.groups.models import GroupMembership, JoinRequest

from .conftest import add_to, make_group

pytestmark = pytest.mark.django_db


def test_a_member_joins_a_public_group_once_and_a_second_time_is_a_409(client, club, mia):
    client.force_login(mia)
    assert client.post(f"/api/v1/groups/{club.slug}/join", {}, content_type="application/json").json() == {
        "status": "member", "request_id": None}
    again = client.post(f"/api/v1/groups/{club.slug}/join", {}, content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_member"
    assert GroupMembership.objects.filter(group=club, user=mia).count() == 1


def test_a_request_needs_its_answers_and_only_animators_decide_it(client, commission, mia, anna, bob):
    client.force_login(mia)
    missing = client.post(f"/api/v1/groups/{commission.slug}/join", {}, content_type="application/json")
    assert missing.status_code == 422
    sent = client.post(f"/api/v1/groups/{commission.slug}/join", {"answers": ["Pour coder"]},
                       content_type="application/json")
    assert sent.status_code == 201 and sent.json()["status"] == "pending"
    duplicate = client.post(f"/api/v1/groups/{commission.slug}/join", {"answers": ["Encore"]},
                            content_type="application/json")
    assert duplicate.status_code == 409
    request_id = sent.json()["request_id"]
    refused = client.post(f"/api/v1/groups/{commission.slug}/requests/{request_id}", {"approve": True},
                          content_type="application/json")
    assert refused.status_code == 403
    assert JoinRequest.objects.get(pk=request_id).status == "pending"
    client.force_login(anna)
    listed = client.get(f"/api/v1/groups/{commission.slug}/requests").json()
    assert listed[0]["answers"][0]["answer"] == "Pour coder"
    done = client.post(f"/api/v1/groups/{commission.slug}/requests/{request_id}",
                       {"approve": True, "message": "Bienvenue"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "approved"
    again = client.post(f"/api/v1/groups/{commission.slug}/requests/{request_id}", {"approve": False},
                        content_type="application/json")
    assert again.status_code == 409
    assert GroupMembership.objects.filter(group=commission, user=mia).exists()


def test_members_are_listed_for_those_who_may_read_the_group_and_removed_by_animators(client, club, mia, anna, bob):
    add_to(club, mia)
    add_to(club, bob)
    client.force_login(mia)
    page = client.get(f"/api/v1/groups/{club.slug}/members", {"q": "bob"}).json()
    assert page["count"] == 1 and page["results"][0]["name"] == "Bob Staff"
    assert client.delete(f"/api/v1/groups/{club.slug}/members/{bob.pk}").status_code == 403
    client.force_login(anna)
    assert client.delete(f"/api/v1/groups/{club.slug}/members/{bob.pk}").status_code == 204
    assert not GroupMembership.objects.filter(group=club, user=bob).exists()


def test_a_group_is_created_patched_and_nested_through_the_api(client, alice, anna):
    client.force_login(alice)
    made = client.post("/api/v1/groups", {"name": "Réseau", "visibility": "private"}, content_type="application/json")
    assert made.status_code == 201
    parent = made.json()
    child = client.post("/api/v1/groups", {"name": "Antenne", "parent_id": parent["id"]},
                        content_type="application/json").json()
    assert child["depth"] == 1 and child["effective_visibility"] == "private"
    assert child["ancestors"] == [{"id": parent["id"], "slug": parent["slug"], "name": "Réseau"}]
    patched = client.patch(f"/api/v1/groups/{parent['slug']}", {"visibility": "public"},
                           content_type="application/json")
    assert patched.json()["effective_visibility"] == "public"
    assert client.get(f"/api/v1/groups/{child['slug']}").json()["effective_visibility"] == "public"
    bad = client.post("/api/v1/groups", {"name": "", "visibility": "secret"}, content_type="application/json")
    assert bad.status_code == 422


def test_members_cannot_create_top_level_groups_under_the_default_policy(client, mia):
    client.force_login(mia)
    assert client.post("/api/v1/groups", {"name": "Mon club"}, content_type="application/json").status_code == 403


def test_leaving_through_the_api_and_the_last_owner_stays(client, anna, mia):
    group = make_group("Club", owner=anna)
    add_to(group, mia)
    client.force_login(mia)
    assert client.post(f"/api/v1/groups/{group.slug}/leave").status_code == 204
    client.force_login(anna)
    assert client.post(f"/api/v1/groups/{group.slug}/leave").status_code == 409
