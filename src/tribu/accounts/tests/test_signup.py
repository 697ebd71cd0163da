"""Signing up, verifying the email, logging in: what a newcomer goes through."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from tribu.accounts.models import User
from tribu.core.models import Activity

GOOD = {
    "email": "Zoe@Example.org",
    "display_name": "Zoé Martin",
    "password1": "une-phrase-de-passe-solide",
    "password2": "une-phrase-de-passe-solide",
    "accept_charter": "on",
}


def test_signup_sends_a_verification_email_over_smtp_and_the_link_logs_in(
    client, db, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_signup"), GOOD)
    assert response.status_code == 302
    user = User.objects.get(email__iexact="zoe@example.org")
    assert user.display_name == "Zoé Martin"
    assert user.role == "member"
    assert user.charter_accepted_at is not None
    assert Activity.objects.filter(verb="charter.accepted", actor=user).exists()

    assert len(smtp_server.received) == 1
    message = smtp_server.received[0]
    part = message.get_payload(0) if message.is_multipart() else message
    body = part.get_payload(decode=True).decode()
    assert message["Subject"] == "Confirmez votre adresse e-mail"
    path = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", body).group(1)
    page = client.get(path)
    assert page.status_code == 200
    confirmed = client.post(path)
    assert confirmed.status_code == 302
    assert EmailAddress.objects.get(user=user).verified


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": "pas-un-email"}, "adresse e-mail valide"),
        ({"password1": "123", "password2": "123"}, "trop court"),
        ({"accept_charter": ""}, "accepter la charte"),
        ({"password2": "autre-chose-encore"}, "même mot de passe"),
    ],
)
def test_bad_signups_are_refused_in_french_and_nothing_is_created(client, db, change, message):
    data = {**GOOD, **change}
    if not data["accept_charter"]:
        data.pop("accept_charter")
    response = client.post(reverse("account_signup"), data)
    assert response.status_code in (200, 400)
    assert message in response.content.decode()
    assert not User.objects.exists()


def test_a_duplicate_email_is_refused(client, mia):
    response = client.post(reverse("account_signup"), {**GOOD, "email": "MIA@example.org"})
    assert response.status_code == 400
    assert "utilise déjà cette adresse e-mail" in response.content.decode()
    assert User.objects.filter(email__iexact="mia@example.org").count() == 1


def test_login_is_rate_limited_after_repeated_failures(client, mia):
    for _ in range(6):
        wrong = client.post(reverse("account_login"), {"login": "mia@example.org", "password": "wrong"})
        assert wrong.status_code == 400
    # Even the right password is refused for a while now, with a clear French message.
    right = client.post(
        reverse("account_login"), {"login": "mia@example.org", "password": "correct horse battery"}
    )
    assert right.status_code in (400, 429)
    assert "Trop de tentatives" in right.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_verified_member_logs_in_and_out(client, mia):
    response = client.post(
        reverse("account_login"), {"login": "mia@example.org", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert "Mia Membre" in client.get("/").content.decode()
    client.post(reverse("account_logout"))
    assert "Rejoindre la communauté" in client.get("/").content.decode()


def test_admins_must_set_up_two_factor_when_the_community_requires_it(client, alice, mia):
    from tribu.core.community import forget_community
    from tribu.core.models import Community

    Community.objects.update_or_create(pk=1, defaults={"require_admin_2fa": True})
    forget_community()
    client.force_login(alice)
    response = client.get(reverse("core:admin_home"))
    assert response.status_code == 302
    assert "/accounts/2fa/" in response["Location"]
    client.force_login(mia)
    assert client.get("/").status_code == 200


def test_account_settings_validate_and_save(client, mia):
    client.force_login(mia)
    bad = client.post(reverse("accounts:settings"), {"display_name": " ", "time_zone": "Nowhere/Land"})
    assert bad.status_code == 400
    good = client.post(
        reverse("accounts:settings"), {"display_name": "Mia M.", "language": "en", "time_zone": "Europe/Brussels"}
    )
    assert good.status_code == 302
    mia.refresh_from_db()
    assert (mia.display_name, mia.language, mia.time_zone) == ("Mia M.", "en", "Europe/Brussels")


def test_password_reset_mail_arrives_and_a_wrong_link_is_a_clear_400(
    client, mia, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": "mia@example.org"})
    assert response.status_code == 302
    assert len(smtp_server.received) == 1
    message = smtp_server.received[0]
    part = message.get_payload(0) if message.is_multipart() else message
    body = part.get_payload(decode=True).decode()
    path = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/[^\s]+/)", body).group(1)
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    done = client.post(
        form_page.request["PATH_INFO"],
        {"password1": "un-tout-nouveau-secret", "password2": "un-tout-nouveau-secret"},
    )
    assert done.status_code == 302
    mia.refresh_from_db()
    assert mia.check_password("un-tout-nouveau-secret")

    wrong = client.get("/accounts/password/reset/key/zz-bad-token/", follow=True)
    assert wrong.status_code == 400
    assert "invalide" in wrong.content.decode()


def test_a_wrong_email_confirmation_link_is_a_clear_400(client, db):
    response = client.get("/accounts/confirm-email/not-a-real-key/")
    assert response.status_code == 400
    assert "a expiré ou n'est pas valide" in response.content.decode()


def test_sessions_and_two_factor_pages_are_for_signed_in_members(client, mia):
    assert client.get(reverse("usersessions_list")).status_code == 302
    client.force_login(mia)
    for name in ("usersessions_list", "mfa_index", "account_email", "account_change_password"):
        assert client.get(reverse(name)).status_code == 200, name
