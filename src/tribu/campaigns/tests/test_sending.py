"""Sending through a real SMTP conversation (aiosmtpd): what arrives, who is skipped and why, retries."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.header import decode_header, make_header
from urllib.parse import urlparse

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tribu.campaigns import actions, sending
from tribu.campaigns.models import Campaign, Recipient, RecipientStatus, SkipReason, Status

from .conftest import make_campaign, make_members


def _parts(message):
    parsed = message_from_bytes(message.as_bytes()) if not isinstance(message, bytes) else message_from_bytes(message)
    text = html = ""
    for part in parsed.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True).decode()
        elif part.get_content_type() == "text/html":
            html = part.get_payload(decode=True).decode()
    return parsed, text, html


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _send_now(bob, campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        actions.start_sending(bob, campaign)
    campaign.refresh_from_db()
    return campaign


def test_each_member_receives_one_personal_message_with_both_parts_headers_and_tracking(
    bob, segment, smtp_server, django_capture_on_commit_callbacks
):
    members = make_members(3)
    make_members(1, prefix="en", language="en")
    campaign = _send_now(bob, make_campaign(segment=segment), django_capture_on_commit_callbacks)

    assert campaign.status == Status.SENT
    assert len(smtp_server.received) == 4
    by_to = {m["To"]: m for m in smtp_server.received}
    message, text, html = _parts(by_to[members[0].email])
    recipient = Recipient.objects.get(campaign=campaign, user=members[0])
    assert _subject(message) == "Bonjour Prénom0"
    assert message["Message-ID"] == f"<campaign.{campaign.pk}.{recipient.pk}@localhost>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/email/" in message["List-Unsubscribe"]
    assert "Bonjour Prénom0" in text and "<strong>Prénom0</strong>" in html
    # Links go through the signed click redirect, in both parts; the pixel is in the HTML.
    clicks = re.findall(r'href="(http://[^"]+/manage/campaigns/t/c/[^"]+/)"', html)
    assert len(clicks) == 2 and "example.com" not in " ".join(clicks)
    assert clicks[0] in text
    assert re.search(r'src="http://[^"]+/manage/campaigns/t/o/[^"]+\.gif"', html)
    unsubscribe = re.search(r"<(http[^>]+)>", message["List-Unsubscribe"]).group(1)
    assert unsubscribe in text and unsubscribe in html  # the same signed one-click link in the footer
    english, text_en, _html = _parts(by_to["en0@example.org"])
    assert _subject(english) == "Hello Prénom0" and "here is the programme" in text_en.replace("[", "").replace("]", "")
    assert Recipient.objects.filter(campaign=campaign, status=RecipientStatus.SENT).count() == 4
    assert all(urlparse(u).path.startswith("/manage/campaigns/t/c/") for u in clicks)


def test_unsubscribed_suppressed_and_malformed_addresses_are_skipped_with_their_reason(
    bob, segment, smtp_server, django_capture_on_commit_callbacks
):
    from tribu.mailing.models import EmailSuppression, TopicPreference

    ok, quiet, bounced, broken = make_members(4)
    TopicPreference.objects.create(user=quiet, topic="campaigns", subscribed=False)
    EmailSuppression.objects.create(email=bounced.email, reason="hard_bounce")
    type(broken).objects.filter(pk=broken.pk).update(email="not-an-address")

    campaign = _send_now(bob, make_campaign(segment=segment), django_capture_on_commit_callbacks)

    assert [m["To"] for m in smtp_server.received] == [ok.email]
    reasons = dict(Recipient.objects.filter(campaign=campaign).values_list("user_id", "skip_reason"))
    assert reasons == {
        ok.pk: "",
        quiet.pk: SkipReason.NO_CONSENT,
        bounced.pk: SkipReason.SUPPRESSED,
        broken.pk: SkipReason.INVALID_ADDRESS,
    }
    assert campaign.recipient_count == 1


def test_a_newsletter_needs_the_newsletter_consent(bob, segment, smtp_server, django_capture_on_commit_callbacks):
    from tribu.privacy.actions import record_consent

    yes, no = make_members(2)
    record_consent(yes, "newsletter", True)
    campaign = _send_now(bob, make_campaign(segment=segment, kind="newsletter"), django_capture_on_commit_callbacks)
    assert [m["To"] for m in smtp_server.received] == [yes.email]
    assert Recipient.objects.get(campaign=campaign, user=no).skip_reason == SkipReason.NO_CONSENT


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"subject_fr": "Bonjour {{ prenom }}"}, "Unknown placeholder {{ prenom }}"),
        ({"blocks": []}, "Add at least one block"),
        ({"subject_fr": "", "subject_en": ""}, "Write the subject"),
        ({"segment": None}, "Choose a segment or groups"),
    ],
)
def test_a_campaign_that_cannot_be_sent_says_why_and_writes_nothing(bob, segment, smtp_server, change, message):
    make_members(2)
    campaign = make_campaign(segment=segment)
    Campaign.objects.filter(pk=campaign.pk).update(**change)
    campaign.refresh_from_db()
    with pytest.raises(ValidationError) as raised, translation.override("en"):
        actions.start_sending(bob, campaign)
    assert message in " ".join(raised.value.messages)
    campaign.refresh_from_db()
    assert campaign.status == Status.DRAFT and not Recipient.objects.exists() and not smtp_server.received


def test_a_segment_matching_nobody_and_an_audience_of_unsubscribed_members_are_refused(bob, smtp_server, english):
    from tribu.mailing.models import TopicPreference

    from .conftest import members_segment

    nobody = members_segment("Guests", roles=["guest"])
    with pytest.raises(ValidationError, match="matches no member"):
        actions.start_sending(bob, make_campaign(segment=nobody))
    (member,) = make_members(1)
    TopicPreference.objects.create(user=member, topic="campaigns", subscribed=False)
    with pytest.raises(ValidationError, match="0 recipients"):
        actions.start_sending(bob, make_campaign(segment=members_segment()))
    assert not Recipient.objects.exists()


def test_a_refusing_server_gets_retries_with_back_off_then_permanent_failures_are_recorded(
    bob, segment, smtp_server, django_capture_on_commit_callbacks, settings
):
    """4xx: the recipient waits (attempts + 1, next attempt later); 5xx: failed with the server's words."""
    from aiosmtpd.handlers import Message

    temp, perm = make_members(2)

    class Refuse(Message):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address == temp.email:
                return "451 4.3.0 try again later"
            if address == perm.email:
                return "550 5.1.1 no such mailbox"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        def handle_message(self, message):
            smtp_server.received.append(message)

    from tests.browser import FreePortController

    refusing = FreePortController(Refuse(), hostname="127.0.0.1", port=0)
    refusing.start()
    settings.EMAIL_PORT = refusing.port
    try:
        campaign = _send_now(bob, make_campaign(segment=segment), django_capture_on_commit_callbacks)
        _check_retries(campaign, temp, perm, smtp_server)
    finally:
        refusing.stop()


def _check_retries(campaign, temp, perm, smtp_server):

    waiting = Recipient.objects.get(campaign=campaign, user=temp)
    failed = Recipient.objects.get(campaign=campaign, user=perm)
    assert waiting.status == RecipientStatus.QUEUED and waiting.attempts == 1 and "451" in waiting.last_error
    assert waiting.next_attempt_at is not None and waiting.sent_at is None
    assert failed.status == RecipientStatus.FAILED and "550" in failed.last_error
    assert campaign.status == Status.SENDING and not smtp_server.received

    # Until its time comes the waiting recipient is not retried; then it is, with a longer wait next time.
    assert sending.run(campaign.pk)["sent"] == 0
    Recipient.objects.filter(pk=waiting.pk).update(next_attempt_at=None)
    sending.run(campaign.pk)
    waiting.refresh_from_db()
    assert waiting.attempts == 2 and waiting.status == RecipientStatus.QUEUED
    assert sending.backoff(2) == 2 * sending.backoff(1)


def test_the_last_attempt_fails_for_good(bob, segment, smtp_server, settings):
    (member,) = make_members(1)
    campaign = make_campaign(segment=segment, status=Status.SENDING)
    row = Recipient.objects.create(
        campaign=campaign, user=member, email=member.email, language="fr", attempts=sending.max_attempts() - 1
    )
    settings.EMAIL_PORT = _closed_port()  # nobody listens there: connection refused
    sending.run(campaign.pk)
    row.refresh_from_db()
    assert row.status == RecipientStatus.FAILED and "connect" in row.last_error
    assert row.attempts == sending.max_attempts()


def test_an_unreachable_server_delays_the_whole_batch_without_spending_their_attempts(
    bob, segment, smtp_server, settings
):
    members = make_members(3)
    campaign = make_campaign(segment=segment, status=Status.SENDING)
    for m in members:
        Recipient.objects.create(campaign=campaign, user=m, email=m.email, language="fr")
    settings.EMAIL_PORT = _closed_port()
    sending.run(campaign.pk)
    rows = list(Recipient.objects.filter(campaign=campaign).order_by("id"))
    assert [r.status for r in rows] == [RecipientStatus.QUEUED] * 3
    assert [r.attempts for r in rows] == [1, 0, 0]
    assert all(r.next_attempt_at is not None for r in rows)


def test_a_run_that_lost_its_claim_never_completes_the_message(bob, segment, smtp_server):
    """The mark before the end of DATA fails (another run took the row back): the server gets nothing."""
    (member,) = make_members(1)
    campaign = make_campaign(segment=segment, status=Status.SENDING)
    row = Recipient.objects.create(campaign=campaign, user=member, email=member.email, language="fr")
    (claimed,) = sending.claim(campaign.pk, "first-run", 10)
    Recipient.objects.filter(pk=row.pk).update(claim="second-run")
    prepared = sending.prepare(campaign)
    channel = sending.transport()
    outcome = sending.send_one(
        prepared, claimed, "first-run", channel, "noreply@localhost", "Tribu <noreply@localhost>"
    )
    channel.close()
    assert outcome == "lost"
    assert smtp_server.received == []
    row.refresh_from_db()
    assert row.status == RecipientStatus.SENDING and row.claim == "second-run"


def test_pause_resume_and_cancel(bob, segment, smtp_server, django_capture_on_commit_callbacks):
    members = make_members(4)
    campaign = make_campaign(segment=segment, status=Status.SENDING)
    for m in members:
        Recipient.objects.create(campaign=campaign, user=m, email=m.email, language="fr")
    actions.pause_campaign(bob, campaign)
    assert sending.run(campaign.pk)["skipped"] is True
    assert not smtp_server.received
    with pytest.raises(ValidationError):
        actions.pause_campaign(bob, campaign)
    with django_capture_on_commit_callbacks(execute=True):
        actions.resume_campaign(bob, campaign)
    assert len(smtp_server.received) == 4
    campaign.refresh_from_db()
    assert campaign.status == Status.SENT

    other = make_campaign(segment=segment, name="Autre", status=Status.SENDING)
    for m in members:
        Recipient.objects.create(campaign=other, user=m, email=m.email, language="fr")
    actions.cancel_campaign(bob, other)
    assert sending.run(other.pk)["skipped"] is True
    assert set(Recipient.objects.filter(campaign=other).values_list("status", flat=True)) == {"cancelled"}
    assert len(smtp_server.received) == 4


def test_a_pause_during_a_run_puts_the_unsent_rows_back(bob, segment, smtp_server, monkeypatch):
    members = make_members(120)
    campaign = make_campaign(segment=segment, status=Status.SENDING)
    Recipient.objects.bulk_create([Recipient(campaign=campaign, user=m, email=m.email, language="fr") for m in members])
    real = sending.send_group
    count = {"n": 0}

    def send_then_pause(prepared, recipients, *args, **kwargs):
        count["n"] += len(recipients)
        if count["n"] >= 10:
            Campaign.objects.filter(pk=campaign.pk).update(status=Status.PAUSED)
        return real(prepared, recipients, *args, **kwargs)

    monkeypatch.setattr(sending, "send_group", send_then_pause)
    sending.run(campaign.pk)
    sent = Recipient.objects.filter(campaign=campaign, status=RecipientStatus.SENT).count()
    assert sent == len(smtp_server.received)
    assert 10 <= sent <= 60  # the run looks at the status about every 50 messages
    assert Recipient.objects.filter(campaign=campaign, status=RecipientStatus.QUEUED).count() == 120 - sent
    assert not Recipient.objects.filter(campaign=campaign, status=RecipientStatus.SENDING).exists()


def test_send_a_test_to_myself(bob, segment, smtp_server, django_capture_on_commit_callbacks):
    campaign = make_campaign(segment=segment)
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_test(bob, campaign)
    (message,) = smtp_server.received
    _parsed, text, html = _parts(message)
    assert message["To"] == bob.email and _subject(message).startswith("[Test]")
    assert "https://example.com/programme" in html and "Bonjour" in text
    assert not Recipient.objects.exists()


def test_a_group_audience_reaches_the_group_members_once_even_when_also_in_the_segment(
    bob, segment, smtp_server, django_capture_on_commit_callbacks
):
    from tribu.groups.models import Group, GroupMembership

    in_group, both = make_members(2, prefix="g", role="animator")
    (segment_only,) = make_members(1)
    both.role = "member"
    both.save(update_fields=["role"])
    group = Group.objects.create(name="Antenne de Brest", slug="antenne-brest")
    GroupMembership.objects.create(group=group, user=in_group)
    GroupMembership.objects.create(group=group, user=both)
    campaign = make_campaign(segment=segment)
    actions.update_campaign(bob, campaign, {"group_ids": [group.pk]})
    campaign.refresh_from_db()
    _send_now(bob, campaign, django_capture_on_commit_callbacks)
    assert sorted(m["To"] for m in smtp_server.received) == sorted([in_group.email, both.email, segment_only.email])


def test_an_unknown_group_is_refused(bob, segment, english):
    campaign = make_campaign(segment=segment)
    with pytest.raises(ValidationError, match="groups does not exist"):
        actions.update_campaign(bob, campaign, {"group_ids": [987654]})


def test_a_server_that_stops_answering_mid_send_gets_the_recipient_retried_later(bob, segment, smtp_server, settings):
    """The server goes silent after RCPT: the message was never complete, so it waits and is retried."""
    import asyncio

    from aiosmtpd.handlers import Message

    from tests.browser import FreePortController

    (slow,) = make_members(1)

    class Silent(Message):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            await asyncio.sleep(3)
            envelope.rcpt_tos.append(address)
            return "250 OK"

        def handle_message(self, message):
            smtp_server.received.append(message)

    silent = FreePortController(Silent(), hostname="127.0.0.1", port=0)
    silent.start()
    settings.EMAIL_PORT = silent.port
    settings.EMAIL_TIMEOUT = 1
    try:
        campaign = make_campaign(segment=segment, status=Status.SENDING)
        row = Recipient.objects.create(campaign=campaign, user=slow, email=slow.email, language="fr")
        sending.run(campaign.pk)
    finally:
        silent.stop()
    row.refresh_from_db()
    assert row.status == RecipientStatus.QUEUED and row.attempts == 1 and row.next_attempt_at is not None
    assert "timed out" in row.last_error
    assert smtp_server.received == []


def test_the_sending_rate_is_honoured(bob, segment, smtp_server):
    import time

    members = make_members(6)
    campaign = make_campaign(segment=segment, status=Status.SENDING, rate_per_second=10)
    Recipient.objects.bulk_create([Recipient(campaign=campaign, user=m, email=m.email, language="fr") for m in members])
    started = time.monotonic()
    sending.run(campaign.pk)
    assert time.monotonic() - started >= 0.5  # six messages at ten a second
    assert len(smtp_server.received) == 6


def test_rows_still_claimed_by_a_dead_run_are_taken_back_once_their_lease_ends(
    bob, segment, smtp_server, settings, monkeypatch
):
    """A run that starts right after its predecessor died sees fresh claims it may not take; it comes
    back when the lease has run out instead of leaving those recipients waiting for ever."""
    from datetime import timedelta

    from django.utils import timezone

    members = make_members(3)
    campaign = make_campaign(segment=segment, status=Status.SENDING)
    rows = [Recipient.objects.create(campaign=campaign, user=m, email=m.email, language="fr") for m in members]
    sending.claim(campaign.pk, "dead-run", 1)  # the first row, claimed just now by a run that died
    queued = []
    monkeypatch.setattr(actions, "enqueue_run", lambda campaign_id, at=None: queued.append(at))
    sending.run(campaign.pk)
    assert len(smtp_server.received) == 2
    assert len(queued) == 1 and queued[0] >= timezone.now() + sending.claim_lease() - timedelta(seconds=5)
    Recipient.objects.filter(pk=rows[0].pk).update(claimed_at=timezone.now() - sending.claim_lease() * 2)
    sending.run(campaign.pk)
    assert len(smtp_server.received) == 3
    campaign.refresh_from_db()
    assert campaign.status == Status.SENT
