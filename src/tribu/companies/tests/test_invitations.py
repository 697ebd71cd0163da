"""Invitations: a real email with a working link, accepting it (signed in or after signing up),
refusals that change nothing, withdrawal, the daily limit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tribu.accounts.models import User
from tribu.companies import actions
from tribu.companies.models import CompanyInvitation, CompanyMember
from tribu.core.models import Activity

from .conftest import attach, make_company, member


def subject_of(message) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["Subject"])))


def body_of(message) -> str:
    parts = list(message.walk()) if message.is_multipart() else [message]
    return "\n".join(
        p.get_payload(decode=True).decode() for p in parts if not p.is_multipart() and p.get_payload(decode=True)
    )


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/companies/invitations/[^\s\"<]+/)", body_of(message)).group(1)


def invite(client, contact, company, emails, capture):
    client.force_login(contact)
    with capture(execute=True):
        response = client.post(reverse("companies:invite", args=[company.slug]), {"emails": emails})
    client.logout()
    return response


def test_a_contact_invites_colleagues_and_each_gets_an_email_with_a_working_link(
    client, carla, forge, smtp_server, django_capture_on_commit_callbacks
):
    response = invite(client, carla, forge, "neo@example.org, Trinity@Example.org\nneo@example.org",
                      django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert sorted(m["To"] for m in smtp_server.received) == ["neo@example.org", "trinity@example.org"]
    mail = smtp_server.received[0]
    assert "La Forge du Léon vous invite à rejoindre" in subject_of(mail)
    assert "Carla Contact" in body_of(mail)
    assert "Pour accepter, ouvrez ce lien" in body_of(mail)  # the community speaks French by default
    path = link_in(mail)
    token = path.rstrip("/").rsplit("/", 1)[1]
    stored = CompanyInvitation.objects.get(email=mail["To"])
    assert token not in stored.token_hash and stored.token_hash == actions.hash_token(token)
    assert abs(stored.expires_at - stored.created_at - timedelta(days=14)) < timedelta(seconds=5)
    assert Activity.objects.filter(verb="company.invitation_sent", actor=carla).count() == 2

    neo = member("Neo", email=mail["To"])
    client.force_login(neo)
    page = client.get(path)
    assert page.status_code == 200 and "Rejoindre La Forge du Léon" in page.content.decode()
    joined = client.post(path)
    assert joined.status_code == 302 and joined["Location"] == reverse("companies:detail", args=[forge.slug])
    assert CompanyMember.objects.get(user=neo).company == forge
    assert Activity.objects.filter(verb="company.invitation_accepted", actor=neo).exists()
    stored.refresh_from_db()
    assert stored.accepted_by == neo


def test_the_invitation_email_speaks_the_community_language(
    client, carla, forge, smtp_server, django_capture_on_commit_callbacks
):
    from tribu.core.community import forget_community, get_community

    community = get_community()
    community.default_language = "en"
    community.save()
    forget_community()
    invite(client, carla, forge, "neo@example.org", django_capture_on_commit_callbacks)
    mail = smtp_server.received[0]
    assert "invites you to join" in subject_of(mail)
    assert "To accept, open this link" in body_of(mail)


def accept_path(company, contact, email="neo@example.org"):
    invitation = actions.invite_colleagues(contact, company, [email])[0]
    return reverse("companies:accept", args=[invitation.token]), invitation


def test_someone_new_signs_up_from_the_link_and_lands_in_the_company_after_verifying_their_email(
    client, carla, forge, smtp_server, django_capture_on_commit_callbacks
):
    path, _invitation = accept_path(forge, carla)
    page = client.get(path)
    assert page.status_code == 200
    signup_link = re.search(r'href="(/accounts/signup/\?next=[^"]+)"', page.content.decode()).group(1)
    assert "next=%2Fcompanies%2Finvitations%2F" in signup_link
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(signup_link.replace("&amp;", "&"), {
            "email": "neo@example.org", "display_name": "Neo Nouveau", "password1": "une-phrase-de-passe-solide",
            "password2": "une-phrase-de-passe-solide", "accept_charter": "on",
        })
    assert response.status_code == 302
    neo = User.objects.get(email="neo@example.org")
    assert not CompanyMember.objects.filter(user=neo).exists()  # not before the email is verified
    mail = smtp_server.received[-1]
    confirm = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", body_of(mail)).group(1)
    confirmed = client.post(confirm)
    assert confirmed.status_code == 302
    assert confirmed["Location"] == path  # back to the invitation, signed in
    landing = client.get(path)
    assert "Rejoindre La Forge du Léon" in landing.content.decode()
    client.post(path)
    assert CompanyMember.objects.get(user=neo).company == forge


def test_an_anonymous_visitor_is_offered_to_sign_up_or_log_in_and_nothing_changes(client, carla, forge):
    path, invitation = accept_path(forge, carla)
    response = client.post(path)
    assert response.status_code == 200
    assert "Créer mon compte" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


@pytest.mark.parametrize(
    ("spoil", "status", "message"),
    [
        (lambda i: CompanyInvitation.objects.filter(pk=i.pk).update(revoked_at=timezone.now()), 410, "retirée"),
        (lambda i: CompanyInvitation.objects.filter(pk=i.pk).update(expires_at=timezone.now()), 410, "expiré"),
        (lambda i: CompanyInvitation.objects.filter(pk=i.pk).update(accepted_at=timezone.now()), 400,
         "déjà été utilisée"),
    ],
)
def test_a_withdrawn_expired_or_used_invitation_is_refused_and_changes_nothing(
    client, carla, forge, mia, spoil, status, message
):
    path, invitation = accept_path(forge, carla)
    spoil(invitation)
    client.force_login(mia)
    for response in (client.get(path), client.post(path)):
        assert response.status_code == status
        assert message in response.content.decode()
    assert not CompanyMember.objects.filter(user=mia).exists()


def test_a_used_link_cannot_attach_a_second_person(client, carla, forge, mia, gina):
    path, _ = accept_path(forge, carla)
    client.force_login(mia)
    assert client.post(path).status_code == 302
    client.force_login(gina)
    response = client.post(path)
    assert response.status_code == 400
    assert not CompanyMember.objects.filter(user=gina).exists()


def test_an_unknown_token_is_a_400(client, mia):
    client.force_login(mia)
    response = client.get(reverse("companies:accept", args=["pas-un-vrai-jeton"]))
    assert response.status_code == 400
    assert "pas valide" in response.content.decode()


def test_a_member_of_another_company_is_clearly_refused(client, carla, forge, olga, atelier):
    path, invitation = accept_path(forge, carla, email=olga.email)
    client.force_login(olga)
    page = client.get(path)
    assert "Atelier Faïence" in page.content.decode()
    response = client.post(path)
    assert response.status_code == 400
    assert "déjà rattaché" in response.content.decode()
    assert CompanyMember.objects.get(user=olga).company == atelier
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_a_contact_sees_and_withdraws_pending_invitations(client, carla, forge):
    path, invitation = accept_path(forge, carla)
    client.force_login(carla)
    page = client.get(reverse("companies:people", args=[forge.slug]))
    assert "neo@example.org" in page.content.decode()
    response = client.post(reverse("companies:revoke_invitation", args=[forge.slug, invitation.pk]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert "Aucune invitation en attente" in client.get(reverse("companies:people", args=[forge.slug])).content.decode()
    assert client.get(path).status_code == 410


def test_the_contact_of_another_company_cannot_withdraw_an_invitation(client, carla, forge, olga, atelier):
    _, invitation = accept_path(forge, carla)
    client.force_login(olga)
    assert client.post(reverse("companies:revoke_invitation", args=[forge.slug, invitation.pk])).status_code == 403
    assert client.post(reverse("companies:revoke_invitation", args=[atelier.slug, invitation.pk])).status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_inviting_again_replaces_the_old_link(carla, forge):
    first = actions.invite_colleagues(carla, forge, ["neo@example.org"])[0]
    second = actions.invite_colleagues(carla, forge, ["NEO@example.org"])[0]
    first.refresh_from_db()
    assert first.revoked_at is not None and second.revoked_at is None
    assert CompanyInvitation.objects.filter(company=forge, revoked_at__isnull=True).count() == 1


def test_bad_addresses_and_colleagues_already_attached_are_refused_with_reasons(client, carla, cole, forge):
    client.force_login(carla)
    url = reverse("companies:invite", args=[forge.slug])
    response = client.post(url, {"emails": "neo@example.org, pas-une-adresse"})
    assert response.status_code == 400
    assert "pas-une-adresse\u00a0» n’est pas une adresse e-mail valide" in response.content.decode()
    response = client.post(reverse("companies:invite", args=[forge.slug]), {"emails": cole.email})
    assert response.status_code == 400
    assert not CompanyInvitation.objects.exists()


def test_invitations_are_limited_per_contact_and_per_day(client, carla, forge, olga, atelier):
    client.force_login(carla)
    emails = ", ".join(f"p{n}@example.org" for n in range(actions.INVITATIONS_PER_DAY))
    assert client.post(reverse("companies:invite", args=[forge.slug]), {"emails": emails}).status_code == 302
    response = client.post(reverse("companies:invite", args=[forge.slug]), {"emails": "one-more@example.org"})
    assert response.status_code == 429
    assert "demain" in response.content.decode()
    assert CompanyInvitation.objects.filter(company=forge).count() == actions.INVITATIONS_PER_DAY
    # Another contact has their own allowance.
    client.force_login(olga)
    assert client.post(reverse("companies:invite", args=[atelier.slug]), {"emails": "x@example.org"}).status_code == 302


def test_a_member_leaves_their_company(client, cole, forge):
    client.force_login(cole)
    assert client.post(reverse("companies:leave")).status_code == 302
    assert not CompanyMember.objects.filter(user=cole).exists()


def test_the_api_invites_and_lists_pending_invitations(client, carla, forge, smtp_server,
                                                        django_capture_on_commit_callbacks):
    client.force_login(carla)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/companies/{forge.slug}/invitations",
                               data={"emails": ["neo@example.org"]}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()[0]["email"] == "neo@example.org"
    assert len(smtp_server.received) == 1
    listed = client.get(f"/api/v1/companies/{forge.slug}/invitations").json()
    assert [i["email"] for i in listed] == ["neo@example.org"]
    bad = client.post(f"/api/v1/companies/{forge.slug}/invitations",
                      data={"emails": ["nope"]}, content_type="application/json")
    assert bad.status_code == 422
    assert "emails" in bad.json()["error"]["details"]


def test_a_second_company_keeps_its_own_people(carla, forge):
    other = make_company("Menuiserie Kerlann")
    neo = member("Neo")
    attach(neo, other)
    with pytest.raises(Exception):  # noqa: B017 - ValidationError from the action
        actions.attach_member(carla, forge, neo)
