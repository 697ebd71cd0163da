"""Hard bounces and complaints stop all email to an address: from the provider's webhook (anymail),
from a DSN or an abuse report reaching the bounce address, or added by staff. A suppressed address
receives nothing (checked at a real SMTP server), the skip is recorded, staff see why and lift it."""

from __future__ import annotations

import io
import json
from email.message import EmailMessage

import pytest
from django.core.management import call_command
from django.urls import reverse

from tribu.core.emails import send_templated_email_on_commit
from tribu.mailing import consent
from tribu.mailing.bounces import handle_inbound
from tribu.mailing.models import EmailSuppression, SkippedEmail

from .conftest import subject_of


def _invite(user, send):
    send(send_templated_email_on_commit, user, "imports/emails/invitation", {"url": "https://x.test/"})


def _dsn(recipient: str, status: str = "5.1.1", action: str = "failed") -> bytes:
    return f"""From: MAILER-DAEMON@mx.example.net
To: bounces@localhost
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

The mail system could not deliver your message.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown

--B
Content-Type: text/rfc822-headers

From: Tribu <noreply@localhost>
To: {recipient}
Subject: Bonjour

--B--
""".replace("\n", "\r\n").encode()


def _arf(recipient: str) -> bytes:
    return f"""From: feedback@mailbox.example
To: bounces@localhost
Subject: Abuse report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an email abuse report.

--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Rcpt-To: <{recipient}>

--F
Content-Type: message/rfc822

From: Tribu <noreply@localhost>
To: {recipient}
Subject: Newsletter

Hello
--F--
""".replace("\n", "\r\n").encode()


def test_a_hard_bounce_from_the_smtp_server_stops_all_email(mia, smtp_server, send):
    outcome = handle_inbound(_dsn("Mia@Example.org"))
    assert [(o.kind, o.email, o.changed) for o in outcome] == [("hard_bounce", "mia@example.org", True)]
    row = EmailSuppression.objects.get()
    assert row.reason == "hard_bounce" and row.source == "smtp_bounce"
    assert "5.1.1" in row.detail and "User unknown" in row.detail
    _invite(mia, send)
    assert smtp_server.received == []
    skipped = SkippedEmail.objects.get()
    assert skipped.email == "mia@example.org" and skipped.reason == "hard_bounce"
    assert skipped.subject
    # Even a transactional email is held back, and so is any topic.
    assert consent.may_send(mia, consent.TRANSACTIONAL) is False
    assert not consent.sendable(type(mia).objects.all(), consent.CAMPAIGNS).filter(pk=mia.pk).exists()


def test_a_soft_bounce_is_not_a_suppression(mia):
    [outcome] = handle_inbound(_dsn("mia@example.org", status="4.2.2", action="delayed"))
    assert outcome.kind == "soft_bounce"
    assert not EmailSuppression.objects.exists()


def test_the_command_reads_a_dsn_file_and_says_what_it_did(mia, tmp_path):
    message = tmp_path / "bounce.eml"
    message.write_bytes(_dsn("mia@example.org"))
    out = io.StringIO()
    call_command("mailing_inbound", str(message), stdout=out)
    assert "hard_bounce mia@example.org (new)" in out.getvalue()
    call_command("mailing_inbound", str(message), stdout=out)  # the same bounce again: one row
    assert "(unchanged)" in out.getvalue()
    assert EmailSuppression.objects.count() == 1


def test_an_abuse_report_is_a_complaint(mia):
    [outcome] = handle_inbound(_arf("mia@example.org"))
    assert outcome.kind == "complaint"
    assert EmailSuppression.objects.get().reason == "complaint"


def test_a_mailto_unsubscribe_request_stops_the_topic(mia):
    from tribu.privacy.actions import record_consent

    record_consent(mia, consent.NEWSLETTER, True)
    header = consent.list_unsubscribe_headers(mia, consent.NEWSLETTER)["List-Unsubscribe"]
    from urllib.parse import parse_qs, unquote, urlparse

    mailto = header.split(", ")[1].strip("<>")
    subject = parse_qs(urlparse(mailto).query)["subject"][0]
    request = EmailMessage()
    request["From"] = "mia@example.org"
    request["To"] = unquote(urlparse(mailto).path)
    request["Subject"] = subject
    [outcome] = handle_inbound(request.as_bytes())
    assert outcome.kind == "unsubscribe" and outcome.changed
    assert consent.is_subscribed(mia, consent.NEWSLETTER) is False
    assert not EmailSuppression.objects.exists()


def test_an_unrelated_message_is_ignored(db):
    message = EmailMessage()
    message["Subject"] = "Out of office"
    message.set_content("I am away")
    [outcome] = handle_inbound(message.as_bytes())
    assert outcome.kind == "ignored"
    assert not EmailSuppression.objects.exists()


# --- Provider webhooks through django-anymail -------------------------------------------------------


def _postmark(client, payload, **extra):
    return client.post(reverse("mailing:anymail_tracking", args=["postmark"]), json.dumps(payload),
                       content_type="application/json", **extra)


BOUNCE = {"RecordType": "Bounce", "Type": "HardBounce", "TypeCode": 1, "Email": "mia@example.org",
          "Description": "The server was unable to deliver your message", "Details": "smtp;550 5.1.1 unknown",
          "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483", "BouncedAt": "2026-11-23T10:00:00Z"}
COMPLAINT = {"RecordType": "SpamComplaint", "Type": "SpamComplaint", "TypeCode": 512, "Email": "mia@example.org",
             "Description": "", "MessageID": "883953f4-6105-42a2-a16a-77a8eac79484",
             "BouncedAt": "2026-11-23T10:00:00Z"}


@pytest.fixture
def webhook_auth(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    import base64

    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"hook:s3cret").decode()}


def test_a_provider_hard_bounce_suppresses_the_address(client, mia, webhook_auth):
    response = _postmark(client, BOUNCE, **webhook_auth)
    assert response.status_code == 200
    row = EmailSuppression.objects.get()
    assert (row.email, row.reason, row.source) == ("mia@example.org", "hard_bounce", "webhook:postmark")
    assert "unable to deliver" in row.detail


def test_a_provider_complaint_is_recorded_as_such(client, mia, webhook_auth):
    assert _postmark(client, COMPLAINT, **webhook_auth).status_code == 200
    assert EmailSuppression.objects.get().reason == "complaint"


def test_a_provider_soft_bounce_is_not_a_suppression(client, mia, webhook_auth):
    assert _postmark(client, {**BOUNCE, "Type": "SoftBounce", "TypeCode": 4096}, **webhook_auth).status_code == 200
    assert not EmailSuppression.objects.exists()


def test_webhooks_refuse_calls_without_the_secret(client, mia, webhook_auth):
    # anymail answers a refused call with a 400 (a bad request, not a page to log in to).
    assert _postmark(client, BOUNCE).status_code == 400
    assert _postmark(client, BOUNCE, HTTP_AUTHORIZATION="Basic d3Jvbmc6d3Jvbmc=").status_code == 400
    assert not EmailSuppression.objects.exists()


def test_webhooks_are_closed_until_a_secret_is_configured(client, mia, settings):
    settings.ANYMAIL_WEBHOOK_SECRET = ""
    settings.ANYMAIL = {}
    assert _postmark(client, BOUNCE).status_code == 404
    assert not EmailSuppression.objects.exists()


# --- Staff see the list and lift a suppression --------------------------------------------------------


def test_staff_see_why_and_lift_a_suppression_then_email_flows_again(client, bob, mia, smtp_server, send):
    handle_inbound(_dsn("mia@example.org"))
    _invite(mia, send)
    client.force_login(bob)
    page = client.get(reverse("mailing:suppressions"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "mia@example.org" in html and "Adresse en échec définitif" in html and "User unknown" in html
    assert "E-mails récemment non envoyés" in html
    row = EmailSuppression.objects.get()
    response = client.post(reverse("mailing:lift", args=[row.pk]), follow=True)
    assert "mia@example.org peut de nouveau recevoir des e-mails." in response.content.decode()
    row.refresh_from_db()
    assert row.lifted_at is not None and row.lifted_by == bob
    _invite(mia, send)
    [message] = smtp_server.received
    assert message["To"] == "mia@example.org"
    assert subject_of(message)
    # Lifting twice says so.
    again = client.post(reverse("mailing:lift", args=[row.pk]), follow=True)
    assert "déjà été levé" in again.content.decode()


def test_staff_add_an_address_by_hand(client, bob, db):
    client.force_login(bob)
    response = client.post(reverse("mailing:suppressions"),
                           {"email": "Someone@Example.org", "detail": "Asked by phone"})
    assert response.status_code == 302
    row = EmailSuppression.objects.get()
    assert (row.email, row.reason, row.created_by) == ("someone@example.org", "manual", bob)
    assert consent.is_suppressed("SOMEONE@example.org")
    bad = client.post(reverse("mailing:suppressions"), {"email": "not-an-address"})
    assert bad.status_code == 400
    assert "adresse e-mail valide" in bad.content.decode()
    assert EmailSuppression.objects.count() == 1


@pytest.mark.parametrize(("role", "status"), [("admin", 200), ("staff", 200), ("animator", 403), ("member", 403),
                                              ("guest", 403)])
def test_only_the_team_sees_and_changes_the_list(client, users_by_role, role, status):
    row = EmailSuppression.objects.create(email="x@example.org", reason="manual")
    client.force_login(users_by_role[role])
    assert client.get(reverse("mailing:suppressions")).status_code == status
    lift = client.post(reverse("mailing:lift", args=[row.pk]))
    assert lift.status_code == (302 if status == 200 else 403)
    add = client.post(reverse("mailing:suppressions"), {"email": "y@example.org"})
    assert add.status_code == (302 if status == 200 else 403)
    row.refresh_from_db()
    assert (row.lifted_at is not None) is (status == 200)
    assert EmailSuppression.objects.filter(email="y@example.org").exists() is (status == 200)


def test_the_list_page_runs_a_fixed_number_of_queries(client, bob, django_assert_max_num_queries):
    client.force_login(bob)
    client.get(reverse("mailing:suppressions"))
    for n in range(40):
        EmailSuppression.objects.create(email=f"gone{n}@example.org", reason="hard_bounce", created_by=bob)
        SkippedEmail.objects.create(email=f"gone{n}@example.org", subject="S", reason="hard_bounce")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("mailing:suppressions"))
    assert response.content.decode().count("gone") >= 40


def test_the_member_sees_on_their_preferences_that_email_is_stopped(client, mia):
    handle_inbound(_dsn("mia@example.org"))
    page = client.get(consent.preferences_url(mia).split("8000", 1)[1])
    assert "Les envois vers cette adresse sont suspendus" in page.content.decode()


def test_the_record_of_skipped_emails_is_kept_90_days(db):
    from datetime import timedelta

    from django.utils import timezone

    from tribu.mailing.jobs import forget_skipped_emails

    old = SkippedEmail.objects.create(email="a@example.org", subject="Old", reason="manual")
    recent = SkippedEmail.objects.create(email="a@example.org", subject="Recent", reason="manual")
    SkippedEmail.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    assert forget_skipped_emails() == 1
    assert forget_skipped_emails() == 0
    assert list(SkippedEmail.objects.values_list("pk", flat=True)) == [recent.pk]
