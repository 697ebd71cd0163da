"""Notifications: what members see in the centre, get by email, get in the daily digest."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from email.header import decode_header, make_header
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from tribu.core.models import Notification, NotificationPreference
from tribu.core.notifications import actions
from tribu.core.notifications.digest import send_daily_digests
from tribu.core.notifications.tasks import send_notification_emails

PARIS = ZoneInfo("Europe/Paris")


def subject_of(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def parts_of(message) -> dict[str, str]:
    parts = {}
    for part in message.walk():
        if part.get_content_maintype() == "multipart":
            continue
        parts[part.get_content_type()] = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return parts


def set_language(user, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


def badge_count(client) -> str:
    html = client.get(reverse("core:notification_badge")).content.decode()
    return html.split(">", 1)[1].split("<", 1)[0].strip()


def paris_today_at(hour: int) -> datetime:
    today = timezone.now().astimezone(PARIS).date()
    return datetime.combine(today, time(hour), tzinfo=PARIS)


# --- Preferences and channels ------------------------------------------------------------------


def test_a_member_who_turned_a_kind_off_gets_nothing(mia, alice, django_capture_on_commit_callbacks):
    actions.set_preference(mia, "role_changed", "off")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = actions.notify_role_changed(alice, mia, "member", "animator")
    assert created == []
    assert not Notification.objects.filter(recipient=mia).exists()
    assert callbacks == []


def test_the_actor_is_not_notified_of_their_own_act(alice, mia):
    actions.announce(alice, "General assembly on Friday")
    assert Notification.objects.filter(recipient=mia, kind="community_announcement").exists()
    assert not Notification.objects.filter(recipient=alice).exists()


def test_only_admins_may_announce(gina, mia):
    with pytest.raises(PermissionDenied):
        actions.announce(gina, "Free pizza")
    assert not Notification.objects.exists()


def test_the_welcome_notification_comes_only_once(mia):
    actions.notify_welcome(mia)
    actions.notify_welcome(mia)
    assert Notification.objects.filter(recipient=mia, kind="welcome").count() == 1


def test_an_unknown_kind_is_refused(mia):
    with pytest.raises(ValueError):
        actions.notify([mia], "no_such_kind")


# --- Email channel -----------------------------------------------------------------------------


def test_email_channel_sends_over_smtp_in_french_to_a_french_member(
    smtp_server, alice, mia, django_capture_on_commit_callbacks
):
    set_language(mia, "fr")
    actions.set_preference(mia, "role_changed", "email")
    with django_capture_on_commit_callbacks(execute=True):
        [notification] = actions.notify_role_changed(alice, mia, "member", "animator")
    assert len(smtp_server.received) == 1
    message = smtp_server.received[0]
    assert message["To"] == "mia@example.org"
    parts = parts_of(message)
    assert "Animateur·rice" in parts["text/plain"]
    assert "Animateur·rice" in parts["text/html"] and 'lang="fr"' in parts["text/html"]
    assert "Animateur·rice" in subject_of(message)
    assert "/notifications/preferences/" in parts["text/plain"]
    assert "/notifications/stop/" in message["List-Unsubscribe"]  # one click (RFC 8058): stops the digest
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_email_channel_sends_in_english_to_an_english_member(
    smtp_server, alice, bob, django_capture_on_commit_callbacks
):
    set_language(bob, "en")
    with django_capture_on_commit_callbacks(execute=True):
        actions.notify_role_changed(alice, bob, "staff", "animator")  # role_changed defaults to email
    [message] = smtp_server.received
    parts = parts_of(message)
    assert "Alice Admin changed your role to Animator." in parts["text/plain"]
    assert 'lang="en"' in parts["text/html"]
    assert subject_of(message) == "Alice Admin changed your role to Animator."


def test_a_notification_is_emailed_only_once(smtp_server, alice, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [notification] = actions.notify_role_changed(alice, bob, "staff", "animator")
    send_notification_emails.call(notification_ids=[notification.pk])
    send_notification_emails.enqueue(notification_ids=[notification.pk])
    assert len(smtp_server.received) == 1


def test_in_app_channel_sends_no_email(smtp_server, alice, bob, django_capture_on_commit_callbacks):
    actions.set_preference(bob, "role_changed", "in_app")
    with django_capture_on_commit_callbacks(execute=True):
        actions.notify_role_changed(alice, bob, "staff", "animator")
    assert smtp_server.received == []
    assert Notification.objects.filter(recipient=bob).count() == 1


# --- Daily digest ------------------------------------------------------------------------------


def _announce_to(alice, member, title, created_at):
    [notification] = actions.announce(alice, title, recipients=[member])  # announcements default to digest
    Notification.objects.filter(pk=notification.pk).update(created_at=created_at)
    return notification


def test_the_daily_digest_is_sent_once_after_8_and_never_twice(
    smtp_server, alice, mia, django_capture_on_commit_callbacks
):
    set_language(mia, "en")
    morning = paris_today_at(9)
    _announce_to(alice, mia, "General assembly on Friday", morning - timedelta(hours=3))
    _announce_to(alice, mia, "New library opening", morning - timedelta(hours=2))

    with django_capture_on_commit_callbacks(execute=True):
        assert send_daily_digests(now=paris_today_at(7)) == 0  # too early
    assert smtp_server.received == []

    with django_capture_on_commit_callbacks(execute=True):
        assert send_daily_digests(now=morning) == 1
        assert send_daily_digests(now=morning) == 0
        assert send_daily_digests(now=morning + timedelta(hours=1)) == 0
    [message] = smtp_server.received
    parts = parts_of(message)
    assert "2 new notifications" in subject_of(message)
    assert "Announcement: General assembly on Friday" in parts["text/plain"]
    assert "Announcement: New library opening" in parts["text/html"]
    assert "/notifications/stop/" in message["List-Unsubscribe"]  # one click (RFC 8058): stops the digest
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert not Notification.objects.filter(recipient=mia, digested_at__isnull=True).exists()


def test_a_notification_after_todays_digest_waits_for_tomorrow(
    smtp_server, alice, mia, django_capture_on_commit_callbacks
):
    morning = paris_today_at(9)
    _announce_to(alice, mia, "First", morning - timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_daily_digests(now=morning) == 1
    _announce_to(alice, mia, "Second", morning + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_daily_digests(now=morning + timedelta(hours=3)) == 0
        assert send_daily_digests(now=morning + timedelta(days=1)) == 1
    assert len(smtp_server.received) == 2
    assert "Second" in parts_of(smtp_server.received[1])["text/plain"]
    assert "First" not in parts_of(smtp_server.received[1])["text/plain"]


def test_the_digest_leaves_out_read_and_non_digest_notifications(
    smtp_server, alice, mia, django_capture_on_commit_callbacks
):
    morning = paris_today_at(9)
    read = _announce_to(alice, mia, "Already seen", morning - timedelta(hours=2))
    actions.mark_read(mia, [read.pk])
    actions.set_preference(mia, "role_changed", "in_app")
    actions.notify_role_changed(alice, mia, "member", "animator")
    with django_capture_on_commit_callbacks(execute=True):
        assert send_daily_digests(now=morning) == 0
    assert smtp_server.received == []


# --- Pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,args",
    [("core:notifications", []), ("core:notification_preferences", []), ("core:notification_badge", [])],
)
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_anonymous_visitors_cannot_open_a_notification(client, mia):
    [n] = actions.notify([mia], "welcome")
    response = client.post(reverse("core:notification_open", args=[n.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    n.refresh_from_db()
    assert n.read_at is None


def test_the_centre_lists_notifications_with_unread_highlighted(client, alice, mia):
    actions.notify_welcome(mia)
    [read] = actions.announce(alice, "Picnic on Sunday", recipients=[mia])
    actions.mark_read(mia, [read.pk])
    client.force_login(mia)
    html = client.get(reverse("core:notifications")).content.decode()
    assert "Picnic on Sunday" in html
    assert html.count("notification-unread") == 1
    assert "Mark all as read" in html or "Tout marquer comme lu" in html


def test_opening_a_notification_marks_it_read_and_lowers_the_badge(client, alice, mia):
    set_language(mia, "en")
    [first] = actions.announce(alice, "One", url="/legal/charter/", recipients=[mia])
    actions.announce(alice, "Two", recipients=[mia])
    client.force_login(mia)
    assert badge_count(client) == "2"
    response = client.post(reverse("core:notification_open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == "/legal/charter/"
    assert badge_count(client) == "1"
    assert client.post(reverse("core:notifications_mark_all_read")).status_code == 302
    assert badge_count(client) == "0"
    assert "hidden" in client.get(reverse("core:notification_badge")).content.decode()


def test_an_offsite_url_is_not_followed(client, alice, mia):
    [n] = actions.announce(alice, "Phish", url="https://evil.example/", recipients=[mia])
    client.force_login(mia)
    response = client.post(reverse("core:notification_open", args=[n.pk]))
    assert response["Location"] == reverse("core:notifications")


def test_a_member_cannot_open_or_mark_someone_elses_notification(client, alice, mia, bob):
    [theirs] = actions.announce(alice, "For Bob", recipients=[bob])
    client.force_login(mia)
    assert client.post(reverse("core:notification_open", args=[theirs.pk])).status_code == 404
    assert actions.mark_read(mia, [theirs.pk]) == 0
    client.post(reverse("core:notifications_mark_all_read"))
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "For Bob" not in client.get(reverse("core:notifications")).content.decode()


def test_opening_needs_a_post(client, mia):
    [n] = actions.notify([mia], "welcome")
    client.force_login(mia)
    assert client.get(reverse("core:notification_open", args=[n.pk])).status_code == 405


def test_the_centre_runs_a_bounded_number_of_queries(client, alice, mia, django_assert_max_num_queries):
    for i in range(50):
        actions.announce(alice, f"News {i}", recipients=[mia])
    actions.notify_role_changed(alice, mia, "member", "animator")
    client.force_login(mia)
    client.get(reverse("core:notifications"))  # warm the community cache
    # Session, user and user-session bookkeeping take about 6; the page itself takes 3
    # (count, one page of notifications with their actors, unread badge) whatever the list length.
    with django_assert_max_num_queries(10) as captured:
        first = client.get(reverse("core:notifications"))
    assert sum("core_notification" in q["sql"] for q in captured.captured_queries) <= 3
    with django_assert_max_num_queries(10) as captured:
        second = client.get(reverse("core:notifications") + "?page=2")
    assert sum("core_notification" in q["sql"] for q in captured.captured_queries) <= 3
    assert first.status_code == second.status_code == 200
    assert first.content.decode().count('data-notification="') == 30
    assert second.content.decode().count('data-notification="') == 21


def test_preferences_are_saved(client, mia):
    client.force_login(mia)
    page = client.get(reverse("core:notification_preferences"))
    assert page.status_code == 200
    assert 'name="role_changed"' in page.content.decode()
    from tribu.core.notifications.kinds import all_kinds

    # The page submits every registered kind (apps add theirs); only the changed ones are stored.
    posted = {kind.code: kind.default_channel for kind in all_kinds()}
    posted.update({"welcome": "in_app", "role_changed": "digest", "community_announcement": "off"})
    response = client.post(reverse("core:notification_preferences"), posted)
    assert response.status_code == 302
    saved = dict(NotificationPreference.objects.filter(user=mia).values_list("kind", "channel"))
    assert saved == {"role_changed": "digest", "community_announcement": "off"}


def test_a_bad_preference_value_gets_a_400_and_changes_nothing(client, mia):
    client.force_login(mia)
    set_language(mia, "en")
    response = client.post(
        reverse("core:notification_preferences"),
        {"welcome": "off", "role_changed": "carrier-pigeon", "community_announcement": "in_app"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Some choices are not valid" in html or "choix" in html
    assert not NotificationPreference.objects.filter(user=mia).exists()
