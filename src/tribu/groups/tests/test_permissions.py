"""The permission matrix of the issue: every persona × every kind of group × every action, through
the pages a person would use, checking what they would notice (status, rows written or not).

Personas: anonymous, guest, member (holds the tier of the tier-restricted group), member of another
tier, group member, animator, owner, staff, admin. Groups: public, moderated, private,
tier-restricted (teaser), archived. Actions: view, join, post, invite, approve, edit.
"""

from __future__ import annotations

import pytest

from tribu.feed.models import Post
from tribu.groups.models import Group, GroupInvitation, GroupMembership, JoinRequest

from .conftest import add_to, make_group, make_membership, make_tier

PERSONAS = ["anonymous", "guest", "member", "other_tier", "group_member", "animator", "owner", "staff", "admin"]
KINDS = ["public", "moderated", "private", "tier", "archived"]
ACTIONS = ["view", "join", "post", "invite", "approve", "edit"]

# Outcomes: "content" (the feed shows), "about" (only the about tab: the group exists), "joined",
# "requested", "posted", "invited", "approved", "edited" — or a status code with nothing changed.
LOGIN = "login"
INSIDER = {"view": "content", "join": 400, "post": "posted", "invite": 403, "approve": 403, "edit": 403}
LEADER = {"view": "content", "join": 400, "post": "posted", "invite": "invited", "approve": "approved",
          "edit": "edited"}
TEAM = {"view": "content", "join": "joined", "post": "posted", "invite": "invited", "approve": "approved",
        "edit": "edited"}
HIDDEN = dict.fromkeys(ACTIONS, 404)
OUTSIDER_PUBLIC = {"view": "content", "join": "joined", "post": 403, "invite": 403, "approve": 403, "edit": 403}
OUTSIDER_MODERATED = {**OUTSIDER_PUBLIC, "view": "about", "join": "requested"}
OUTSIDER_TEASED = {**OUTSIDER_PUBLIC, "view": "about", "join": 403}
ARCHIVED_OUTSIDER = {"view": "content", "join": 403, "post": 403, "invite": 403, "approve": 403, "edit": 403}
ARCHIVED_INSIDER = {**ARCHIVED_OUTSIDER, "join": 400}

EXPECTED = {
    "public": {"guest": HIDDEN, "member": OUTSIDER_PUBLIC, "other_tier": OUTSIDER_PUBLIC, "group_member": INSIDER,
               "animator": LEADER, "owner": LEADER, "staff": TEAM, "admin": TEAM},
    "moderated": {"guest": HIDDEN, "member": OUTSIDER_MODERATED, "other_tier": OUTSIDER_MODERATED,
                  "group_member": INSIDER, "animator": LEADER, "owner": LEADER, "staff": TEAM, "admin": TEAM},
    "private": {"guest": HIDDEN, "member": HIDDEN, "other_tier": HIDDEN, "group_member": INSIDER,
                "animator": LEADER, "owner": LEADER, "staff": TEAM, "admin": TEAM},
    "tier": {"guest": HIDDEN, "member": OUTSIDER_PUBLIC, "other_tier": OUTSIDER_TEASED, "group_member": INSIDER,
             "animator": LEADER, "owner": LEADER, "staff": TEAM, "admin": TEAM},
    "archived": {"guest": HIDDEN, "member": ARCHIVED_OUTSIDER, "other_tier": ARCHIVED_OUTSIDER,
                 "group_member": ARCHIVED_INSIDER, "animator": ARCHIVED_INSIDER, "owner": ARCHIVED_INSIDER,
                 "staff": {**ARCHIVED_OUTSIDER, "edit": "edited"}, "admin": {**ARCHIVED_OUTSIDER, "edit": "edited"}},
}


def expected(kind: str, persona: str, action: str):
    if persona == "anonymous":
        return LOGIN
    return EXPECTED[kind][persona][action]


@pytest.fixture
def world(db):
    from conftest import make_user

    premium = make_tier("premium")
    other = make_tier("autre")
    people = {
        "guest": make_user("guest@example.org", "guest", "Gaston Guest"),
        "member": make_user("member@example.org", "member", "Mona Member"),
        "other_tier": make_user("other@example.org", "member", "Otto Other"),
        "group_member": make_user("insider@example.org", "member", "Ines Insider"),
        "animator": make_user("animator@example.org", "member", "Ana Animator"),
        "owner": make_user("owner@example.org", "member", "Olivia Owner"),
        "staff": make_user("staff@example.org", "staff", "Sam Staff"),
        "admin": make_user("admin@example.org", "admin", "Ada Admin"),
        "requester": make_user("requester@example.org", "member", "Rita Requester"),
    }
    make_membership(tier=premium, user=people["member"])
    make_membership(tier=other, user=people["other_tier"])
    options = {
        "public": {},
        "moderated": {"visibility": "moderated", "questions": ["Why?"]},
        "private": {"visibility": "private"},
        "tier": {"tiers": [premium]},
        "archived": {"archived": True},
    }
    groups = {}
    for kind, extra in options.items():
        group = make_group(f"Groupe {kind}", owner=people["owner"], **extra)
        add_to(group, people["group_member"])
        add_to(group, people["animator"], "animator")
        JoinRequest.objects.create(group=group, user=people["requester"], answers=[])
        groups[kind] = group
    return people, groups


def _act(client, action: str, group: Group, people: dict):
    slug = group.slug
    if action == "view":
        return client.get(f"/groups/{slug}/")
    if action == "join":
        return client.post(f"/groups/{slug}/join/", {"answer_0": "Because"})
    if action == "post":
        return client.post(f"/feed/groups/{slug}/posts/", {"body": "Hello the group"})
    if action == "invite":
        return client.post(f"/groups/{slug}/invite/", {"emails": "newcomer@example.org"})
    if action == "approve":
        request_id = JoinRequest.objects.get(group=group, user=people["requester"]).pk
        return client.post(f"/groups/{slug}/requests/{request_id}/", {"decision": "approve"})
    data = {"name": group.name, "visibility": group.visibility, "restriction_mode": group.restriction_mode,
            "summary": "Edited summary", "join_questions": "\n".join(group.join_questions),
            "required_tiers": [t.pk for t in group.required_tiers.all()]}
    return client.post(f"/groups/{slug}/edit/", data)


def _outcome(response, action: str, group: Group, user) -> object:
    if response.status_code == 302 and "/accounts/login/" in response["Location"]:
        return LOGIN
    if response.status_code not in (200, 302):
        return response.status_code
    if action == "view":
        return "content" if b'id="feed-title"' in response.content else "about"
    if action == "join":
        if GroupMembership.objects.filter(group=group, user=user).exists():
            return "joined"
        if JoinRequest.objects.filter(group=group, user=user, status="pending").exists():
            return "requested"
    if action == "post" and Post.objects.filter(group=group, author=user, kind="discussion").exists():
        return "posted"
    if action == "invite" and GroupInvitation.objects.filter(group=group, email="newcomer@example.org").exists():
        return "invited"
    if action == "approve" and JoinRequest.objects.filter(group=group, status="approved").exists():
        return "approved"
    if action == "edit" and Group.objects.filter(pk=group.pk, summary="Edited summary").exists():
        return "edited"
    return f"{response.status_code} without effect"


def _nothing_changed(action: str, group: Group, user) -> bool:
    if action == "join":
        return not JoinRequest.objects.filter(group=group, user=user).exists() and (
            user is None or GroupMembership.objects.filter(group=group, user=user).count() <= 1)
    if action == "post":
        return not Post.objects.filter(group=group, kind="discussion").exists()
    if action == "invite":
        return not GroupInvitation.objects.filter(group=group).exists()
    if action == "approve":
        return JoinRequest.objects.filter(group=group, status="pending").count() == 1
    if action == "edit":
        return not Group.objects.filter(pk=group.pk, summary="Edited summary").exists()
    return True


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(client, world, persona, kind, action):
    people, groups = world
    group = groups[kind]
    user = people.get(persona)
    if user is not None:
        client.force_login(user)
    response = _act(client, action, group, people)
    want = expected(kind, persona, action)
    assert _outcome(response, action, group, user) == want
    if not isinstance(want, str) or want in (LOGIN, "about"):
        assert _nothing_changed(action, group, user if persona != "group_member" else None)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_api_and_the_directory_search_follow_the_same_rules(client, world, persona, kind):
    people, groups = world
    group = groups[kind]
    user = people.get(persona)
    if user is not None:
        client.force_login(user)
    detail = client.get(f"/api/v1/groups/{group.slug}")
    listing = client.get("/api/v1/groups", {"q": "Groupe", "page_size": 50})
    search = client.get("/groups/", {"q": "Groupe"})
    by_id = client.post("/api/v1/groups", {"name": "Sub", "parent_id": group.pk}, content_type="application/json")
    if persona == "anonymous":
        assert detail.status_code == listing.status_code == 401
        assert search.status_code == 302
        return
    knows = expected(kind, persona, "view") != 404
    assert detail.status_code == (200 if knows else 404)
    names = [g["name"] for g in listing.json()["results"]]
    in_directory = knows and kind != "archived"  # archived groups leave the directory (still reachable)
    assert (group.name in names) is in_directory
    assert (f'href="/groups/{group.slug}/"'.encode() in search.content) is in_directory
    # Guessing a private group's id to create a sub-group in it tells nothing either.
    if not knows:
        assert by_id.status_code == 404
