"""Writing to a member through the directory: delivered over SMTP, addresses kept private,
rate-limited, recorded without the message."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tribu.core.models import Activity
from tribu.directory.actions import CONTACT_LIMITS

from .conftest import add_member

ROLES = ["admin", "staff", "animator", "member", "guest"]
MESSAGE = {"subject": "Projet commun", "message": "Bonjour, j'ai vu votre profil : parlons marqueterie !"}


def url(user) -> str:
    return reverse("directory:contact", args=[user.pk])


def body_of(message) -> str:
    parts = [message]
    if message.is_multipart():
        parts = list(message.walk())
    return "\n".join(
        p.get_payload(decode=True).decode() for p in parts if not p.is_multipart() and p.get_payload(decode=True)
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_role_can_write_to_a_listed_member_over_smtp(
    client, indexed_roles, role, smtp_server, django_capture_on_commit_callbacks
):
    sender = indexed_roles[role]
    recipient = add_member("Rita Receveuse", job_title="Ébéniste")
    client.force_login(sender)
    page = client.get(url(recipient))
    assert page.status_code == 200
    assert recipient.email not in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(recipient), MESSAGE)
    assert response.status_code == 302
    assert len(smtp_server.received) == 1
    mail = smtp_server.received[0]
    assert mail["To"] == recipient.email
    assert "Projet commun" in mail["Subject"]
    assert sender.name in mail["Subject"]
    text = body_of(mail)
    assert "parlons marqueterie" in text
    assert sender.email not in mail.as_string()
    assert mail["Reply-To"] is None
    activity = Activity.objects.get(verb="member.contacted")
    assert activity.actor == sender
    assert activity.target_id == str(recipient.pk)
    assert "marqueterie" not in str(activity.data) and "Projet" not in str(activity.data)


def test_the_sender_may_choose_to_share_their_address(client, mia, smtp_server, django_capture_on_commit_callbacks):
    recipient = add_member("Rita Receveuse")
    client.force_login(mia)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(recipient), {**MESSAGE, "allow_reply": "on"})
    mail = smtp_server.received[0]
    assert mail["Reply-To"] == mia.email
    assert mia.email in body_of(mail)


def test_the_email_speaks_the_recipients_language(client, mia, smtp_server, django_capture_on_commit_callbacks):
    recipient = add_member("Rita Receveuse")
    recipient.language = "en"
    recipient.save(update_fields=["language"])
    client.force_login(mia)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(recipient), MESSAGE)
    mail = smtp_server.received[0]
    assert "wrote to you" in mail["Subject"]
    assert "did not share their email address" in body_of(mail)


def test_hidden_deactivated_and_unknown_members_cannot_be_contacted(client, indexed_roles):
    hidden = add_member("Cachée Camille", hidden=True)
    gone = add_member("Ancien Arthur", is_active=False)
    for role, viewer in indexed_roles.items():
        client.force_login(viewer)
        for target in (hidden, gone):
            assert client.get(url(target)).status_code == 404, role
            assert client.post(url(target), MESSAGE).status_code == 404, role
        assert client.get("/members/999999/contact/").status_code == 404
    assert not Activity.objects.filter(verb="member.contacted").exists()


def test_nobody_writes_to_themselves_and_anonymous_visitors_log_in(client, mia):
    add_member("Mia Membre", user=mia)
    assert client.get(url(mia)).status_code == 302
    client.force_login(mia)
    assert client.get(url(mia)).status_code == 403


def test_a_bad_message_is_a_400_with_the_reason(client, mia):
    recipient = add_member("Rita Receveuse")
    client.force_login(mia)
    response = client.post(url(recipient), {"subject": "", "message": "court"})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    response = client.post(url(recipient), {"subject": "x" * 151, "message": "y" * 5001})
    assert response.status_code == 400
    assert not Activity.objects.filter(verb="member.contacted").exists()


def test_senders_are_limited_per_hour_with_a_translated_429(
    client, mia, smtp_server, django_capture_on_commit_callbacks
):
    per_hour = CONTACT_LIMITS[0][1]
    recipients = [add_member(f"Destinataire {i}") for i in range(per_hour + 1)]
    client.force_login(mia)
    with django_capture_on_commit_callbacks(execute=True):
        for recipient in recipients[:per_hour]:
            assert client.post(url(recipient), MESSAGE).status_code == 302
        refused = client.post(url(recipients[-1]), MESSAGE, HTTP_ACCEPT_LANGUAGE="fr")
    assert refused.status_code == 429
    assert "Trop de messages" in refused.content.decode()
    assert len(smtp_server.received) == per_hour
    assert Activity.objects.filter(verb="member.contacted", actor=mia).count() == per_hour


def test_the_daily_limit_counts_older_messages(client, mia):
    from datetime import timedelta

    from django.utils import timezone

    per_day = CONTACT_LIMITS[1][1]
    recipient = add_member("Rita Receveuse")
    earlier = timezone.now() - timedelta(hours=3)
    Activity.objects.bulk_create(
        [Activity(actor=mia, verb="member.contacted", target_id=str(recipient.pk)) for _ in range(per_day)]
    )
    Activity.objects.filter(verb="member.contacted").update(created_at=earlier)
    client.force_login(mia)
    response = client.post(url(recipient), MESSAGE)
    assert response.status_code == 429
    Activity.objects.filter(verb="member.contacted").update(created_at=earlier - timedelta(days=1))
    assert client.post(url(recipient), MESSAGE).status_code == 302
