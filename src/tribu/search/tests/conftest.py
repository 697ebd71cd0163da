"""Factories for search tests: posts, comments, events and groups written straight to their tables,
then indexed with ``indexing.refresh`` (what ``index_later`` does after a commit)."""

from __future__ import annotations

from typing import Any

import pytest

from tribu.events.tests.conftest import english, make_event, oscar  # noqa: F401
from tribu.groups.tests.conftest import add_to, make_group
from tribu.memberships.tests.conftest import make_membership, make_tier  # noqa: F401


def make_post(author: Any, body: str, *, group: Any = None, title: str = "", tags: Any = (), index: bool = True,
              **extra: Any):
    from tribu.feed.models import Post, Tag
    from tribu.search.indexing import refresh

    post = Post.objects.create(author=author, group=group, body=body, title=title, **extra)
    for name in tags:
        post.tags.add(Tag.objects.get_or_create(name=name)[0])
    if index:
        refresh("post", [post.pk])
    return post


def make_comment(post: Any, author: Any, body: str, *, index: bool = True):
    from tribu.feed.models import Comment
    from tribu.search.indexing import refresh

    comment = Comment.objects.create(post=post, author=author, body=body)
    if index:
        refresh("comment", [comment.pk])
    return comment


def find(user: Any, q: str = "", **filters: Any):
    from tribu.search import queries

    data = {"q": q, **{k: str(v) for k, v in filters.items()}}
    return queries.search(user, queries.parse(data), page_size=50)


def titles(results: Any) -> set[str]:
    from html import unescape

    from django.utils.html import strip_tags

    return {unescape(strip_tags(str(h.title))) for h in results.hits}


@pytest.fixture
def places(db, anna, mia):
    """A public club, a moderated commission and a private committee, all owned by Anna; Mia belongs
    to the club only."""
    club = make_group("Club photo", owner=anna)
    commission = make_group("Commission numérique", visibility="moderated", owner=anna)
    secret = make_group("Comité secret", visibility="private", owner=anna)
    add_to(club, mia)
    return {"public": club, "moderated": commission, "private": secret}
