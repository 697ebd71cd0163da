"""The demo community has real conversations: a solved question, one waiting for an answer,
discussions with replies and reactions, and running the demo twice creates nothing new."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_demo_has_conversations_to_read_and_answer():
    from tribu.accounts.models import User
    from tribu.feed import queries
    from tribu.feed.models import Comment, Post, Reaction

    call_command("demo", stdout=io.StringIO())

    solved = Post.objects.get(title="Quel logiciel de devis utilisez-vous ?")
    assert solved.is_solved and solved.accepted_comment is not None
    assert solved.comment_count == Comment.objects.filter(post=solved).count() == 4
    waiting = Post.objects.get(title="Comment trouver un apprenti en ébénisterie ?")
    assert waiting.comment_count == 0 and not waiting.is_solved
    assert Reaction.objects.filter(post__title__in=["Assemblée générale le 12 décembre"]).exists()
    member = User.objects.get(email="membre@demo.tribu.local")
    home, _cursor = queries.home_feed(member)
    assert "Assemblée générale le 12 décembre" in {p.title for p in home}

    before = (Post.objects.count(), Comment.objects.count(), Reaction.objects.count())
    call_command("demo", stdout=io.StringIO())
    assert (Post.objects.count(), Comment.objects.count(), Reaction.objects.count()) == before
