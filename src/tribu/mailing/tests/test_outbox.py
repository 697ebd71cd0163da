"""The embedded mode: a newsletter written to the outbox folder keeps its one-click headers and both
parts, the team reads it on the outbox page, and a suppressed address gets nothing there either."""

from __future__ import annotations

import email
import email.policy

from django.urls import reverse

from tribu.core.emails import send_templated_email_on_commit
from tribu.mailing import consent
from tribu.mailing.models import EmailSuppression
from tribu.privacy.actions import record_consent


def test_the_outbox_keeps_headers_and_parts_and_honours_suppressions(client, bob, mia, settings, tmp_path, send):
    settings.EMAIL_BACKEND = "tribu.core.mail.OutboxBackend"
    settings.OUTBOX_DIR = tmp_path
    record_consent(mia, consent.NEWSLETTER, True)
    send(send_templated_email_on_commit, mia, "imports/emails/invitation", {"url": "https://x.test/"},
         topic=consent.NEWSLETTER)
    [path] = tmp_path.glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["List-Unsubscribe"].startswith("<http://")  # not folded into encoded words
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None
    client.force_login(bob)
    listing = client.get(reverse("core:outbox")).content.decode()
    assert "mia@example.org" in listing
    detail = client.get(reverse("core:outbox_message", args=[path.stem])).content.decode()
    assert "https://x.test/" in detail

    EmailSuppression.objects.create(email="mia@example.org", reason="complaint")
    send(send_templated_email_on_commit, mia, "imports/emails/invitation", {"url": "https://x.test/"})
    assert len(list(tmp_path.glob("*.eml"))) == 1
