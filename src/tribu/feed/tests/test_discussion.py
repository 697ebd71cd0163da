"""The discussion page: a post with its comments, replies, reactions and accepted answer."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tribu.feed import actions as post_actions
from tribu.feed.discussion import actions
from tribu.feed.models import Comment, Post
from tribu.groups.tests.conftest import add_to, make_group

pytestmark = pytest.mark.django_db


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
