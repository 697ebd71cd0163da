"""Grouped notifications: "Alice and 3 others reacted to your post" is one unread row, not four."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import ngettext as plural  # not "ngettext": keeps test text out of the catalogue

from tribu.core.models import Notification, NotificationChannel
from tribu.core.notifications import actions
from tribu.core.notifications.kinds import KINDS, NotificationKind, actors_phrase, register, render_text

KIND = "tests.reacted"


def _reacted_text(n: Notification) -> str:
    return plural("%(actors)s reacted to your post.", "%(actors)s reacted to your post.", n.count) % {
        "actors": actors_phrase(n)
    }


@pytest.fixture(autouse=True)
def grouped_kind():
    register(
        NotificationKind(
            code=KIND, label="Reactions", description="", default_channel=NotificationChannel.IN_APP,
            text=_reacted_text, group_by=("post_id",),
        )
    )
    yield
    KINDS.pop(KIND, None)


def test_reactions_on_one_post_merge_into_one_unread_row(mia, alice, bob, anna, gina):
    first = actions.notify([mia], KIND, actor=alice, url="/feed/posts/1/", post_id=1)[0]
    Notification.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=2))
    actions.notify([mia], KIND, actor=bob, url="/feed/posts/1/", post_id=1)
    actions.notify([mia], KIND, actor=anna, url="/feed/posts/1/", post_id=1)
    actions.notify([mia], KIND, actor=gina, url="/feed/posts/1/", post_id=1)
    rows = list(Notification.objects.filter(recipient=mia, kind=KIND))
    assert len(rows) == 1
    row = rows[0]
    assert row.count == 4
    assert row.actor == gina
    assert [a["name"] for a in row.actors] == ["Gina Guest", "Anna Animatrice", "Bob Staff", "Alice Admin"]
    assert row.read_at is None
    assert row.created_at > timezone.now() - timedelta(minutes=1)  # it rose to the top
    with translation.override("en"):
        assert render_text(row) == "Gina Guest and 3 others reacted to your post."


def test_another_post_or_a_read_row_starts_a_new_group(mia, alice, bob):
    actions.notify([mia], KIND, actor=alice, post_id=1)
    actions.notify([mia], KIND, actor=bob, post_id=2)
    assert Notification.objects.filter(recipient=mia, kind=KIND).count() == 2
    actions.mark_read(mia, actions.ALL)
    actions.notify([mia], KIND, actor=bob, post_id=1)
    fresh = Notification.objects.get(recipient=mia, kind=KIND, read_at__isnull=True)
    assert fresh.count == 1
    assert fresh.actor == bob


def test_the_same_actor_twice_counts_once(mia, alice, bob):
    actions.notify([mia], KIND, actor=alice, post_id=1)
    actions.notify([mia], KIND, actor=bob, post_id=1)
    actions.notify([mia], KIND, actor=alice, post_id=1)
    row = Notification.objects.get(recipient=mia, kind=KIND)
    assert row.count == 2
    assert row.actor == alice
    with translation.override("en"):
        assert render_text(row) == "Alice Admin and Bob Staff reacted to your post."


def test_actors_phrase_in_french_agrees_in_number(mia, alice, bob, anna):
    actions.notify([mia], KIND, actor=alice, post_id=1)
    row = Notification.objects.get(recipient=mia)
    with translation.override("fr"):
        assert actors_phrase(row) == "Alice Admin"
    actions.notify([mia], KIND, actor=bob, post_id=1)
    actions.notify([mia], KIND, actor=anna, post_id=1)
    row.refresh_from_db()
    with translation.override("fr"):
        assert actors_phrase(row) == "Anna Animatrice et 2 autres"
        assert gettext("%(first)s and %(second)s") == "%(first)s et %(second)s"


def test_a_grouped_kind_turned_off_creates_nothing(mia, alice):
    actions.set_preference(mia, KIND, "off")
    assert actions.notify([mia], KIND, actor=alice, post_id=1) == []
    assert not Notification.objects.filter(recipient=mia).exists()


def test_an_updated_row_is_emailed_again_at_most_once_an_hour(
    mia, alice, bob, anna, django_capture_on_commit_callbacks, mailoutbox
):
    actions.set_preference(mia, KIND, "email")
    with django_capture_on_commit_callbacks(execute=True):
        actions.notify([mia], KIND, actor=alice, url="/feed/posts/1/", post_id=1)
    assert len(mailoutbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        actions.notify([mia], KIND, actor=bob, url="/feed/posts/1/", post_id=1)
    assert len(mailoutbox) == 1  # emailed minutes ago: the centre shows the update
    Notification.objects.filter(recipient=mia).update(emailed_at=timezone.now() - timedelta(minutes=61))
    with django_capture_on_commit_callbacks(execute=True):
        actions.notify([mia], KIND, actor=anna, url="/feed/posts/1/", post_id=1)
    assert len(mailoutbox) == 2
    assert "Anna Animatrice and 2 others" in mailoutbox[1].body or "Anna Animatrice et 2 autres" in mailoutbox[1].body


@pytest.mark.django_db(transaction=True)
def test_two_reactions_at_once_give_one_row_counting_two(mia, alice, bob, monkeypatch):
    """Two threads (two connections) notify the same group at the same moment. Both look for an
    unread row, find none, and wait a moment before inserting, so both inserts really collide."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs write transactions one at a time (IMMEDIATE); the race needs PostgreSQL")
    real_merge = actions._merge_into_unread
    calls: list[bool] = []

    def slow_merge(*args, **kwargs):
        row, email = real_merge(*args, **kwargs)
        calls.append(row is not None)
        if row is None:
            time.sleep(0.3)  # the other thread also finds nothing in the meantime
        return row, email

    monkeypatch.setattr(actions, "_merge_into_unread", slow_merge)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def react(actor):
        try:
            barrier.wait()
            actions.notify([mia], KIND, actor=actor, post_id=7)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=react, args=(a,)) for a in (alice, bob)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert calls.count(False) == 2  # both tried to insert: the conflict path ran
    rows = list(Notification.objects.filter(recipient=mia, kind=KIND))
    assert len(rows) == 1
    assert rows[0].count == 2
    assert {a["name"] for a in rows[0].actors} == {"Alice Admin", "Bob Staff"}
