"""Digest daily or weekly, "popular in your groups", and the one-click "stop these" links."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from tribu.core.models import Activity, DigestPreference, Notification, NotificationPreference
from tribu.core.notifications import actions
from tribu.core.notifications.digest import send_digests
from tribu.core.notifications.emails import kind_topic, stop_url
from tribu.groups.tests.conftest import add_to, make_group
from tribu.mailing import consent

from .test_notifications import parts_of, set_language, subject_of

PARIS = ZoneInfo("Europe/Paris")


def paris(day: datetime, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day.date(), time(hour, minute), tzinfo=PARIS)


def next_weekday(weekday: int) -> datetime:
    """A date in the future (so posts and notifications can be dated before it) that is ``weekday``."""
    day = timezone.now().astimezone(PARIS) + timedelta(days=14)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def announce_at(alice, member, title, when):
    [n] = actions.announce(alice, title, recipients=[member])  # announcements default to the digest
    Notification.objects.filter(pk=n.pk).update(created_at=when)
    return n


def make_post(author, group, title, when, *, comments=0, reactions=0, **more):
    from tribu.feed.models import Post

    return Post.objects.create(
        author=author, group=group, title=title, body=f"{title} body", published_at=when,
        comment_count=comments, reaction_count=reactions, **more,
    )


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


# --- Weekly and daily ----------------------------------------------------------------------------


def test_a_weekly_digest_goes_once_a_week_even_with_a_job_every_15_minutes(
    smtp_server, alice, mia, django_capture_on_commit_callbacks
):
    set_language(mia, "en")
    actions.set_digest_frequency(mia, "weekly", 2)  # Wednesday
    wednesday = next_weekday(2)
    announce_at(alice, mia, "Five days ago", paris(wednesday, 9) - timedelta(days=5))
    announce_at(alice, mia, "Eight days ago", paris(wednesday, 9) - timedelta(days=8))
    # Every 15 minutes from Monday 0:00 to the next Wednesday 23:45 (10 days).
    now = paris(wednesday, 0) - timedelta(days=2)
    end = paris(wednesday, 23, 45) + timedelta(days=7)
    runs = []
    with django_capture_on_commit_callbacks(execute=True):
        while now <= end:
            if send_digests(now=now):
                runs.append(now)
            if now == paris(wednesday, 12):
                announce_at(alice, mia, "Later that week", now)
            now += timedelta(minutes=15)
    assert runs == [paris(wednesday, 8), paris(wednesday, 8) + timedelta(days=7)]
    first, second = smtp_server.received
    assert "Your weekly digest" in subject_of(first)
    text = parts_of(first)["text/plain"]
    assert "Five days ago" in text  # the week is covered…
    assert "Eight days ago" not in text  # …not more
    assert "this week" in text
    assert "Later that week" in parts_of(second)["text/plain"]
    assert "Five days ago" not in parts_of(second)["text/plain"]


def test_a_first_weekly_digest_waits_for_the_members_day(alice, mia, django_capture_on_commit_callbacks, mailoutbox):
    actions.set_digest_frequency(mia, "weekly", 0)  # Monday
    thursday = next_weekday(3)
    announce_at(alice, mia, "News", paris(thursday, 7))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_digests(now=paris(thursday, 9)) == 0
        assert send_digests(now=paris(thursday, 9) + timedelta(days=4)) == 1  # Monday


def test_never_means_no_digest(alice, mia, django_capture_on_commit_callbacks, mailoutbox):
    actions.set_digest_frequency(mia, "never")
    day = next_weekday(1)
    announce_at(alice, mia, "News", paris(day, 7))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_digests(now=paris(day, 9)) == 0
    assert mailoutbox == []
    assert Notification.objects.get(recipient=mia).digested_at is None  # still in the centre, unread


def test_nothing_to_say_sends_nothing_and_looks_again_only_tomorrow(
    alice, mia, django_assert_max_num_queries, django_capture_on_commit_callbacks, mailoutbox
):
    day = next_weekday(4)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_digests(now=paris(day, 9)) == 0
    assert mailoutbox == []
    # The period is claimed: the next runs of the day do not even look at these members.
    with django_assert_max_num_queries(3):
        assert send_digests(now=paris(day, 9, 15)) == 0


# --- Popular in your groups ----------------------------------------------------------------------


@pytest.fixture
def places(db, anna, mia):
    """A public club (mia reads it), a private committee mia LEFT, a private one she never joined."""
    club = make_group("Club photo", owner=anna)
    left = make_group("Comité quitté", visibility="private", owner=anna)
    add_to(left, mia)
    other = make_group("Comité fermé", visibility="private", owner=anna)
    from tribu.groups.actions import leave_group

    leave_group(mia, left)
    return {"club": club, "left": left, "other": other}


def test_the_digest_shows_popular_posts_and_never_what_the_member_may_not_see(
    smtp_server, anna, mia, bob, places, django_capture_on_commit_callbacks
):
    set_language(mia, "en")
    day = next_weekday(1)
    before = paris(day, 9) - timedelta(hours=5)
    make_post(anna, places["club"], "Darkroom tips", before, comments=12, reactions=3)
    make_post(anna, places["club"], "Quiet post", before)  # no activity: not popular
    make_post(anna, places["club"], "Old news", before - timedelta(days=2), comments=40)  # before the period
    make_post(mia, places["club"], "My own post", before, comments=50)
    make_post(anna, places["club"], "Draft", before, comments=50, status="draft")
    make_post(anna, places["club"], "Deleted", before, comments=50, deleted_at=before)
    make_post(anna, places["left"], "Secret of the committee I left", before, comments=99)
    make_post(anna, places["other"], "Secret of another committee", before, comments=99)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_digests(now=paris(day, 9)) >= 1
    [message] = [m for m in smtp_server.received if "mia@" in m["To"]]
    text = parts_of(message)["text/plain"]
    html = parts_of(message)["text/html"]
    assert "popular in your groups" in subject_of(message)
    assert "Darkroom tips (Club photo)" in text and "12 comments, 3 reactions" in text
    assert "Darkroom tips" in html
    for hidden in ("Quiet post", "Old news", "My own post", "Draft", "Deleted", "Secret"):
        assert hidden not in text and hidden not in html
    # Anna owns the committees: her digest shows Mia's popular post, never her own.
    [anna_mail] = [m for m in smtp_server.received if "anna@" in m["To"]]
    anna_text = parts_of(anna_mail)["text/plain"]
    assert "My own post" in anna_text and "Darkroom tips" not in anna_text and "Secret" not in anna_text


def test_a_member_of_the_private_group_sees_its_popular_posts(
    anna, mia, gina, places, django_capture_on_commit_callbacks, mailoutbox
):
    add_to(places["other"], mia)
    day = next_weekday(1)
    make_post(anna, places["other"], "Committee minutes", paris(day, 7), comments=2)
    with django_capture_on_commit_callbacks(execute=True):
        send_digests(now=paris(day, 9))
    [mail] = [m for m in mailoutbox if m.to == [mia.email]]
    assert "Committee minutes" in mail.body
    assert not [m for m in mailoutbox if m.to == [gina.email]]


def test_the_popular_section_can_be_stopped_in_one_click(
    client, anna, mia, places, django_capture_on_commit_callbacks, mailoutbox
):
    day = next_weekday(1)
    make_post(anna, places["club"], "Darkroom tips", paris(day, 7), comments=2)
    with django_capture_on_commit_callbacks(execute=True):
        send_digests(now=paris(day, 9))
    [mail] = [m for m in mailoutbox if m.to == [mia.email]]
    link = re.search(r"\(.*?(https?://\S+/notifications/stop/\S+/)\)", mail.body.split("Darkroom tips", 1)[1]).group(1)
    assert client.post(path_of(link)).status_code == 200
    assert NotificationPreference.objects.get(user=mia, kind="popular_in_groups").channel == "off"
    make_post(anna, places["club"], "More tips", paris(day, 7) + timedelta(days=1), comments=5)
    with django_capture_on_commit_callbacks(execute=True):
        send_digests(now=paris(day, 9) + timedelta(days=1))
    assert not [m for m in mailoutbox[1:] if m.to == [mia.email]]


# --- "Stop these" links --------------------------------------------------------------------------


def test_a_notification_email_over_smtp_carries_the_stop_link_and_headers(
    client, smtp_server, alice, mia, django_capture_on_commit_callbacks
):
    set_language(mia, "en")
    actions.set_preference(mia, "role_changed", "email")
    with django_capture_on_commit_callbacks(execute=True):
        actions.notify_role_changed(alice, mia, "member", "animator")
    [message] = smtp_server.received
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.search(r"<(https?://[^>]+)>", " ".join(message["List-Unsubscribe"].split())).group(1)
    assert "/notifications/stop/" in url
    text, html = parts_of(message)["text/plain"], parts_of(message)["text/html"]
    assert f"Stop « Role changes » notifications: {url}" in text
    assert url.replace("&", "&amp;") in html or url in html
    # A link scanner's GET changes nothing.
    page = client.get(path_of(url))  # in the member's language, whatever the browser's
    assert page.status_code == 200
    assert "Stop « Role changes »?" in page.content.decode()
    assert NotificationPreference.objects.get(user=mia, kind="role_changed").channel == "email"
    # The mail client's one-click POST, without a session nor a CSRF token.
    csrf_client = client.__class__(enforce_csrf_checks=True)
    response = csrf_client.post(path_of(url), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert NotificationPreference.objects.get(user=mia, kind="role_changed").channel == "off"
    assert Activity.objects.filter(actor=mia, verb="notifications.stopped").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        actions.notify_role_changed(alice, mia, "animator", "member")
    assert len(smtp_server.received) == 1
    assert not Notification.objects.filter(recipient=mia, data__new="member").exists()


def test_the_digest_stop_link_sets_the_frequency_to_never(client, alice, mia, django_capture_on_commit_callbacks,
                                                           mailoutbox):
    day = next_weekday(1)
    announce_at(alice, mia, "News", paris(day, 7))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_digests(now=paris(day, 9)) == 1
    [mail] = mailoutbox
    assert "/notifications/stop/" in mail.extra_headers["List-Unsubscribe"]
    url = re.search(r"<(https?://[^>]+)>", mail.extra_headers["List-Unsubscribe"]).group(1)
    page = client.get(path_of(url))
    assert page.status_code == 200 and "récapitulatif" in page.content.decode()
    assert client.post(path_of(url)).status_code == 200
    assert DigestPreference.objects.get(user=mia).frequency == "never"
    assert consent.may_send(mia, consent.DIGESTS) is False
    announce_at(alice, mia, "More news", paris(day, 7) + timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_digests(now=paris(day, 9) + timedelta(days=1)) == 0


@pytest.mark.parametrize("language,words", [("en", "This link does not work"), ("fr", "Ce lien ne fonctionne pas")])
def test_a_tampered_stop_link_is_refused_in_the_visitors_language(client, mia, language, words):
    client.cookies["tribu_language"] = language
    token = stop_url(mia, kind_topic("role_changed")).rstrip("/").rsplit("/", 1)[1]
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    for method in (client.get, client.post):
        response = method(reverse("core:notification_stop", args=[forged]), HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 400
        assert words in response.content.decode()
    assert not NotificationPreference.objects.filter(user=mia).exists()


def test_a_stop_link_for_another_topic_or_someone_else_does_not_stop_notifications(client, mia, alice):
    newsletter = consent.unsubscribe_token(mia, consent.NEWSLETTER)
    assert client.post(reverse("core:notification_stop", args=[newsletter])).status_code == 400
    # Changing the member id inside the token breaks the signature.
    forged = signing.Signer(salt="not-the-salt").sign_object({"u": alice.pk, "t": "notification:role_changed"})
    assert client.post(reverse("core:notification_stop", args=[forged])).status_code == 400
    assert not NotificationPreference.objects.exists()
    url = stop_url(mia, kind_topic("role_changed"))
    mia.delete()
    assert client.get(path_of(url)).status_code == 404


# --- Pages ---------------------------------------------------------------------------------------


def test_the_preferences_page_groups_kinds_by_app_and_saves_the_digest_frequency(client, mia):
    client.force_login(mia)
    set_language(mia, "en")
    html = client.get(reverse("core:notification_preferences")).content.decode()
    assert "<legend>Digest email</legend>" in html
    assert "<legend>Groups</legend>" in html  # the groups app's kinds under their app's name
    assert html.index("<legend>Community</legend>") < html.index("<legend>Groups</legend>")
    popular = html.split('name="popular_in_groups"', 1)[1].split("</select>", 1)[0]
    assert 'value="digest"' in popular and 'value="email"' not in popular
    response = client.post(
        reverse("core:notification_preferences"), {"digest_frequency": "weekly", "digest_weekday": "4"}
    )
    assert response.status_code == 302
    assert DigestPreference.objects.filter(user=mia, frequency="weekly", weekday=4).exists()


def test_a_bad_digest_frequency_gets_a_400_and_changes_nothing(client, mia):
    client.force_login(mia)
    response = client.post(
        reverse("core:notification_preferences"), {"digest_frequency": "hourly", "digest_weekday": "9"}
    )
    assert response.status_code == 400
    assert not DigestPreference.objects.filter(user=mia).exists()


def test_the_centre_filters_unread_and_shows_grouped_rows(client, alice, bob, anna, mia, django_assert_num_queries):
    set_language(mia, "en")
    read = announce_at(alice, mia, "Old news", timezone.now() - timedelta(hours=3))
    actions.mark_read(mia, [read.pk])
    for i in range(3):
        announce_at(alice, mia, f"Fresh news {i}", timezone.now() - timedelta(minutes=i))
    client.force_login(mia)
    with django_assert_num_queries(8):
        html = client.get(reverse("core:notifications") + "?filter=unread").content.decode()
    assert html.count('data-notification="') == 3
    assert "Old news" not in html and "Fresh news 2" in html
    assert 'aria-current="page">Unread' in html
    assert client.get(reverse("core:notifications")).content.decode().count('data-notification="') == 4
