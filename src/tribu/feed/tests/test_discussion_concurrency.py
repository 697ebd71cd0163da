"""Races on PostgreSQL: threads with their own connections react and comment on the same post at once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tribu.feed.discussion import actions
from tribu.feed.models import Comment, Post, Reaction
from tribu.groups.policies import forget
from tribu.groups.tests.conftest import add_to, make_group

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"),
]


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as error:
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _fresh(model, pk):
    obj = model.objects.get(pk=pk)
    if hasattr(obj, "is_authenticated"):
        forget(obj)
    return obj


def _post(anna, mia):
    group = make_group("Club", owner=anna)
    add_to(group, mia)
    return Post.objects.create(author=anna, group=group, kind="question", body="Q ?", body_html="<p>Q ?</p>")


def test_two_identical_reactions_at_once_make_one_row_and_count_once(anna, mia):
    post = _post(anna, mia)
    results = _race(*[lambda: actions.add_reaction(_fresh(type(mia), mia.pk),
                                                   Post.objects.select_related("group").get(pk=post.pk), "like")
                      for _ in range(4)])
    assert sorted(results, key=str) == [False, False, False, True]
    assert Reaction.objects.filter(post=post, user=mia).count() == 1
    assert Post.objects.get(pk=post.pk).reaction_count == 1


def test_comments_at_once_are_all_counted(anna, mia):
    post = _post(anna, mia)
    results = _race(*[lambda i=i: actions.create_comment(_fresh(type(mia), mia.pk),
                                                         Post.objects.select_related("group").get(pk=post.pk),
                                                         f"Réponse {i}")
                      for i in range(4)])
    assert all(isinstance(r, Comment) for r in results), results
    assert Post.objects.get(pk=post.pk).comment_count == 4
