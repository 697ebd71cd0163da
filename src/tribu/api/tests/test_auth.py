from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tribu.api.actions import create_token, revoke_token
from tribu.api.models import PersonalAccessToken


def assert_json_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["message"]
    if code:
        assert error["code"] == code
    return error


def test_a_bearer_token_identifies_its_owner(bearer, mia, mia_secret, django_assert_max_num_queries):
    client = bearer(mia_secret)
    with django_assert_max_num_queries(2):  # the token with its member, and last_used_at
        response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["email"] == "mia@example.org"


def test_only_a_hash_of_the_secret_is_stored(mia, mia_secret):
    token = PersonalAccessToken.objects.get(user=mia)
    assert mia_secret.startswith(f"tribu_{token.prefix}_")
    assert mia_secret not in {token.token_hash, token.prefix, token.name}
    assert len(token.token_hash) == 64


@pytest.mark.parametrize("secret", ["tribu_deadbeef_nope", "not-a-token", ""])
def test_an_unknown_token_is_a_401(bearer, db, secret):
    assert_json_error(bearer(secret).get("/api/v1/me"), 401)


def test_a_revoked_token_is_a_401(bearer, mia, mia_secret):
    token = PersonalAccessToken.objects.get(user=mia)
    revoke_token(mia, token.pk)
    assert_json_error(bearer(mia_secret).get("/api/v1/me"), 401, "token_revoked")


def test_an_expired_token_is_a_401(bearer, mia):
    token, secret = create_token(mia, "short", expires_in_days=1)
    now = timezone.now()
    PersonalAccessToken.objects.filter(pk=token.pk).update(
        created_at=now - timedelta(days=2), expires_at=now - timedelta(seconds=1)
    )
    assert_json_error(bearer(secret).get("/api/v1/me"), 401, "token_expired")


def test_a_deactivated_members_token_is_a_401(bearer, mia, mia_secret):
    mia.is_active = False
    mia.save(update_fields=["is_active"])
    assert_json_error(bearer(mia_secret).get("/api/v1/me"), 401)


def test_a_bad_token_does_not_fall_back_to_the_session(client, mia):
    client.force_login(mia)
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer tribu_x_y"})
    assert_json_error(response, 401)


def test_nobody_is_a_401(client, db):
    assert_json_error(client.get("/api/v1/me"), 401, "not_authenticated")


def test_last_used_is_written_at_most_once_a_minute(bearer, mia, mia_secret, django_assert_num_queries):
    client = bearer(mia_secret)
    client.get("/api/v1/me")
    token = PersonalAccessToken.objects.get(user=mia)
    first_use = token.last_used_at
    assert first_use is not None
    with django_assert_num_queries(1):  # the token lookup only, no write
        client.get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at == first_use
    PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=first_use - timedelta(minutes=2))
    client.get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at > first_use - timedelta(minutes=2)


def test_the_session_works_for_reading(client, mia):
    client.force_login(mia)
    assert client.get("/api/v1/me").json()["role"] == "member"


def test_a_session_post_without_csrf_is_a_403(mia):
    client = Client(enforce_csrf_checks=True)
    client.force_login(mia)
    response = client.post("/api/v1/me/tokens", {"name": "x"}, content_type="application/json")
    assert_json_error(response, 403, "csrf_failed")
    assert not PersonalAccessToken.objects.exists()


def test_a_session_post_with_csrf_works(mia):
    client = Client(enforce_csrf_checks=True)
    client.force_login(mia)
    client.get("/accounts/settings/tokens/")  # sets the csrftoken cookie
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/me/tokens", {"name": "x"}, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 201


def test_a_bearer_post_needs_no_csrf(mia, mia_secret):
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {mia_secret}"})
    response = client.post("/api/v1/me/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code == 201
