"""Feed cards are written in Python (``card_render``) for speed, on the home, tag and group feeds; the
template ``feed/_card.html`` stays the fallback: both must give the same markup for every kind of card
and viewer."""

from __future__ import annotations

import re

import pytest

from conftest import make_user
from tribu.feed import actions, card_render, queries
from tribu.feed.discussion import actions as discussion_actions
from tribu.feed.models import Post
from tribu.groups.tests.conftest import add_to, make_group

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def varied(alice, anna, mia):
    group = make_group("Club <public> & co", owner=anna)
    add_to(group, mia)
    long_body = "Un long texte <b>gras</b> & « guillemets » " * 40
    posts = [
        actions.create_post(anna, None, "Annonce épinglée #Accueil", title="Bienvenue à <tous>", tags="news"),
        actions.create_post(mia, group, "Une question sans titre ? " * 3, kind="question"),
        actions.create_post(anna, group, long_body, kind="article", title="Un article 'long'"),
        actions.create_post(mia, group, "Regardez ça", kind="link", link_url="https://example.org/?a=1&b=<2>"),
        actions.create_post(anna, group, "Discussion verrouillée et mise en avant"),
    ]
    actions.set_pinned(alice, posts[0], True)
    actions.set_featured(alice, posts[4], True)
    discussion_actions.add_reaction(mia, posts[4], "like")
    discussion_actions.add_reaction(anna, posts[4], "idea")
    actions.set_locked(alice, posts[4], True)
    actions.edit_post(anna, Post.objects.get(pk=posts[4].pk), body="Discussion verrouillée, modifiée")
    Post.objects.filter(pk=posts[1].pk).update(comment_count=3)
    return posts


@pytest.mark.parametrize("who", ["alice", "anna", "mia", "oscar"])
def test_the_python_cards_match_the_card_template(rf, varied, alice, anna, mia, who):
    from django.template.loader import render_to_string

    viewer = ({"alice": alice, "anna": anna, "mia": mia}.get(who)
              or make_user("o@example.org", "member", "Oscar O'Brien"))
    request = rf.get("/feed/", {"sort": "latest", "x": '"><script>'})
    request.user = viewer
    posts, _next = queries.home_feed(viewer)
    posts = queries.pinned_on_home(viewer) + posts
    assert posts
    queries.cards(posts, viewer)
    card_render.attach(posts, request)
    for post in posts:
        template = render_to_string("feed/_card.html", {"post": post}, request=request)
        assert TOKEN.sub("T", str(post.card_html)) == TOKEN.sub("T", template), post.pk
    assert "<script>" not in "".join(p.card_html for p in posts)


def test_the_home_page_shows_the_python_cards(client, varied, mia):
    client.force_login(mia)
    html = client.get("/feed/").content.decode()
    assert html.count('class="card feed-card') == len(varied)
    assert "Bienvenue à &lt;tous&gt;" in html and "Club &lt;public&gt; &amp; co" in html


def test_a_group_feed_shows_the_same_cards_as_the_template(client, rf, varied, mia):
    from django.template.loader import render_to_string

    group = varied[1].group
    client.force_login(mia)
    html = TOKEN.sub("T", client.get(f"/groups/{group.slug}/").content.decode())
    request = rf.get(f"/groups/{group.slug}/")
    request.user = mia
    shown = queries.cards(list(queries.group_posts(group)[:20]), mia)
    assert len(shown) == 4
    for post in shown:
        assert TOKEN.sub("T", render_to_string("feed/_card.html", {"post": post}, request=request)) in html, post.pk
