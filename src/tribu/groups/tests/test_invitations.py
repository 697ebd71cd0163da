"""Invitations into a group: real emails with working links, for members and for people who sign up
through the link, refusals that change nothing, withdrawal, bulk from a CSV, the daily limit."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tribu.accounts.models import User
from tribu.core.models import Activity, Notification
from tribu.feed.models import Post
from tribu.groups import invitations
from tribu.groups.models import GroupInvitation, GroupMembership

pytestmark = pytest.mark.django_db


def body_of(message) -> str:
    parts = list(message.walk()) if message.is_multipart() else [message]
    return "\n".join(
        p.get_payload(decode=True).decode() for p in parts if not p.is_multipart() and p.get_payload(decode=True)
    )


def subject_of(message) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["Subject"])))


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/groups/invitations/[^\s\"<]+/)", body_of(message)).group(1)


def test_an_animator_invites_a_member_and_a_newcomer_to_a_private_group_by_email(
    client, anna, mia, secret, smtp_server, django_capture_on_commit_callbacks
):
    client.force_login(anna)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/groups/{secret.slug}/invite/",
                               {"emails": "MIA@example.org; neo@example.org\nneo@example.org"})
    assert response.status_code == 302
    assert sorted(m["To"] for m in smtp_server.received) == ["mia@example.org", "neo@example.org"]
    for mail in smtp_server.received:
        assert "Comité secret" in subject_of(mail)
        assert "Anna Animatrice" in body_of(mail)
        assert mail.is_multipart() and len([p for p in mail.walk() if p.get_content_type() == "text/html"]) == 1
    assert Notification.objects.filter(recipient=mia, kind="groups.invited").exists()
    assert Activity.objects.filter(verb="group.invitation_sent", actor=anna, group=secret).count() == 2
    # Mia follows the link and joins the private group in one click.
    mail = next(m for m in smtp_server.received if m["To"] == "mia@example.org")
    path = link_in(mail)
    client.force_login(mia)
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 302
    assert GroupMembership.objects.filter(group=secret, user=mia, source="invitation").exists()
    assert client.get(f"/groups/{secret.slug}/").status_code == 200
    assert Post.objects.filter(group=secret, kind="welcome", mentions=mia).exists()


def test_someone_new_signs_up_through_the_link_and_lands_in_the_group(
    client, anna, secret, smtp_server, django_capture_on_commit_callbacks
):
    result = invitations.invite(anna, secret, ["neo@example.org"])
    path = f"/groups/invitations/{result.sent[0].token}/"
    page = client.get(path)
    assert page.status_code == 200
    signup_link = re.search(r'href="(/accounts/signup/\?next=[^"]+)"', page.content.decode()).group(1)
    assert "next=%2Fgroups%2Finvitations%2F" in signup_link
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(signup_link.replace("&amp;", "&"), {
            "email": "neo@example.org", "display_name": "Neo Nouveau", "password1": "une-phrase-de-passe-solide",
            "password2": "une-phrase-de-passe-solide", "accept_charter": "on",
        })
    assert response.status_code == 302
    neo = User.objects.get(email="neo@example.org")
    confirm = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", body_of(smtp_server.received[-1]))
    confirmed = client.post(confirm.group(1))
    assert confirmed["Location"] == path
    client.post(path)
    assert GroupMembership.objects.filter(group=secret, user=neo).exists()


@pytest.mark.parametrize(
    ("spoil", "status"),
    [
        (lambda i: GroupInvitation.objects.filter(pk=i.pk).update(revoked_at=timezone.now()), 410),
        (lambda i: GroupInvitation.objects.filter(pk=i.pk).update(expires_at=timezone.now()), 410),
        (lambda i: GroupInvitation.objects.filter(pk=i.pk).update(accepted_at=timezone.now()), 400),
    ],
)
def test_a_withdrawn_expired_or_used_invitation_is_refused_and_changes_nothing(client, anna, mia, secret, spoil,
                                                                                status):
    invitation = invitations.invite(anna, secret, ["mia@example.org"]).sent[0]
    spoil(invitation)
    client.force_login(mia)
    response = client.post(f"/groups/invitations/{invitation.token}/")
    assert response.status_code == status
    assert not GroupMembership.objects.filter(group=secret, user=mia).exists()
    api = client.post(f"/api/v1/group-invitations/{invitation.token}/accept")
    assert api.status_code == status
    assert client.get(f"/groups/{secret.slug}/").status_code == 404


def test_a_guessed_token_is_refused(client, mia):
    client.force_login(mia)
    assert client.get("/groups/invitations/not-a-token/").status_code == 400


def test_animators_withdraw_invitations_and_invite_in_bulk_from_a_csv(client, anna, secret):
    client.force_login(anna)
    csv_file = SimpleUploadedFile("people.csv", b"name;email\nNeo;neo@example.org\nTrin;trin@example.org\n",
                                  content_type="text/csv")
    response = client.post(f"/groups/{secret.slug}/invite/", {"emails": "", "csv_file": csv_file})
    assert response.status_code == 302
    assert set(GroupInvitation.objects.values_list("email", flat=True)) == {"neo@example.org", "trin@example.org"}
    invitation = GroupInvitation.objects.get(email="neo@example.org")
    page = client.get(f"/groups/{secret.slug}/invite/")
    assert b"neo@example.org" in page.content
    assert client.post(f"/groups/{secret.slug}/invitations/{invitation.pk}/revoke/").status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_invitations_are_rate_limited_per_sender(client, anna, secret, monkeypatch):
    from dataclasses import replace

    monkeypatch.setattr(invitations, "ALLOWANCE", replace(invitations.ALLOWANCE, per_day=3))
    client.force_login(anna)
    assert client.post(f"/groups/{secret.slug}/invite/", {"emails": "a@example.org b@example.org"}).status_code == 302
    response = client.post(f"/groups/{secret.slug}/invite/", {"emails": "c@example.org d@example.org"})
    assert response.status_code == 429
    assert GroupInvitation.objects.count() == 2
    api = client.post(f"/api/v1/groups/{secret.slug}/invitations", {"emails": ["e@example.org", "f@example.org"]},
                      content_type="application/json")
    assert api.status_code == 429
    assert GroupInvitation.objects.count() == 2


def test_bad_addresses_are_refused_with_a_clear_message_and_nothing_is_sent(client, anna, secret):
    client.force_login(anna)
    response = client.post(f"/groups/{secret.slug}/invite/", {"emails": "not-an-address@"})
    assert response.status_code == 400
    assert GroupInvitation.objects.count() == 0
