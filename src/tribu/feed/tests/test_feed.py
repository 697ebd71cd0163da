"""Posts end to end: who sees and does what where (pages and API), the home feed and its paging,
drafts and the scheduler, edits and history, mentions, tags and follows, welcome blocks, unanswered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from conftest import make_user
from tribu.core.models import Activity, Notification
from tribu.feed import actions, queries
from tribu.feed.models import Post, Revision, WelcomeBlock
from tribu.feed.text import group_token, mention_token
from tribu.groups.tests.conftest import add_to, make_group, make_tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def oscar(db):
    """Oscar is a member who belongs to no group."""
    return make_user("oscar@example.org", "member", "Oscar Outsider")


@pytest.fixture
def places(anna, mia):
    tier = make_tier("premium")
    result = {
        "public": make_group("Club public", owner=anna),
        "moderated": make_group("Club modéré", visibility="moderated", owner=anna),
        "private": make_group("Club privé", visibility="private", owner=anna),
        "tier": make_group("Club premium", owner=anna, tiers=[tier]),
    }
    for group in result.values():
        add_to(group, mia)
    return result


ROLES = ["alice", "bob", "anna", "mia", "gina", "oscar"]
#          view   post   edit   delete pin/lock/feature   (of Mia's post in each place)
EXPECTED = {
    "public": {"alice": "VPEDM", "bob": "VPEDM", "anna": "VPEDM", "mia": "VPED", "gina": "", "oscar": "V"},
    "moderated": {"alice": "VPEDM", "bob": "VPEDM", "anna": "VPEDM", "mia": "VPED", "gina": "", "oscar": ""},
    "private": {"alice": "VPEDM", "bob": "VPEDM", "anna": "VPEDM", "mia": "VPED", "gina": "", "oscar": ""},
    "tier": {"alice": "VPEDM", "bob": "VPEDM", "anna": "VPEDM", "mia": "VPED", "gina": "", "oscar": ""},
}


@pytest.mark.parametrize("place", ["public", "moderated", "private", "tier"])
def test_permission_matrix_over_posts_pages_and_api(client, place, places, alice, bob, anna, mia, gina, oscar):
    from tribu.feed import policies

    people = {"alice": alice, "bob": bob, "anna": anna, "mia": mia, "gina": gina, "oscar": oscar}
    group = places[place]
    post = actions.create_post(mia, group, "Le message de Mia #matrice", title="Le titre de Mia")
    for role in ROLES:
        user = people[role]
        expected = EXPECTED[place][role]
        post = Post.objects.select_related("group").get(pk=post.pk)
        from tribu.groups.policies import forget

        forget(user)
        assert policies.can_view(user, post) == ("V" in expected), role
        assert policies.can_post_in(user, group) == ("P" in expected), role
        assert policies.can_edit(user, post) == ("E" in expected), role
        assert policies.can_delete(user, post) == ("D" in expected), role
        for check in (policies.can_pin, policies.can_lock, policies.can_feature):
            assert check(user, post) == ("M" in expected), (role, check)
        client.force_login(user)
        api = client.get(f"/api/v1/posts/{post.pk}")
        assert api.status_code == (200 if "V" in expected else 404), role
        listed = {p["id"] for p in client.get("/api/v1/posts?scope=all&size=50").json()["results"]}
        assert (post.pk in listed) == ("V" in expected), role
        home = client.get("/feed/").content.decode()
        assert ("Le titre de Mia" in home) == ("V" in expected and role in {"mia", "anna"}), role
        tag = client.get("/feed/tags/matrice/").content.decode()
        assert ("Le titre de Mia" in tag) == ("V" in expected), role
        pin = client.post(f"/api/v1/posts/{post.pk}/pin", {"value": True}, content_type="application/json")
        assert pin.status_code == (200 if "M" in expected else 403 if "V" in expected else 404), role
        edited = client.patch(f"/api/v1/posts/{post.pk}", {"body": f"Modifié par {role}"},
                              content_type="application/json")
        assert edited.status_code == (200 if "E" in expected else 403 if "V" in expected else 404), role
        page_pin = client.post(f"/feed/posts/{post.pk}/lock/", {"value": "1"})
        assert page_pin.status_code == (302 if "M" in expected else 403 if "V" in expected else 404), role
        actions.set_pinned(alice, post, False)
        actions.set_locked(alice, post, False)


def test_the_author_and_moderators_delete_others_get_refused_and_a_deleted_post_is_gone(client, places, mia, oscar,
                                                                                          anna):
    group = places["public"]
    post = actions.create_post(mia, group, "À supprimer")
    client.force_login(oscar)
    assert client.delete(f"/api/v1/posts/{post.pk}").status_code == 403
    assert client.post(f"/feed/posts/{post.pk}/delete/").status_code == 403
    client.force_login(anna)
    assert client.delete(f"/api/v1/posts/{post.pk}").status_code == 204
    post.refresh_from_db()
    assert post.deleted_at is not None
    assert client.get(f"/api/v1/posts/{post.pk}").status_code == 404
    assert "À supprimer" not in client.get(f"/groups/{group.slug}/").content.decode()
    assert Activity.objects.filter(verb="post.deleted", actor=anna).exists()


# --- kinds and bad input ---------------------------------------------------------------------------


def test_announcements_are_for_the_team_and_animators_a_member_gets_403(client, places, mia, anna, alice):
    client.force_login(mia)
    refused = client.post("/api/v1/posts", {"body": "Annonce", "kind": "announcement"}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["error"]["message"]
    page = client.post("/feed/compose/", {"place": "", "kind": "announcement", "body": "Annonce", "action": "publish"})
    assert page.status_code in (400, 403) and not Post.objects.filter(kind="announcement").exists()
    client.force_login(anna)
    group = places["public"]
    made = client.post("/api/v1/posts", {"body": "Annonce du club", "kind": "announcement", "group_id": group.pk},
                       content_type="application/json")
    assert made.status_code == 201
    with pytest.raises(PermissionDenied):
        actions.create_post(anna, None, "Annonce générale", kind="announcement")
    assert actions.create_post(alice, None, "Annonce générale", kind="announcement").kind == "announcement"


def test_articles_need_a_title_links_a_web_address_and_bad_input_is_a_clear_4xx(client, mia):
    client.force_login(mia)
    no_title = client.post("/api/v1/posts", {"body": "Long texte", "kind": "article"}, content_type="application/json")
    assert no_title.status_code == 422 and "title" in no_title.json()["error"]["details"]
    bad_link = client.post("/api/v1/posts", {"body": "Voyez", "kind": "link", "link_url": "javascript:alert(1)"},
                           content_type="application/json")
    assert bad_link.status_code == 422 and "link_url" in bad_link.json()["error"]["details"]
    huge = "x" * (actions.MAX_BODY + 1)
    api = client.post("/api/v1/posts", {"body": huge}, content_type="application/json")
    assert api.status_code == 422
    page = client.post("/feed/compose/", {"place": "", "kind": "discussion", "body": huge, "action": "publish"})
    assert page.status_code == 400 and "20000" in page.content.decode().replace("\u202f", "").replace(" ", "")
    five_mb = client.post("/feed/compose/", {"place": "", "kind": "discussion", "body": "y" * 5_000_000})
    assert five_mb.status_code == 400 and "20000" in five_mb.content.decode()
    over_limit = client.post("/feed/compose/", {"place": "", "kind": "discussion", "body": "y" * 6_000_000})
    assert over_limit.status_code in (400, 413)
    past = client.post("/api/v1/posts", {"body": "Plus tard", "status": "scheduled",
                                         "publish_at": (timezone.now() - timedelta(hours=1)).isoformat()},
                       content_type="application/json")
    assert past.status_code == 422 and "publish_at" in past.json()["error"]["details"]
    assert not Post.objects.exists()


XSS = [
    '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '[clic](javascript:alert(1))',
    '<a href="javascript:alert(1)">x</a>', '<svg onload=alert(1)>', '"><iframe src=//evil.example>',
]


def test_xss_in_body_title_and_link_renders_inert_on_the_feed(client, mia):
    for i, payload in enumerate(XSS):
        actions.create_post(mia, None, f"Corps {i} {payload}", title=f"Titre {payload}"[:200], kind="link",
                            link_url="https://example.org/?q=%3Cscript%3E")
    client.force_login(mia)
    html = client.get("/feed/").content.decode()
    import re

    assert "<script>alert" not in html and not re.search(r"<[^>]+ on(error|load)=", html)
    assert 'href="javascript:' not in html and "<svg onload" not in html and "<iframe src=//evil" not in html
    assert "Titre &lt;img src=x onerror=alert(1)&gt;" in html  # shown as text


# --- drafts, schedule, edits -----------------------------------------------------------------------


def test_a_draft_is_seen_by_its_author_only_until_published(client, mia, oscar):
    client.force_login(mia)
    response = client.post("/feed/compose/", {"place": "", "kind": "question", "title": "Brouillon",
                                              "body": "Pas encore", "action": "draft"})
    assert response.status_code == 302 and response["Location"] == "/feed/drafts/"
    draft = Post.objects.get(title="Brouillon")
    assert draft.status == "draft" and draft.published_at is None
    assert "Brouillon" in client.get("/feed/drafts/").content.decode()
    assert "Brouillon" not in client.get("/feed/").content.decode()
    client.force_login(oscar)
    assert client.get(f"/api/v1/posts/{draft.pk}").status_code == 404
    assert "Brouillon" not in client.get("/feed/").content.decode()
    client.force_login(mia)
    assert client.post(f"/feed/posts/{draft.pk}/publish/").status_code == 302
    client.force_login(oscar)
    assert "Brouillon" in client.get("/feed/").content.decode()
    assert Activity.objects.filter(verb="post.published", actor=mia).count() == 1


def test_the_scheduler_publishes_a_due_post_once_even_when_run_twice(mia, anna, places):
    group = places["public"]
    soon = timezone.now() + timedelta(minutes=5)
    post = actions.create_post(anna, group, f"Plus tard {mention_token(mia)}", status="scheduled", publish_at=soon)
    assert post.status == "scheduled" and not Notification.objects.filter(recipient=mia).exists()
    assert actions.publish_due() == 0
    later = soon + timedelta(seconds=1)
    assert actions.publish_due(now=later) == 1
    assert actions.publish_due(now=later) == 0
    post.refresh_from_db()
    assert post.status == "published" and post.published_at == soon
    assert Notification.objects.filter(recipient=mia, kind="feed.mention").count() == 1
    assert Activity.objects.filter(verb="post.published").count() == 1
    from tribu.feed.jobs import publish_scheduled

    assert publish_scheduled() == {"published": 0}


def test_an_edit_keeps_a_revision_for_moderators_only(client, places, mia, anna, oscar):
    group = places["public"]
    post = actions.create_post(mia, group, "Première version")
    client.force_login(mia)
    response = client.post(f"/feed/posts/{post.pk}/edit/", {"kind": "discussion", "body": "Seconde version",
                                                            "title": "", "tags": ""})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.body == "Seconde version" and post.edited_at is not None
    assert Revision.objects.get(post=post).body == "Première version"
    assert client.get(f"/feed/posts/{post.pk}/history/").status_code == 403
    client.force_login(oscar)
    assert client.get(f"/feed/posts/{post.pk}/edit/").status_code == 403
    client.force_login(anna)
    history = client.get(f"/feed/posts/{post.pk}/history/")
    assert history.status_code == 200 and "Première version" in history.content.decode()


# --- mentions, tags, follows -----------------------------------------------------------------------


def test_a_private_group_member_mentioned_from_outside_is_neutralised_with_a_message(client, places, anna, mia,
                                                                                     oscar):
    group = places["private"]
    client.force_login(anna)
    response = client.post("/feed/compose/", {"place": str(group.pk), "kind": "discussion", "action": "publish",
                                              "body": f"Bonjour {mention_token(oscar)} et {mention_token(mia)}"},
                           follow=True)
    assert "Oscar Outsider" in response.content.decode() and "message-warning" in response.content.decode()
    post = Post.objects.get(group=group, kind="discussion")
    assert list(post.mentions.all()) == [mia]
    assert not Notification.objects.filter(recipient=oscar).exists()
    assert f"/profile/{oscar.pk}" not in post.body_html and "@Oscar Outsider" in post.body_html


def test_mention_suggestions_only_offer_people_who_can_see_the_place(client, places, anna, mia, oscar):
    client.force_login(anna)
    private = places["private"]
    found = client.get(f"/feed/mentions/?q=O&group={private.pk}").json()
    assert all(item["id"] != oscar.pk for item in found)
    everyone = client.get("/feed/mentions/?q=Osc").json()
    assert everyone[0]["token"] == mention_token(oscar) and set(everyone[0]) >= {"id", "name", "token", "avatar"}
    client.force_login(oscar)
    assert client.get(f"/feed/mentions/?q=M&group={private.pk}").status_code == 404


def test_group_mentions_are_for_animators_and_notify_the_members(places, anna, mia, oscar):
    group = places["public"]
    add_to(group, oscar)
    from tribu.groups.models import GroupMembership

    GroupMembership.objects.filter(group=group, user=oscar).update(notification_level="mute")
    actions.create_post(anna, None, f"Rendez-vous {group_token(group)} !")
    assert Notification.objects.filter(recipient=mia, kind="feed.group_mention").count() == 1
    assert not Notification.objects.filter(recipient=oscar, kind="feed.group_mention").exists()
    post = actions.create_post(mia, None, f"Moi aussi {group_token(group)}")
    assert post._unreached == [group.name]
    assert Notification.objects.filter(kind="feed.group_mention").count() == 1


def test_tags_and_follows_bring_posts_to_the_home_feed(client, places, anna, oscar, mia):
    group = places["public"]  # Oscar is not a member
    actions.create_post(anna, group, "Sortie photo #Photo #paysage", tags="nature")
    actions.create_post(mia, group, "Le billet de Mia")
    client.force_login(oscar)
    assert "Sortie photo" not in client.get("/feed/").content.decode()
    client.post("/feed/tags/photo/follow/", {"follow": "1"})
    assert client.post("/api/v1/follows", {"user_id": mia.pk}, content_type="application/json").json() == {
        "following": True}
    home = client.get("/feed/").content.decode()
    assert "Sortie photo" in home and "Le billet de Mia" in home
    post = Post.objects.get(body__startswith="Sortie")
    assert sorted(t.name for t in post.tags.all()) == ["nature", "paysage", "photo"]
    client.post("/feed/tags/photo/follow/", {"follow": "0"})
    assert "Sortie photo" not in client.get("/feed/").content.decode()


def test_the_home_feed_leaves_other_newcomers_welcomes_to_their_group_but_shows_mine(client, places, mia, oscar):
    from tribu.groups.actions import join_group

    group = places["public"]
    join_group(oscar, group)
    actions.create_post(mia, group, "Une vraie discussion")
    client.force_login(mia)
    home = client.get("/feed/").content.decode()
    assert "Une vraie discussion" in home and "Oscar Outsider" not in home
    assert "Oscar Outsider" in client.get(f"/groups/{group.slug}/").content.decode()
    client.force_login(oscar)
    assert "Oscar Outsider" in client.get("/feed/").content.decode()


# --- the home feed ---------------------------------------------------------------------------------


def _fill(author, group, n):
    for i in range(n):
        post = actions.create_post(author, group, f"Message numéro {i} #lot", kind="question" if i % 2 else "link",
                                   link_url="https://example.org/" if not i % 2 else "")
        Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - timedelta(minutes=n - i))


def _count(client, django_assert_num_queries, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_home_feed_and_tag_page_run_the_same_number_of_queries_for_5_and_30_posts(client, places, mia, anna,
                                                                                    django_assert_num_queries):
    group = places["public"]
    _fill(anna, group, 5)
    client.force_login(mia)
    client.get("/feed/")  # warm the caches (content types, tier rules) like any running server
    client.get("/feed/tags/lot/")
    home, tag = _count(client, None, "/feed/"), _count(client, None, "/feed/tags/lot/")
    _fill(anna, group, 25)
    with django_assert_num_queries(home):
        client.get("/feed/")
    with django_assert_num_queries(tag):
        client.get("/feed/tags/lot/")
    assert home <= 11 and tag <= 12  # user, groups, tiers, feed, tags, pinned, reactions, links, files, follows, unread


def test_keyset_paging_walks_every_post_once_in_order(client, places, mia, anna):
    group = places["public"]
    _fill(anna, group, 45)
    client.force_login(mia)
    seen, url = [], "/api/v1/posts?size=20"
    while url:
        page = client.get(url).json()
        seen += [p["id"] for p in page["results"]]
        url = f"/api/v1/posts?size=20&cursor={page['next_cursor']}" if page["next_cursor"] else None
    assert len(seen) == len(set(seen)) == 45
    first = client.get("/feed/").content.decode()
    assert "Older posts" in first or "Publications plus anciennes" in first
    cursor = queries.Cursor.decode(client.get("/api/v1/posts?size=20").json()["next_cursor"])
    second = client.get(f"/feed/?before={cursor.encode()}", HTTP_HX_REQUEST="true")
    assert second.status_code == 200 and "<html" not in second.content.decode()
    assert client.get("/api/v1/posts?cursor=nonsense").status_code == 422
    assert client.get("/feed/?before=nonsense").status_code == 200


def test_pinned_community_posts_lead_and_solved_questions_show_solved(client, alice, mia):
    old = actions.create_post(alice, None, "Règles de la communauté")
    actions.create_post(mia, None, "Une question ?", kind="question")
    actions.set_pinned(alice, old, True)
    Post.objects.filter(kind="question").update(solved_at=timezone.now())
    client.force_login(mia)
    html = client.get("/feed/").content.decode()
    assert html.index("Règles de la communauté") < html.index("Une question ?")
    assert "feed-badge-solved" in html


def test_welcome_blocks_follow_their_audience(client, alice, mia, oscar, places):
    actions.save_welcome_block(alice, None, title="Bonjour à tous", body="Tout le monde")
    actions.save_welcome_block(alice, None, title="Pour le club", body="Club", audience="group", group=places["public"])
    actions.save_welcome_block(alice, None, title="Nouveaux", body="Bienvenue", audience="new_members",
                               new_member_days=7)
    from tribu.accounts.models import User

    User.objects.filter(pk=oscar.pk).update(date_joined=timezone.now() - timedelta(days=30))
    with pytest.raises(ValidationError):
        actions.save_welcome_block(alice, None, title="Sans formule", body="x", audience="tier")
    with pytest.raises(PermissionDenied):
        actions.save_welcome_block(mia, None, title="Pirate", body="x")
    client.force_login(mia)
    mine = client.get("/feed/").content.decode()
    assert "Bonjour à tous" in mine and "Pour le club" in mine and "Nouveaux" in mine
    client.force_login(oscar)
    his = client.get("/feed/").content.decode()
    assert "Bonjour à tous" in his and "Pour le club" not in his and "Nouveaux" not in his
    assert client.get("/feed/manage/welcome/").status_code == 403
    client.force_login(alice)
    assert client.get("/feed/manage/welcome/").status_code == 200
    assert client.post("/feed/manage/welcome/", {"title": "", "body": "x", "audience": "everyone",
                                                 "new_member_days": 30, "position": 0}).status_code == 400
    assert WelcomeBlock.objects.count() == 3


def test_the_unanswered_view_lists_old_questions_without_reply_for_animators(client, places, anna, mia, oscar):
    group = places["public"]
    old = actions.create_post(mia, group, "Qui sait ?", kind="question", title="Question ancienne")
    recent = actions.create_post(mia, group, "Et ça ?", kind="question", title="Question récente")
    Post.objects.filter(pk=old.pk).update(published_at=timezone.now() - timedelta(hours=30))
    client.force_login(oscar)
    assert client.get("/feed/unanswered/").status_code == 403
    client.force_login(anna)
    html = client.get("/feed/unanswered/").content.decode()
    assert "Question ancienne" in html and "Question récente" not in html
    Post.objects.filter(pk=recent.pk).update(published_at=timezone.now() - timedelta(hours=7))
    assert "Question récente" in client.get("/feed/unanswered/?hours=6").content.decode()
    Post.objects.filter(pk=old.pk).update(comment_count=1)
    assert "Question ancienne" not in client.get("/feed/unanswered/").content.decode()


def test_the_composer_page_renders_with_the_places_the_member_may_post_in(client, places, mia, gina):
    client.force_login(mia)
    html = client.get(f"/feed/compose/?group={places['public'].pk}").content.decode()
    assert "Club public" in html and "Club privé" in html and 'value="announcement"' not in html
    client.force_login(gina)
    assert client.get("/feed/compose/").status_code == 403
    assert client.get("/feed/").status_code == 200


def test_a_card_offers_to_follow_its_author_and_the_button_follows(client, anna, mia, oscar, places):
    group = places["public"]
    actions.create_post(anna, group, "Une sortie au lac")
    client.force_login(oscar)
    assert "Une sortie au lac" not in client.get("/feed/").content.decode()
    tag_page = client.get("/feed/tags/lac/")
    assert tag_page.status_code == 404  # no such tag yet
    client.force_login(mia)
    page = client.get("/feed/").content.decode()
    assert f"/feed/members/{anna.pk}/follow/" in page and f"/feed/members/{mia.pk}/follow/" not in page
    client.force_login(oscar)
    response = client.post(f"/feed/members/{anna.pk}/follow/", {"follow": "1", "next": "/feed/"})
    assert response.status_code == 302 and response["Location"] == "/feed/"
    assert "Une sortie au lac" in client.get("/feed/").content.decode()
    assert client.post(f"/feed/members/{oscar.pk}/follow/", {"follow": "1"}).status_code == 302  # refused, told
    from tribu.feed.models import Follow

    assert not Follow.objects.filter(follower=oscar, user=oscar).exists()


def test_followed_tags_reach_past_newer_tagged_posts_the_member_may_not_read(client, places, anna, oscar):
    """The followed tags bring the newest candidates only (a small LIMIT): unreadable or pinned ones
    must not take their places, and paging walks on to the older ones."""
    readable = [actions.create_post(anna, places["public"], f"Sortie lisible {i} #photo") for i in range(4)]
    hidden = [actions.create_post(anna, places["private"], f"Sortie privée {i} #photo") for i in range(6)]
    for age, post in enumerate(reversed(readable + hidden)):  # the private ones are the newest
        Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - timedelta(minutes=age + 1))
    actions.follow_tag(oscar, "photo")
    first, cursor = queries.home_feed(oscar, size=2)
    second, cursor_2 = queries.home_feed(oscar, size=2, cursor=queries.Cursor.decode(cursor))
    assert [p.pk for p in first + second] == [p.pk for p in reversed(readable)]
    assert cursor_2 is None  # nothing older to read
    client.force_login(oscar)
    home = client.get("/feed/").content.decode()
    assert "Sortie lisible 0" in home and "Sortie privée" not in home
