from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from tribu.api.actions import create_token
from tribu.api.models import PersonalAccessToken

URL = "/accounts/settings/tokens/"


def test_the_page_needs_a_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_page_shows_the_secret_once(client, mia, django_assert_max_num_queries):
    assert reverse("api:tokens") == URL
    client.force_login(mia)
    response = client.post(URL, {"name": "Backup script", "expires_in_days": "90"})
    assert response.status_code == 200
    token = PersonalAccessToken.objects.get(user=mia)
    html = response.content.decode()
    secret = html.split('id="token-secret" type="text" readonly value="')[1].split('"')[0]
    assert secret.startswith(f"tribu_{token.prefix}_")
    assert response["Cache-Control"] == "no-store"
    assert Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/me").json()["id"] == mia.pk
    client.get(URL)  # the first request of a session records it (allauth usersessions)
    with django_assert_max_num_queries(12):
        again = client.get(URL).content.decode()
    assert secret not in again
    assert "Backup script" in again and token.prefix in again


def test_the_list_costs_the_same_whatever_its_length(client, mia, django_assert_max_num_queries):
    create_token(mia, "first")
    client.force_login(mia)
    client.get(URL)
    with django_assert_max_num_queries(12) as few:
        client.get(URL)
    for i in range(10):
        create_token(mia, f"t{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "t9" in client.get(URL).content.decode()


def test_bad_input_is_a_400_with_a_message(client, mia):
    client.force_login(mia)
    response = client.post(URL, {"name": " ", "expires_in_days": "-3"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="errors"' in html
    assert not PersonalAccessToken.objects.exists()


def test_a_member_revokes_a_token_from_the_page(client, mia):
    token, secret = create_token(mia, "old")
    client.force_login(mia)
    response = client.post(reverse("api:revoke", args=[token.pk]))
    assert response.status_code == 302
    assert Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/me").status_code == 401
    assert "old" not in client.get(URL).content.decode().split("<h2>")[1]


def test_revoking_someone_elses_token_is_a_400_and_changes_nothing(client, mia, anna):
    token, _secret = create_token(anna, "Anna's")
    client.force_login(mia)
    assert client.post(reverse("api:revoke", args=[token.pk])).status_code == 400
    token.refresh_from_db()
    assert token.revoked_at is None
    assert client.get(reverse("api:revoke", args=[token.pk])).status_code == 405


def test_a_guest_sees_the_page_but_cannot_create(client, gina):
    client.force_login(gina)
    page = client.get(URL)
    assert page.status_code == 200
    assert 'name="expires_in_days"' not in page.content.decode()
    assert client.post(URL, {"name": "x"}).status_code == 403
    assert not PersonalAccessToken.objects.exists()


def test_the_command_prints_a_working_token(mia):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "token", "create", "--email", "MIA@example.org", "--name", "cron", "--expires-days", "7", stdout=out, stderr=err
    )
    secret = out.getvalue().strip()
    assert "\n" not in secret and secret.startswith("tribu_")
    assert Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/me").json()["email"] == mia.email
    prefix = secret.split("_")[1]
    call_command("token", "revoke", "--email", mia.email, "--prefix", prefix, stdout=out, stderr=err)
    assert Client(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/me").status_code == 401


def test_the_command_refuses_an_unknown_email(db):
    with pytest.raises(CommandError, match=r"nobody@example\.org"):
        call_command("token", "create", "--email", "nobody@example.org")


def test_the_cli_exits_1_with_the_error_on_stderr(db, capsys):
    from tribu.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["tribu", "token", "create", "--email", "nobody@example.org"])
    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "nobody@example.org" in captured.err
