"""The permission matrix of discussions: every persona × every kind of place × every action, through
the pages and the API a person would use, checking what they would notice (status, rows written or not).

Personas: anonymous, guest, member (holds the tier of the tier-restricted group), member of another
tier, group member (the question's author), animator (wrote the comments), owner, staff, admin.
Places: the community feed, public, moderated, private, tier-restricted (teaser) and archived groups.
Actions: read the post page, react, comment, edit a comment of the animator, read its edit history,
accept it as the answer, delete another of the animator's comments.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from tribu.feed.models import Comment, Post, Reaction, Revision
from tribu.groups.tests.conftest import add_to, make_group, make_membership, make_tier

PERSONAS = ["anonymous", "guest", "member", "other_tier", "group_member", "animator", "owner", "staff", "admin"]
PLACES = ["community", "public", "moderated", "private", "tier", "archived"]
ACTIONS = ["read", "react", "comment", "edit", "history", "accept", "delete"]
LOGIN = "login"

ALL = {"read": "read", "react": "reacted", "comment": "commented", "edit": "edited", "history": "history",
       "accept": "accepted", "delete": "deleted"}
HIDDEN = dict.fromkeys(ACTIONS, 404)
READER = {**dict.fromkeys(ACTIONS, 403), "read": "read"}
TAKES_PART = {**READER, "react": "reacted", "comment": "commented"}
AUTHOR = {**TAKES_PART, "accept": "accepted"}  # the question's author chooses its answer
COMMENTER = {**TAKES_PART, "edit": "edited", "delete": "deleted"}  # the animator wrote the comments
ARCHIVED = READER  # read-only for everyone (the team reads the history)
ARCHIVED_TEAM = {**READER, "history": "history"}

EXPECTED = {
    "community": {"guest": READER, "member": TAKES_PART, "other_tier": TAKES_PART, "group_member": AUTHOR,
                  "animator": COMMENTER, "owner": TAKES_PART, "staff": ALL, "admin": ALL},
    "public": {"guest": HIDDEN, "member": READER, "other_tier": READER, "group_member": AUTHOR,
               "animator": ALL, "owner": ALL, "staff": ALL, "admin": ALL},
    "moderated": {"guest": HIDDEN, "member": HIDDEN, "other_tier": HIDDEN, "group_member": AUTHOR,
                  "animator": ALL, "owner": ALL, "staff": ALL, "admin": ALL},
    "private": {"guest": HIDDEN, "member": HIDDEN, "other_tier": HIDDEN, "group_member": AUTHOR,
                "animator": ALL, "owner": ALL, "staff": ALL, "admin": ALL},
    "tier": {"guest": HIDDEN, "member": READER, "other_tier": HIDDEN, "group_member": AUTHOR,
             "animator": ALL, "owner": ALL, "staff": ALL, "admin": ALL},
    "archived": {"guest": HIDDEN, "member": ARCHIVED, "other_tier": ARCHIVED, "group_member": ARCHIVED,
                 "animator": ARCHIVED, "owner": ARCHIVED, "staff": ARCHIVED_TEAM, "admin": ARCHIVED_TEAM},
}


def expected(place: str, persona: str, action: str):
    if persona == "anonymous":
        return LOGIN
    return EXPECTED[place][persona][action]


def _world(place: str):
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
    }
    make_membership(tier=premium, user=people["member"])
    make_membership(tier=other, user=people["other_tier"])
    options = {
        "public": {}, "moderated": {"visibility": "moderated"}, "private": {"visibility": "private"},
        "tier": {"tiers": [premium]}, "archived": {"archived": True},
    }
    group = None
    if place != "community":
        group = make_group(f"Groupe {place}", owner=people["owner"], **options[place])
        add_to(group, people["group_member"])
        add_to(group, people["animator"], "animator")
    post = Post.objects.create(author=people["group_member"], group=group, kind="question", title="Une question",
                               body="Comment faire ?", body_html="<p>Comment faire ?</p>")
    answer = Comment.objects.create(post=post, author=people["animator"], body="Ainsi.", body_html="<p>Ainsi.</p>",
                                    edited_at=timezone.now())
    Revision.objects.create(comment=answer, editor=people["animator"], body="Avant.")
    spare = Comment.objects.create(post=post, author=people["animator"], body="Autre.", body_html="<p>Autre.</p>")
    Post.objects.filter(pk=post.pk).update(comment_count=2)
    return people, post, answer, spare


def _page(client, action: str, post: Post, answer: Comment, spare: Comment):
    base = f"/feed/posts/{post.pk}/"
    if action == "read":
        return client.get(base)
    if action == "react":
        return client.post(f"{base}react/", {"emoji": "like"})
    if action == "comment":
        return client.post(f"{base}comments/", {"body": "Mon avis"})
    if action == "edit":
        return client.post(f"{base}comments/{answer.pk}/edit/", {"body": "Ainsi, corrigé."})
    if action == "history":
        return client.get(f"{base}comments/{answer.pk}/history/")
    if action == "accept":
        return client.post(f"{base}answer/", {"comment": answer.pk})
    return client.post(f"{base}comments/{spare.pk}/delete/")


def _api(client, action: str, post: Post, answer: Comment, spare: Comment):
    base = f"/api/v1/posts/{post.pk}"
    if action == "read":
        return client.get(f"{base}/comments")
    if action == "react":
        return client.post(f"{base}/reactions", {"emoji": "like"}, content_type="application/json")
    if action == "comment":
        return client.post(f"{base}/comments", {"body": "Mon avis"}, content_type="application/json")
    if action == "edit":
        return client.patch(f"{base}/comments/{answer.pk}", {"body": "Ainsi, corrigé."},
                            content_type="application/json")
    if action == "accept":
        return client.put(f"{base}/answer", {"comment_id": answer.pk}, content_type="application/json")
    return client.delete(f"{base}/comments/{spare.pk}")


def _outcome(response, action: str, post: Post, answer: Comment, spare: Comment, user, *, api: bool = False):
    if not api and response.status_code == 302 and "/accounts/login/" in response["Location"]:
        return LOGIN
    if api and response.status_code == 401:
        return LOGIN
    if response.status_code not in (200, 201, 204, 302):
        return response.status_code
    post.refresh_from_db()
    answer.refresh_from_db()
    spare.refresh_from_db()
    if action == "read":
        if api:
            return "read" if [c["id"] for c in response.json()["results"]] == [answer.pk, spare.pk] else "empty"
        return "read" if b"Ainsi." in response.content and b"Comment faire" in response.content else "blank"
    if action == "react":
        return "reacted" if Reaction.objects.filter(user=user, post=post, emoji="like").exists() else "nothing"
    if action == "comment":
        return "commented" if Comment.objects.filter(author=user, body="Mon avis").exists() else "nothing"
    if action == "edit":
        return "edited" if answer.body == "Ainsi, corrigé." else "nothing"
    if action == "history":
        return "history" if b"Avant." in response.content else "blank"
    if action == "accept":
        return "accepted" if post.accepted_comment_id == answer.pk and post.solved_at else "nothing"
    return "deleted" if spare.deleted_at is not None else "nothing"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("place", PLACES)
def test_discussion_pages_follow_the_matrix(client, place, persona):
    people, post, answer, spare = _world(place)
    user = people.get(persona)
    if user is not None:
        client.force_login(user)
    got = {}
    for action in ACTIONS:
        response = _page(client, action, post, answer, spare)
        got[action] = _outcome(response, action, post, answer, spare, user)
    assert got == {action: expected(place, persona, action) for action in ACTIONS}


API_ACTIONS = ["read", "react", "comment", "edit", "accept", "delete"]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("place", PLACES)
def test_the_api_follows_the_same_matrix(client, place, persona):
    people, post, answer, spare = _world(place)
    user = people.get(persona)
    if user is not None:
        client.force_login(user)
    got = {}
    for action in API_ACTIONS:
        response = _api(client, action, post, answer, spare)
        got[action] = _outcome(response, action, post, answer, spare, user, api=True)
    assert got == {action: expected(place, persona, action) for action in API_ACTIONS}
