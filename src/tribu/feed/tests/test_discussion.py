"""The discussion page: a post with its comments, replies, reactions and accepted answer."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from tribu.feed import actions as post_actions
from tribu.feed.discussion import actions
from tribu.feed.models import Comment, Post
from tribu.groups.tests.conftest import add_to, make_group

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    """The pages in English (the community's default is French), whatever the catalogue holds."""
    client.cookies["tribu_language"] = "en"


@pytest.fixture
def club(anna, mia):
    group = make_group("Club photo", owner=anna)
    add_to(group, mia)
    return group


@pytest.fixture
def question(club, mia):
    return post_actions.create_post(mia, club, "Quel objectif pour les portraits ?", kind="question",
                                    title="Objectif portrait")


def test_the_post_page_shows_the_post_its_comments_and_replies_oldest_first(client, question, anna, mia):
    first = actions.create_comment(anna, question, "Un 85 mm **lumineux**.")
    actions.create_comment(mia, question, "Merci, et pour le budget ?", parent=first)
    actions.create_comment(anna, question, "Ou un 50 mm.")
    client.force_login(mia)
    response = client.get(reverse("feed:detail", args=[question.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Objectif portrait" in html
    assert "<strong>lumineux</strong>" in html
    assert html.index("85 mm") < html.index("pour le budget") < html.index("Ou un 50 mm")
    question.refresh_from_db()
    assert question.comment_count == 3
    assert Comment.objects.get(body="Merci, et pour le budget ?").parent == first
    assert Post.objects.get(pk=question.pk).last_activity_at >= first.created_at


def _seed(post, author, replier, n: int, *, replies_every: int = 3) -> list[Comment]:
    """``n`` comments (every third with a reply), each with a reaction."""
    from tribu.feed.models import Reaction

    made = []
    for i in range(n):
        made.append(actions.create_comment(author, post, f"Commentaire {i}"))
        if i % replies_every == 0:
            actions.create_comment(replier, post, f"Réponse {i}", parent=made[-1])
    Reaction.objects.bulk_create([Reaction(user=replier, comment=c, emoji="like") for c in made])
    return made


def _count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_the_page_runs_the_same_queries_for_5_and_100_comments(client, club, anna, mia, django_assert_num_queries):
    small = post_actions.create_post(mia, club, "Petite discussion")
    big = post_actions.create_post(mia, club, "Grande discussion")
    _seed(small, anna, mia, 5)
    _seed(big, anna, mia, 100)
    client.force_login(mia)
    client.get(reverse("feed:detail", args=[small.pk]))  # warm the per-process caches (community, rules)
    few, _ = _count_queries(client, reverse("feed:detail", args=[small.pk]))
    many, response = _count_queries(client, reverse("feed:detail", args=[big.pk]))
    assert few == many
    with django_assert_num_queries(few):
        client.get(reverse("feed:detail", args=[big.pk]))
    # Session, user, the post (group, author's name, tags, any attachment?), the viewer's groups, the
    # comments with their replies and every reaction count.
    assert few == 5
    html = response.content.decode()
    assert html.count('class="comment ') + html.count('class="comment"') >= 30
    assert "Show more comments" in html


def test_load_more_brings_the_next_comments_without_repeating_any(client, club, anna, mia):
    from tribu.feed.discussion.queries import PAGE_SIZE

    post = post_actions.create_post(mia, club, "Longue discussion")
    made = [actions.create_comment(anna, post, f"Numéro {i:03d}") for i in range(PAGE_SIZE + 5)]
    client.force_login(mia)
    first = client.get(reverse("feed:detail", args=[post.pk])).content.decode()
    assert "Numéro 000" in first and f"Numéro {PAGE_SIZE - 1:03d}" in first and f"Numéro {PAGE_SIZE:03d}" not in first
    more = client.get(reverse("feed:detail", args=[post.pk]), {"after": made[PAGE_SIZE - 1].pk},
                      headers={"HX-Request": "true"})
    text = more.content.decode()
    assert "<html" not in text
    assert f"Numéro {PAGE_SIZE:03d}" in text and f"Numéro {PAGE_SIZE + 4:03d}" in text
    assert f"Numéro {PAGE_SIZE - 1:03d}" not in text and "Show more comments" not in text
    # Without JavaScript, the link opens the page after the same comment.
    plain = client.get(reverse("feed:detail", args=[post.pk]), {"after": made[PAGE_SIZE - 1].pk})
    assert f"Numéro {PAGE_SIZE + 4:03d}" in plain.content.decode()


def test_a_reply_to_a_reply_joins_the_top_level_comment(club, anna, mia, question):
    top = actions.create_comment(anna, question, "Premier")
    reply = actions.create_comment(mia, question, "Réponse", parent=top)
    deeper = actions.create_comment(anna, question, "Réponse à la réponse", parent=reply)
    assert deeper.parent_id == top.pk


def test_a_deleted_comment_leaves_a_placeholder_only_when_it_has_replies(client, club, anna, mia, question):
    lonely = actions.create_comment(anna, question, "Seul")
    top = actions.create_comment(anna, question, "Avec réponse")
    actions.create_comment(mia, question, "Une réponse", parent=top)
    client.force_login(anna)
    assert client.post(reverse("feed:comment_delete", args=[question.pk, lonely.pk])).status_code == 302
    assert client.post(reverse("feed:comment_delete", args=[question.pk, top.pk])).status_code == 302
    html = client.get(reverse("feed:detail", args=[question.pk])).content.decode()
    assert "Seul" not in html and "Avec réponse" not in html
    assert html.count("This comment was deleted.") == 1 and "Une réponse" in html
    question.refresh_from_db()
    assert question.comment_count == 1


def test_editing_keeps_the_old_text_for_moderators_only(client, club, anna, mia, question):
    from tribu.core.models import Activity

    comment = actions.create_comment(mia, question, "Première version")
    client.force_login(mia)
    response = client.post(reverse("feed:comment_edit", args=[question.pk, comment.pk]), {"body": "Version corrigée"})
    assert response.status_code == 302
    html = client.get(reverse("feed:detail", args=[question.pk])).content.decode()
    assert "Version corrigée" in html and "edited" in html
    assert client.get(reverse("feed:comment_history", args=[question.pk, comment.pk])).status_code == 403
    client.force_login(anna)
    history = client.get(reverse("feed:comment_history", args=[question.pk, comment.pk])).content.decode()
    assert "Première version" in history and "Version corrigée" in history
    assert Activity.objects.filter(verb="comment.edited", actor=mia).exists()


def test_a_locked_discussion_refuses_new_comments_with_a_clear_message(client, club, anna, mia, question):
    Post.objects.filter(pk=question.pk).update(locked_at=timezone.now())
    client.force_login(mia)
    page = client.get(reverse("feed:detail", args=[question.pk])).content.decode()
    assert "This discussion is locked" in page and 'name="body"' not in page
    response = client.post(reverse("feed:comment", args=[question.pk]), {"body": "Encore un mot"})
    assert response.status_code == 403
    assert "This discussion is locked" in response.content.decode()
    assert not Comment.objects.filter(body="Encore un mot").exists()
    client.force_login(anna)  # the animator may still explain why
    assert client.post(reverse("feed:comment", args=[question.pk]), {"body": "Verrouillé, merci."}).status_code == 302


def test_the_author_accepts_an_answer_and_the_question_shows_as_solved(client, club, anna, mia, question):
    from tribu.core.models import Activity, Notification
    from tribu.core.notifications.kinds import render_text

    answer = actions.create_comment(anna, question, "Un 85 mm")
    client.force_login(mia)
    response = client.post(reverse("feed:accept", args=[question.pk]), {"comment": answer.pk})
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.accepted_comment_id == answer.pk and question.solved_at is not None
    html = client.get(reverse("feed:detail", args=[question.pk])).content.decode()
    assert "data-solved" in html and "Accepted answer" in html
    assert html.index(f'id="answer-{answer.pk}"') < html.index('id="comments"')
    note = Notification.objects.get(recipient=anna, kind="feed.answer_accepted")
    with translation.override("en"):
        assert render_text(note) == "Mia Membre accepted your answer to « Objectif portrait »."
    assert Activity.objects.filter(verb="answer.accepted", actor=mia).exists()
    client.post(reverse("feed:accept", args=[question.pk]), {"value": "0"})
    question.refresh_from_db()
    assert question.accepted_comment_id is None and question.solved_at is None


def test_the_accepted_answer_is_shown_in_full_once_at_the_top_and_named_in_the_thread(client, club, anna, mia,
                                                                                        question):
    actions.create_comment(mia, question, "Avant la réponse")
    answer = actions.create_comment(anna, question, "Un 85 mm ouvert à f/1.8")
    actions.create_comment(mia, question, "Merci, je le commande", parent=answer)
    actions.accept_answer(mia, question, answer)
    client.force_login(mia)
    html = client.get(reverse("feed:detail", args=[question.pk])).content.decode()
    assert html.count("Un 85 mm ouvert à f/1.8") == 1  # not repeated in the thread
    top, thread = html.index(f'id="answer-{answer.pk}"'), html.index(f'id="comment-{answer.pk}"')
    assert top < html.index('id="comments"') < thread
    assert html.index("Un 85 mm ouvert") < html.index('id="comments"')
    # At the top, a link to its place in the thread (with its replies); there, a link back up.
    assert f'href="#comment-{answer.pk}">See it in the thread</a>' in html[top:thread]
    assert f'href="#answer-{answer.pk}">Read it at the top of the page</a>' in html[thread:]
    assert "Merci, je le commande" in html[thread:]
    assert html.index("Avant la réponse") < thread
    assert html.count(f'id="reactions-comment-{answer.pk}"') == 1
    assert html.count("Unmark the answer") == 1


def test_an_accepted_answer_on_a_later_page_shows_at_the_top_without_a_link_to_the_thread(client, club, anna,
                                                                                          mia, question):
    from tribu.feed.discussion.queries import PAGE_SIZE

    made = [actions.create_comment(anna, question, f"Idée {i:03d}") for i in range(PAGE_SIZE + 3)]
    actions.accept_answer(mia, question, made[-1])
    client.force_login(mia)
    html = client.get(reverse("feed:detail", args=[question.pk])).content.decode()
    assert html.count(f"Idée {PAGE_SIZE + 2:03d}") == 1 and "See it in the thread" not in html
    assert f"Idée {PAGE_SIZE - 1:03d}" in html and f"Idée {PAGE_SIZE:03d}" not in html
    more = client.get(reverse("feed:detail", args=[question.pk]), {"after": made[PAGE_SIZE - 1].pk},
                      headers={"HX-Request": "true"}).content.decode()
    assert f"Idée {PAGE_SIZE:03d}" in more and "Read it at the top of the page" in more
    assert f"Idée {PAGE_SIZE + 2:03d}" not in more


def test_a_reply_cannot_be_the_accepted_answer(client, club, anna, mia, question):
    answer = actions.create_comment(anna, question, "Un 85 mm")
    thanks = actions.create_comment(mia, question, "Merci !", parent=answer)
    client.force_login(mia)
    html = client.get(reverse("feed:detail", args=[question.pk])).content.decode()
    assert html.count("Accept this answer") == 1
    response = client.post(reverse("feed:accept", args=[question.pk]), {"comment": thanks.pk})
    assert response.status_code == 400
    assert "not a reply to an answer" in response.content.decode()
    assert Post.objects.get(pk=question.pk).solved_at is None


def test_deleting_the_accepted_answer_reopens_the_question(club, anna, mia, question):
    answer = actions.create_comment(anna, question, "Un 85 mm")
    actions.accept_answer(mia, question, answer)
    actions.delete_comment(anna, answer)
    question.refresh_from_db()
    assert question.accepted_comment_id is None and question.solved_at is None


def test_someone_else_cannot_accept_an_answer(club, anna, mia, question):
    from django.core.exceptions import PermissionDenied

    from conftest import make_user

    other = make_user("otto@example.org", "member", "Otto")
    add_to(club, other)
    answer = actions.create_comment(anna, question, "Un 85 mm")
    with pytest.raises(PermissionDenied):
        actions.accept_answer(other, question, answer)
    actions.accept_answer(anna, question, answer)  # the group's animator may
    assert Post.objects.get(pk=question.pk).solved_at is not None


# --- reactions -------------------------------------------------------------------------------------


def test_a_reaction_toggles_in_place_and_counts(client, club, anna, mia, question):
    client.force_login(anna)
    url = reverse("feed:react", args=[question.pk])
    response = client.post(url, {"emoji": "like"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "<html" not in fragment and 'aria-pressed="true"' in fragment and "Like: 1, including you" in fragment
    question.refresh_from_db()
    assert question.reaction_count == 1
    response = client.post(url, {"emoji": "like"}, headers={"HX-Request": "true"})
    assert 'aria-pressed="true"' not in response.content.decode()
    question.refresh_from_db()
    assert question.reaction_count == 0
    comment = actions.create_comment(mia, question, "Un avis")
    response = client.post(url, {"emoji": "heart", "comment": comment.pk})
    assert response.status_code == 302 and response["Location"].endswith(f"#comment-{comment.pk}")
    comment.refresh_from_db()
    assert comment.reaction_count == 1


def test_an_unknown_emoji_is_a_clear_400(client, club, anna, question):
    client.force_login(anna)
    response = client.post(reverse("feed:react", args=[question.pk]), {"emoji": "poop"})
    assert response.status_code == 400
    assert "Choose one of the offered reactions." in response.content.decode()
    api = client.post(f"/api/v1/posts/{question.pk}/reactions", {"emoji": "<script>"}, content_type="application/json")
    assert api.status_code == 400 and api.json()["error"]["code"] == "unknown_emoji"
    assert not question.reactions.exists()


def test_reactions_are_grouped_in_one_notification(club, anna, mia, question):
    from conftest import make_user
    from tribu.core.models import Notification
    from tribu.core.notifications.kinds import render_text

    others = [make_user(f"m{i}@example.org", "member", f"Membre {i}") for i in range(3)]
    for user in others:
        add_to(club, user)
        actions.add_reaction(user, question, "like")
    actions.add_reaction(anna, question, "clap")
    note = Notification.objects.get(recipient=mia, kind="feed.reaction")
    assert note.count == 4
    with translation.override("en"):
        assert render_text(note) == "Anna Animatrice and 3 others reacted to your post « Objectif portrait »."


def test_the_card_include_shows_counts_to_readers_who_cannot_react(club, anna, question):
    from django.template.loader import render_to_string

    from conftest import make_user
    from tribu.feed.discussion.queries import reaction_summaries

    actions.add_reaction(anna, question, "like")
    outsider = make_user("out@example.org", "member", "Outsider")  # reads the public club, is not a member
    summary = reaction_summaries([question], outsider)[question.pk]
    assert not summary.can_react
    html = render_to_string("feed/discussion/_reactions.html", {"target": question, "summary": summary})
    assert "<form" not in html and "👍 1" in html


def test_reaction_summaries_take_one_query_for_a_whole_list(club, anna, mia, django_assert_num_queries):
    from tribu.feed.discussion.queries import reaction_summaries

    posts = [post_actions.create_post(mia, club, f"Post {i}") for i in range(10)]
    for post in posts[:5]:
        actions.add_reaction(anna, post, "like")
    with django_assert_num_queries(1):
        found = reaction_summaries(posts, anna)
    assert [found[p.pk].total for p in posts] == [1] * 5 + [0] * 5
    assert found[posts[0].pk].mine == {"like"}


# --- notifications ---------------------------------------------------------------------------------


def test_authors_are_told_of_comments_and_replies_once_each(club, anna, mia, question):
    from conftest import make_user
    from tribu.core.models import Notification
    from tribu.feed.text import mention_token

    otto = make_user("otto@example.org", "member", "Otto")
    add_to(club, otto)
    first = actions.create_comment(anna, question, "Un 85 mm")
    assert Notification.objects.get(recipient=mia).kind == "feed.comment"
    actions.create_comment(otto, question, f"D'accord avec {mention_token(anna)}", parent=first)
    # Anna is mentioned in a reply to her comment: one notification, the mention.
    assert list(Notification.objects.filter(recipient=anna, kind__startswith="feed.")
                .values_list("kind", flat=True)) == ["feed.comment_mention"]
    actions.create_comment(otto, question, "Et aussi", parent=first)
    assert Notification.objects.filter(recipient=anna, kind="feed.reply").count() == 1
    assert Notification.objects.filter(recipient=mia, kind="feed.comment").count() == 3


def test_a_mention_of_someone_who_cannot_see_the_post_stays_plain_and_silent(client, anna, mia):
    from conftest import make_user
    from tribu.core.models import Notification
    from tribu.feed.text import mention_token

    secret = make_group("Comité secret", visibility="private", owner=anna)
    add_to(secret, mia)
    outsider = make_user("out@example.org", "member", "Oscar Outsider")
    post = post_actions.create_post(mia, secret, "Ordre du jour")
    client.force_login(anna)
    response = client.post(reverse("feed:comment", args=[post.pk]),
                           {"body": f"Invitons {mention_token(outsider)} et {mention_token(mia)}"}, follow=True)
    html = response.content.decode()
    assert "Not told (they cannot see this post): Oscar Outsider." in html
    comment = Comment.objects.get(post=post)
    assert "@Oscar Outsider" in comment.body_html and f'/members/{outsider.pk}' not in comment.body_html
    assert not Notification.objects.filter(recipient=outsider).exists()
    assert Notification.objects.filter(recipient=mia, kind="feed.comment_mention").exists()


def test_muting_the_group_silences_its_discussions(club, anna, mia, question):
    from tribu.core.models import Notification
    from tribu.groups.models import GroupMembership

    GroupMembership.objects.filter(group=club, user=mia).update(notification_level="mute")
    actions.create_comment(anna, question, "Un 85 mm")
    actions.add_reaction(anna, question, "like")
    assert not Notification.objects.filter(recipient=mia).exists()


def test_every_act_is_recorded(club, anna, mia, question):
    from tribu.core.activity_text import describe
    from tribu.core.models import Activity
    from tribu.feed.text import mention_token

    comment = actions.create_comment(anna, question, f"Voir {mention_token(mia)}")
    actions.add_reaction(mia, comment, "thanks")
    actions.accept_answer(mia, question, comment)
    actions.edit_comment(anna, comment, "Voir plus haut")
    actions.delete_comment(anna, comment)
    verbs = list(Activity.objects.filter(verb__in=["comment.created", "mention", "reaction.added", "answer.accepted",
                                                    "comment.edited", "comment.deleted"])
                 .order_by("id").values_list("verb", flat=True))
    assert verbs == ["comment.created", "mention", "reaction.added", "answer.accepted", "comment.edited",
                     "comment.deleted"]
    created = Activity.objects.get(verb="comment.created")
    assert created.data["answer"] is True
    with translation.override("en"):
        assert describe(created) == "Anna Animatrice commented in Club photo"


def test_search_hears_of_new_changed_and_deleted_comments(monkeypatch, club, anna, question):
    from tribu.search import indexing

    seen = []
    monkeypatch.setattr(indexing, "index_later", lambda obj: seen.append(("index", obj._meta.label_lower, obj.pk)))
    monkeypatch.setattr(indexing, "remove_later", lambda obj: seen.append(("remove", obj._meta.label_lower, obj.pk)))
    comment = actions.create_comment(anna, question, "Premier")
    actions.edit_comment(anna, comment, "Premier, corrigé")
    actions.delete_comment(anna, comment)
    assert seen == [("index", "feed.comment", comment.pk)] * 2 + [("remove", "feed.comment", comment.pk)]


# --- bad input -------------------------------------------------------------------------------------


def test_the_xss_corpus_renders_inert_in_comments(client, club, anna, mia, question):
    from tribu.media.tests.xss import PAYLOADS, dangers

    client.force_login(anna)
    for payload in PAYLOADS:
        assert client.post(reverse("feed:comment", args=[question.pk]), {"body": payload}).status_code == 302
    page = client.get(reverse("feed:detail", args=[question.pk]))
    assert page.status_code == 200
    stored = list(Comment.objects.filter(post=question).values_list("body_html", flat=True))
    assert len(stored) == len(PAYLOADS)
    assert all(dangers(html) == [] for html in stored)
    assert "<script>alert" not in page.content.decode()
    api = client.get(f"/api/v1/posts/{question.pk}/comments").json()
    assert all(dangers(c["body_html"]) == [] for c in api["results"])


def test_a_huge_comment_is_refused_with_a_clear_message(client, club, anna, question):
    client.force_login(anna)
    too_long = client.post(reverse("feed:comment", args=[question.pk]), {"body": "x" * 20000})
    assert too_long.status_code == 400
    assert "Keep a comment under 10000 characters." in too_long.content.decode()
    five_mb = client.post(reverse("feed:comment", args=[question.pk]), {"body": "x" * (5 * 1024 * 1024)})
    assert five_mb.status_code == 413
    assert "far too long" in five_mb.content.decode()
    api = client.post(f"/api/v1/posts/{question.pk}/comments", {"body": "x" * (5 * 1024 * 1024)},
                      content_type="application/json")
    assert api.status_code == 413
    api = client.post(f"/api/v1/posts/{question.pk}/comments", {"body": "x" * 20000}, content_type="application/json")
    assert api.status_code == 422 and "10000" in api.json()["error"]["message"]
    assert not Comment.objects.exists()


def test_an_empty_comment_is_refused(client, club, anna, question):
    client.force_login(anna)
    response = client.post(reverse("feed:comment", args=[question.pk]), {"body": "   "})
    assert response.status_code == 400 and "Write something before sending your comment." in response.content.decode()


def test_a_comment_on_a_post_one_cannot_see_is_a_404(client, anna, mia):
    secret = make_group("Comité secret", visibility="private", owner=anna)
    post = post_actions.create_post(anna, secret, "Secret")
    client.force_login(mia)
    assert client.post(reverse("feed:comment", args=[post.pk]), {"body": "Coucou"}).status_code == 404
    assert client.get(f"/api/v1/posts/{post.pk}/comments").status_code == 404
    assert client.post(f"/api/v1/posts/{post.pk}/comments", {"body": "Coucou"},
                       content_type="application/json").status_code == 404
    assert client.get(reverse("feed:detail", args=[999999])).status_code == 404


def test_drafts_take_no_comments(client, club, mia, anna):
    draft = Post.objects.create(author=mia, group=club, body="Brouillon", body_html="<p>Brouillon</p>",
                                status="draft")
    client.force_login(mia)
    assert client.get(reverse("feed:detail", args=[draft.pk])).status_code == 200
    assert client.post(reverse("feed:comment", args=[draft.pk]), {"body": "Moi-même"}).status_code == 403
    client.force_login(anna)  # the animator moderates the place: sees the draft, cannot comment it
    assert client.post(reverse("feed:comment", args=[draft.pk]), {"body": "Moi"}).status_code == 403


# --- API -------------------------------------------------------------------------------------------


def test_the_api_lists_comments_with_replies_and_pages(client, club, anna, mia, question, settings):
    from tribu.feed.discussion import queries

    top = actions.create_comment(anna, question, "Premier")
    actions.create_comment(mia, question, "Réponse", parent=top)
    second = actions.create_comment(anna, question, "Deuxième")
    client.force_login(mia)
    data = client.get(f"/api/v1/posts/{question.pk}/comments").json()
    assert [c["body"] for c in data["results"]] == ["Premier", "Deuxième"]
    assert [r["body"] for r in data["results"][0]["replies"]] == ["Réponse"]
    assert data["next_after"] is None and data["comment_count"] == 3
    created = client.post(f"/api/v1/posts/{question.pk}/comments", {"body": "Et moi", "parent_id": second.pk},
                          content_type="application/json")
    assert created.status_code == 201 and created.json()["parent_id"] == second.pk
    reacted = client.post(f"/api/v1/posts/{question.pk}/comments/{top.pk}/reactions", {"emoji": "clap"},
                          content_type="application/json").json()
    assert reacted["counts"] == [{"emoji": "clap", "symbol": "👏", "count": 1, "mine": True}]
    gone = client.delete(f"/api/v1/posts/{question.pk}/comments/{top.pk}/reactions/clap").json()
    assert gone["total"] == 0
    accepted = client.put(f"/api/v1/posts/{question.pk}/answer", {"comment_id": top.pk},
                          content_type="application/json")
    assert accepted.json() == {"post_id": question.pk, "solved": True, "accepted_comment_id": top.pk}
    queries.PAGE_SIZE, old = 1, queries.PAGE_SIZE
    try:
        page = client.get(f"/api/v1/posts/{question.pk}/comments").json()
    finally:
        queries.PAGE_SIZE = old
    assert len(page["results"]) == 1 and page["next_after"] == top.pk
    rest = client.get(f"/api/v1/posts/{question.pk}/comments", {"after": top.pk}).json()
    assert [c["body"] for c in rest["results"]] == ["Deuxième"]


@pytest.mark.parametrize("who", ["reader", "member"])
def test_the_python_reactions_match_the_card_template(rf, club, anna, mia, question, who):
    """The discussion page writes reactions in Python (speed); feed cards include the template."""
    from django.middleware.csrf import get_token
    from django.template.loader import render_to_string

    from conftest import make_user
    from tribu.feed.discussion.queries import reaction_summaries
    from tribu.feed.discussion.render import reactions_html

    comment = actions.create_comment(anna, question, "Un avis")
    actions.add_reaction(anna, question, "like")
    actions.add_reaction(mia, comment, "idea")
    user = mia if who == "member" else make_user("out@example.org", "member", "Outsider")
    request = rf.get("/")
    request.user = user
    token = get_token(request)
    csrf_input = f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
    token_re = r'name="csrfmiddlewaretoken" value="[^"]+"'  # a fresh mask each time
    comment = Comment.objects.select_related("post__group").get(pk=comment.pk)
    for target, summaries in ((question, reaction_summaries([question], user)),
                              (comment, reaction_summaries([comment], user))):
        template = render_to_string("feed/discussion/_reactions.html",
                                    {"target": target, "summary": summaries[target.pk]}, request=request)
        mine = reactions_html(target, summaries[target.pk], csrf_input)
        assert re.sub(token_re, "TOKEN", mine) == re.sub(token_re, "TOKEN", template.strip())
