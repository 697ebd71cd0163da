"""Pages: bounded queries on the lists, members search and export, my groups, administration, breadcrumbs,
pinning and deleting posts, the join-request flow from the notification."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tribu.feed.actions import create_post
from tribu.feed.models import Post
from tribu.groups.models import Group, GroupMembership, GroupType

from .conftest import add_to, make_group

pytestmark = pytest.mark.django_db


def _queries(client, url) -> int:
    client.get(url)  # warm the caches every page shares (community, session)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _tree(owner, n: int, depth: int, prefix: str):
    club_type = GroupType.objects.get_or_create(name_fr="Club", name_en="Club")[0]
    for i in range(n):
        parent = None
        for level in range(depth):
            parent = make_group(f"{prefix} {i}-{level}", parent=parent, owner=owner if level == 0 else None,
                                type=club_type, visibility=["public", "moderated", "private"][level % 3])


def test_the_directory_runs_the_same_queries_whatever_the_number_and_depth_of_groups(client, mia, anna):
    client.force_login(mia)
    _tree(anna, 2, 1, "A")
    few = _queries(client, "/groups/")
    _tree(anna, 10, 4, "B")
    add_to(Group.objects.get(name="B 3-2"), mia)
    many = _queries(client, "/groups/?type=" + str(GroupType.objects.get().pk))
    assert many == few
    assert few <= 10


def test_the_group_page_runs_the_same_queries_whatever_its_depth_and_number_of_posts(client, mia, anna):
    client.force_login(mia)
    top = make_group("Top", owner=anna)
    first = make_group("Niveau 0", parent=top)
    add_to(first, mia)
    create_post(mia, first, "Un")
    shallow = _queries(client, f"/groups/{first.slug}/")
    node = first
    for level in range(1, 6):
        node = make_group(f"Niveau {level}", parent=node)
    add_to(node, mia)
    for i in range(25):
        create_post(mia, node, f"Message {i} @[Anna](user:{anna.pk})")
    deep = _queries(client, f"/groups/{node.slug}/")
    assert deep == shallow
    page = client.get(f"/groups/{node.slug}/")
    crumbs = page.content.decode().split('class="breadcrumbs"')[1].split("</nav>")[0]
    assert crumbs.index("Top") < crumbs.index("Niveau 0") < crumbs.index("Niveau 4") < crumbs.index("Niveau 5")
    assert 'aria-current="page">Niveau 5' in crumbs
    with_subgroups = client.get(f"/groups/{top.slug}/?sub=1").content.decode()
    assert "Message 24" in with_subgroups


def test_members_search_and_the_csv_export_for_animators_only(client, club, anna, mia, bob):
    add_to(club, mia)
    add_to(club, bob)
    client.force_login(mia)
    assert b"Bob Staff" in client.get(f"/groups/{club.slug}/members/").content
    assert client.get(f"/groups/{club.slug}/members.csv").status_code == 403
    found = client.get(f"/groups/{club.slug}/members/?q=mia").content.decode()
    assert "Mia Membre" in found and "Bob Staff" not in found
    client.force_login(anna)
    export = client.get(f"/groups/{club.slug}/members.csv")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    lines = export.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 4 and any("mia@example.org" in line for line in lines)


def test_the_members_tab_runs_the_same_queries_whatever_the_number_of_members(client, club, anna):
    from conftest import make_user

    client.force_login(anna)
    few = _queries(client, f"/groups/{club.slug}/members/")
    for i in range(30):
        add_to(club, make_user(f"m{i}@example.org", "member", f"Membre {i}"))
    assert _queries(client, f"/groups/{club.slug}/members/") == few


def test_animators_pin_and_delete_posts_members_cannot(client, club, anna, mia):
    add_to(club, mia)
    post = create_post(mia, club, "Mon message")
    other = create_post(anna, club, "Message Anna")
    client.force_login(mia)
    assert client.post(f"/feed/posts/{other.pk}/pin/", {"pinned": "1"}).status_code == 403
    assert client.post(f"/feed/posts/{other.pk}/delete/").status_code == 403
    client.force_login(anna)
    assert client.post(f"/feed/posts/{post.pk}/pin/", {"pinned": "1"}).status_code == 302
    page = client.get(f"/groups/{club.slug}/").content.decode()
    assert page.index("Mon message") < page.index("Message Anna")  # pinned first, although older
    assert client.post(f"/feed/posts/{post.pk}/delete/").status_code == 302
    assert Post.objects.get(pk=post.pk).deleted_at is not None  # soft delete: gone from the feed
    assert "Mon message" not in client.get(f"/groups/{club.slug}/").content.decode()


def test_a_post_is_markdown_sanitised(client, club, anna):
    client.force_login(anna)
    client.post(f"/feed/groups/{club.slug}/posts/", {"body": "**gras** <script>alert(1)</script>"})
    post = Post.objects.get(group=club, kind="discussion")
    assert "<strong>gras</strong>" in post.body_html and "<script>" not in post.body_html
    assert client.post(f"/feed/groups/{club.slug}/posts/", {"body": "   "}).status_code == 400


def test_my_groups_sets_the_notification_level_and_leaves_in_one_click(client, club, mia):
    add_to(club, mia)
    client.force_login(mia)
    page = client.get("/groups/mine/")
    assert page.status_code == 200 and b"Club photo" in page.content
    client.post(f"/groups/{club.slug}/notifications/", {"level": "mute", "next": "mine"})
    assert GroupMembership.objects.get(group=club, user=mia).notification_level == "mute"
    assert client.post(f"/groups/{club.slug}/notifications/", {"level": "loud"}).status_code == 400
    client.post(f"/groups/{club.slug}/leave/", {"next": "mine"})
    assert not GroupMembership.objects.filter(group=club, user=mia).exists()


def test_the_administration_manages_types_policy_proposals_and_sees_archived_groups(client, alice, mia, anna):
    archived = make_group("Ancien club", owner=anna, archived=True)
    client.force_login(mia)
    assert client.get("/groups/manage/").status_code == 403
    client.force_login(alice)
    page = client.get("/groups/manage/")
    assert page.status_code == 200 and archived.name.encode() in page.content
    response = client.post("/groups/manage/types/", {"name_fr": "Commission", "name_en": "Commission",
                                                     "icon": "gavel", "colour": "#aa3300", "position": 1})
    assert response.status_code == 302
    assert b"--type-colour:#aa3300" in client.get("/groups/types.css").content
    assert client.post("/groups/manage/policy/", {"mode": "approval"}).status_code == 302
    client.force_login(mia)
    assert client.post("/groups/new/", {"name": "Club lecture", "visibility": "public",
                                        "purpose": "Lire ensemble"}).status_code == 302
    client.force_login(alice)
    proposal_id = client.get("/groups/manage/").context["proposals"][0].pk
    assert client.post(f"/groups/manage/proposals/{proposal_id}/", {"decision": "approve"}).status_code == 302
    assert GroupMembership.objects.get(group__name="Club lecture", user=mia).role == "owner"


def test_the_animator_approves_from_the_notification_and_the_member_sees_the_welcome(client, commission, mia, anna):
    client.force_login(mia)
    form = client.get(f"/groups/{commission.slug}/join/")
    assert b"Pourquoi voulez-vous rejoindre" in form.content
    assert client.post(f"/groups/{commission.slug}/join/", {}).status_code == 400
    assert client.post(f"/groups/{commission.slug}/join/", {"answer_0": "Je code"}).status_code == 302
    client.force_login(anna)
    notification = anna.notifications.get(kind="groups.join_request")
    opened = client.post(f"/notifications/{notification.pk}/open/")
    requests_page = client.get(opened["Location"])
    assert b"Je code" in requests_page.content
    request_id = requests_page.context["rows"][0].pk
    client.post(f"/groups/{commission.slug}/requests/{request_id}/", {"decision": "approve", "message": "Bienvenue"})
    client.force_login(mia)
    page = client.get(f"/groups/{commission.slug}/").content.decode()
    assert f'href="/profile/{mia.pk}/" rel="noopener noreferrer nofollow">@Mia Membre</a>' in page


def test_a_private_group_is_a_404_for_outsiders_on_every_url(client, secret, mia):
    client.force_login(mia)
    for url in ["", "members/", "about/", "join/", "edit/", "requests/", "invite/", "rules/", "members.csv"]:
        assert client.get(f"/groups/{secret.slug}/{url}").status_code == 404, url
    assert client.post(f"/feed/groups/{secret.slug}/posts/", {"body": "x"}).status_code == 404
    assert client.get("/groups/nope/").status_code == 404
