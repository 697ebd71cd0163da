"""``may_send`` for each topic, kept where each already lives (privacy consents, notification
preferences, this app's table), ``sendable`` agreeing with it in one query, and the daily digest's
one-click unsubscription."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from conftest import make_user
from tribu.accounts.models import User
from tribu.core.models import Notification, NotificationChannel, NotificationPreference
from tribu.core.notifications import actions as notification_actions
from tribu.core.notifications.digest import send_daily_digests
from tribu.mailing import actions, consent
from tribu.mailing.models import EmailSuppression
from tribu.privacy.actions import record_consent
from tribu.privacy.models import Consent

from .conftest import path_of


def test_newsletter_and_event_announcements_follow_the_privacy_consents(mia):
    assert consent.may_send(mia, consent.NEWSLETTER) is False  # never asked: no (opt-in)
    record_consent(mia, consent.NEWSLETTER, True)
    assert consent.may_send(mia, consent.NEWSLETTER) is True
    assert consent.may_send(mia, consent.EVENT_ANNOUNCEMENTS) is False
    actions.unsubscribe(mia, consent.NEWSLETTER)
    assert consent.may_send(mia, consent.NEWSLETTER) is False
    # The withdrawal is in the member's consent history, with its text.
    latest = Consent.objects.filter(user=mia, kind="newsletter").first()
    assert latest.granted is False and latest.text


def test_campaigns_come_unless_the_member_opted_out(mia):
    assert consent.may_send(mia, consent.CAMPAIGNS) is True
    actions.update_subscriptions(mia, {"campaigns": False})
    assert consent.may_send(mia, consent.CAMPAIGNS) is False
    actions.update_subscriptions(mia, {"campaigns": True})
    assert consent.may_send(mia, consent.CAMPAIGNS) is True


def test_digests_follow_the_notification_preferences(mia):
    assert consent.may_send(mia, consent.DIGESTS) is True  # announcements default to the digest
    actions.unsubscribe(mia, consent.DIGESTS)
    assert consent.may_send(mia, consent.DIGESTS) is False
    assert NotificationPreference.objects.filter(user=mia, channel=NotificationChannel.DIGEST).count() == 0
    assert NotificationPreference.objects.filter(user=mia, channel=NotificationChannel.IN_APP).exists()
    actions.update_subscriptions(mia, {"digests": True})
    assert consent.may_send(mia, consent.DIGESTS) is True


def test_nobody_suppressed_inactive_or_without_address_gets_anything(mia):
    EmailSuppression.objects.create(email="mia@example.org", reason="complaint")
    for topic in (consent.TRANSACTIONAL, consent.CAMPAIGNS, consent.DIGESTS):
        assert consent.may_send(mia, topic) is False
    gone = make_user("gone@example.org", "member", "Gone")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    assert consent.may_send(gone, consent.TRANSACTIONAL) is False


def test_an_unknown_topic_is_refused(mia):
    with pytest.raises(ValueError):
        consent.may_send(mia, "spam")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        actions.update_subscriptions(mia, {"spam": True})


def test_changes_are_recorded_in_the_activity_log(mia):
    from tribu.core.models import Activity

    actions.update_subscriptions(mia, {"campaigns": False, "newsletter": True})
    actions.unsubscribe(mia, consent.NEWSLETTER, source="one_click")
    rows = Activity.objects.filter(actor=mia, verb__startswith="mailing.").order_by("id")
    verbs = list(rows.values_list("verb", "data"))
    assert verbs[0][0] == "mailing.subscriptions_changed" and set(verbs[0][1]["topics"]) == {"campaigns", "newsletter"}
    assert verbs[1] == ("mailing.unsubscribed", {"topic": "newsletter", "source": "one_click"})


@pytest.mark.parametrize("topic", ["transactional", "newsletter", "event_announcements", "digests", "campaigns"])
def test_sendable_agrees_with_may_send_in_one_query(db, topic, django_assert_num_queries):
    people = [make_user(f"p{n}@example.org", "member", f"P{n}") for n in range(8)]
    record_consent(people[0], "newsletter", True)
    record_consent(people[1], "newsletter", True)
    record_consent(people[1], "newsletter", False)
    record_consent(people[2], "event_announcements", True)
    actions.update_subscriptions(people[3], {"campaigns": False, "digests": False})
    EmailSuppression.objects.create(email="p4@example.org", reason="hard_bounce")
    EmailSuppression.objects.create(email="p5@example.org", reason="manual", lifted_at=timezone.now())
    NotificationPreference.objects.create(user=people[6], kind="core.announcement", channel="email")
    people[7].is_active = False
    people[7].save(update_fields=["is_active"])
    expected = {p.pk for p in people if consent.may_send(p, topic)}
    with django_assert_num_queries(1):
        got = set(consent.sendable(User.objects.filter(email__startswith="p"), topic).values_list("pk", flat=True))
    assert got == expected


PARIS = ZoneInfo("Europe/Paris")


def test_the_daily_digest_unsubscribes_in_one_click(client, smtp_server, alice, mia,
                                                    django_capture_on_commit_callbacks):
    today = timezone.now().astimezone(PARIS).date()
    morning = datetime.combine(today, time(9), tzinfo=PARIS)
    [note] = notification_actions.announce(alice, "Assemblée générale", recipients=[mia])
    Notification.objects.filter(pk=note.pk).update(created_at=morning - timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_daily_digests(now=morning) == 1
    [message] = smtp_server.received
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.search(r"<(https?://[^>]+)>", " ".join(message["List-Unsubscribe"].split())).group(1)
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert url in text
    assert client.post(path_of(url), {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert consent.may_send(mia, consent.DIGESTS) is False
    # Tomorrow's announcement stays in the app: no digest email.
    [later] = notification_actions.announce(alice, "Pique-nique", recipients=[mia])
    tomorrow = morning + timedelta(days=1)
    Notification.objects.filter(pk=later.pk).update(created_at=tomorrow - timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_daily_digests(now=tomorrow) == 0
    assert len(smtp_server.received) == 1


def test_a_notification_email_unsubscribes_that_kind_in_one_click(client, smtp_server, alice, mia,
                                                                  django_capture_on_commit_callbacks):
    notification_actions.set_preference(mia, "role_changed", "email")
    topic = consent.notification_topic("role_changed")
    with django_capture_on_commit_callbacks(execute=True):
        notification_actions.notify_role_changed(alice, mia, "member", "animator")
    [message] = smtp_server.received
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.search(r"<(https?://[^>]+)>", " ".join(message["List-Unsubscribe"].split())).group(1)
    page = client.get(path_of(url))
    assert page.status_code == 200 and "Ne plus recevoir" in page.content.decode()
    assert consent.is_subscribed(mia, topic) is True
    assert client.post(path_of(url), {"List-Unsubscribe": "One-Click"}).status_code == 200
    # The stop link of a notification email turns the kind off (core:notification_stop).
    assert NotificationPreference.objects.get(user=mia, kind="role_changed").channel == "off"
    assert consent.is_subscribed(mia, topic) is False
    expected = {u.pk for u in User.objects.all() if consent.may_send(u, topic)}
    assert set(consent.sendable(User.objects.all(), topic).values_list("pk", flat=True)) == expected
    # The next role change stays in the app.
    with django_capture_on_commit_callbacks(execute=True):
        notification_actions.notify_role_changed(alice, mia, "animator", "member")
    assert len(smtp_server.received) == 1


def test_a_notification_kind_that_does_not_exist_is_not_a_topic(client, mia):
    from django.core import signing

    token = signing.Signer(salt=consent.UNSUBSCRIBE_SALT).sign_object({"u": mia.pk, "t": "notification:nope"},
                                                                      compress=True)
    assert client.post(f"/email/unsubscribe/{token}/").status_code == 400
