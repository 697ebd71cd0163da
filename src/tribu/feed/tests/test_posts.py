"""Posts: who may write where, the default welcome in the community's language, mentions."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tribu.core.models import Activity, Notification
from tribu.feed import actions
from tribu.feed.models import Post
from tribu.feed.text import mention_token, mentioned_ids

pytestmark = pytest.mark.django_db


def test_community_posts_are_for_members_announcements_for_the_team_and_mentions_notify(alice, mia, gina):
    with pytest.raises(PermissionDenied):
        actions.create_post(gina, None, "Bonjour")
    with pytest.raises(PermissionDenied):
        actions.create_post(mia, None, "Bonjour", kind="announcement")
    assert actions.create_post(mia, None, "Bonjour").status == "published"
    post = actions.create_post(alice, None, f"Bienvenue à {mention_token(mia)}", kind="announcement")
    assert list(post.mentions.all()) == [mia]
    assert Notification.objects.get(recipient=mia).kind == "feed.mention"
    assert Activity.objects.filter(verb="post.created", actor=alice).exists()
    with pytest.raises(ValidationError):
        actions.create_post(alice, None, "x" * (actions.MAX_BODY + 1))
    with pytest.raises(ValidationError):
        actions.create_post(alice, None, "Bonjour", kind="welcome")


def test_the_default_welcome_speaks_the_community_language_and_mentions_the_newcomer(anna, mia):
    from tribu.groups.tests.conftest import make_group

    group = make_group("Club sans message", owner=anna)
    post = actions.welcome_post(group, mia)
    assert post.author is None and post.kind == "welcome"
    assert "Bienvenue" in post.body_html and "@Mia Membre" in post.body_html
    assert Post.objects.filter(group=group).count() == 1


def test_mention_tokens_are_parsed_once_each():
    assert mentioned_ids("@[A](user:3) et @[B](user:4) puis @[A](user:3)") == [3, 4]
    assert mentioned_ids("@[A](user:x) @A") == []
