from __future__ import annotations

import json

import pytest

from tribu.api.actions import create_token
from tribu.api.models import PersonalAccessToken
from tribu.core.models import Activity

from .conftest import french_catalogue_ready
from .test_auth import assert_json_error


@pytest.mark.parametrize("role", ["admin", "staff", "animator", "member", "guest"])
def test_every_role_reads_me(client, users_by_role, role):
    user = users_by_role[role]
    client.force_login(user)
    body = client.get("/api/v1/me").json()
    assert body == {
        "id": user.pk,
        "email": user.email,
        "name": user.name,
        "display_name": user.display_name,
        "role": role,
        "language": "",
        "time_zone": "",
    }


def test_a_member_changes_their_name_language_and_time_zone(bearer, mia, mia_secret):
    response = bearer(mia_secret).patch(
        "/api/v1/me",
        {"display_name": "Mia M.", "language": "en", "time_zone": "Europe/Brussels"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Mia M."
    mia.refresh_from_db()
    assert (mia.display_name, mia.language, mia.time_zone) == ("Mia M.", "en", "Europe/Brussels")
    assert Activity.objects.filter(verb="account.updated", actor=mia).exists()


def test_a_member_cannot_promote_themselves(bearer, mia, mia_secret):
    response = bearer(mia_secret).patch(
        "/api/v1/me", {"role": "admin", "email": "boss@example.org"}, content_type="application/json"
    )
    assert response.status_code == 200
    mia.refresh_from_db()
    assert (mia.role, mia.email) == ("member", "mia@example.org")


@pytest.mark.parametrize(
    ("language", "cookie", "expected"),
    [("fr", None, "Langue inconnue"), ("en", None, "Unknown language"), ("", "en", "Unknown language")],
)
def test_a_bad_language_is_a_translated_422(client, mia, language, cookie, expected):
    if language == "fr" and not french_catalogue_ready("Unknown language. Choose one of: %(choices)s."):
        pytest.xfail("the French catalogue for tribu.api is not written yet")
    mia.language = language
    mia.save(update_fields=["language"])
    client.force_login(mia)
    if cookie:
        client.cookies["tribu_language"] = cookie
    response = client.patch("/api/v1/me", {"language": "klingon"}, content_type="application/json")
    error = assert_json_error(response, 422, "validation_error")
    assert expected in error["details"]["language"][0], error
    mia.refresh_from_db()
    assert mia.language == language


def test_the_generic_error_message_is_translated_too(client, mia):
    if not french_catalogue_ready("Some values are not valid."):
        pytest.xfail("the French catalogue for tribu.api is not written yet")
    mia.language = "fr"
    mia.save(update_fields=["language"])
    client.force_login(mia)
    error = assert_json_error(
        client.patch("/api/v1/me", {"time_zone": "Mars/Olympus"}, content_type="application/json"), 422
    )
    assert error["message"] == "Certaines valeurs ne sont pas valides."
    assert "time_zone" in error["details"]


def test_a_blank_name_is_a_422_and_broken_json_a_400(client, mia):
    client.force_login(mia)
    error = assert_json_error(client.patch("/api/v1/me", {"display_name": "  "}, content_type="application/json"), 422)
    assert "display_name" in error["details"]
    assert_json_error(client.patch("/api/v1/me", "{not json", content_type="application/json"), 400)
    mia.refresh_from_db()
    assert mia.display_name == "Mia Membre"


def test_the_community_is_public(client, db):
    body = client.get("/api/v1/community").json()
    assert body["name"] == "Tribu"
    assert body["primary_colour"].startswith("#")
    assert body["logo_url"] is None and body["default_language"] == "fr"


def test_a_member_creates_lists_and_revokes_tokens(bearer, mia, mia_secret):
    client = bearer(mia_secret)
    created = client.post("/api/v1/me/tokens", {"name": "CI", "expires_in_days": 30}, content_type="application/json")
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert bearer(secret).get("/api/v1/me").status_code == 200
    listed = client.get("/api/v1/me/tokens").json()
    assert listed["count"] == 2
    assert "secret" not in listed["results"][0]
    assert {t["name"] for t in listed["results"]} == {"CI", "Mia's script"}
    response = client.delete(f"/api/v1/me/tokens/{created.json()['id']}")
    assert response.status_code == 204
    assert_json_error(bearer(secret).get("/api/v1/me"), 401, "token_revoked")
    assert client.get("/api/v1/me/tokens").json()["count"] == 1
    verbs = set(Activity.objects.filter(actor=mia).values_list("verb", flat=True))
    assert {"api.token_created", "api.token_revoked"} <= verbs


def test_bad_token_input_is_a_422(bearer, mia_secret):
    client = bearer(mia_secret)
    error = assert_json_error(client.post("/api/v1/me/tokens", {}, content_type="application/json"), 422)
    assert "name" in error["details"]
    error = assert_json_error(
        client.post("/api/v1/me/tokens", {"name": "x", "expires_in_days": 0}, content_type="application/json"), 422
    )
    assert "expires_in_days" in error["details"]


def test_a_guest_cannot_create_tokens(client, gina):
    client.force_login(gina)
    assert client.get("/api/v1/me").status_code == 200
    assert_json_error(client.post("/api/v1/me/tokens", {"name": "x"}, content_type="application/json"), 403)
    assert not PersonalAccessToken.objects.exists()


def test_nobody_deletes_someone_elses_token(bearer, mia, mia_secret, anna):
    token, anna_secret = create_token(anna, "Anna's")
    assert_json_error(bearer(mia_secret).delete(f"/api/v1/me/tokens/{token.pk}"), 404, "not_found")
    assert bearer(anna_secret).get("/api/v1/me").status_code == 200


def test_pagination_links_walk_the_list(bearer, mia, mia_secret, settings, django_assert_max_num_queries):
    settings.TRIBU_API_PAGE_SIZE = 2
    for i in range(4):
        create_token(mia, f"t{i}")
    client = bearer(mia_secret)
    with django_assert_max_num_queries(4):
        first = client.get("/api/v1/me/tokens").json()
    assert first["count"] == 5 and len(first["results"]) == 2
    assert first["previous"] is None
    assert "page=2" in first["next"]
    second = client.get(first["next"]).json()
    assert "page=1" in second["previous"] and "page=3" in second["next"]
    third = client.get(second["next"]).json()
    assert len(third["results"]) == 1 and third["next"] is None
    seen = [t["name"] for page in (first, second, third) for t in page["results"]]
    assert len(set(seen)) == 5
    big = client.get("/api/v1/me/tokens?page_size=1000").json()
    assert len(big["results"]) == 2  # capped by TRIBU_API_PAGE_SIZE
    assert_json_error(client.get("/api/v1/me/tokens?page=9"), 404, "invalid_page")
    assert_json_error(client.get("/api/v1/me/tokens?page=0"), 422)


def test_the_openapi_schema_lists_the_endpoints(client, db):
    response = client.get("/api/v1/openapi.json")
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    for p in ["/api/v1/me", "/api/v1/me/tokens", "/api/v1/me/tokens/{token_id}", "/api/v1/community"]:
        assert p in schema["paths"]
    assert {"BearerTokenAuth", "SessionAuth"} <= set(schema["components"]["securitySchemes"])
    assert "ErrorOut" in schema["components"]["schemas"]


def test_the_docs_page_loads_its_scripts_from_the_site_under_the_csp(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "/static/ninja/swagger-ui-init.js" in html
    assert "cdn" not in html.lower()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/me/tokens/abc/extra", "/api/v1/me/"])
def test_an_unknown_api_path_is_a_json_404(client, db, path):
    assert_json_error(client.get(path), 404, "not_found")


def test_an_unknown_method_is_a_json_405(client, mia):
    client.force_login(mia)
    error = assert_json_error(client.put("/api/v1/me"), 405, "method_not_allowed")
    assert set(error["details"]["allowed"]) == {"GET", "PATCH"}


def test_the_api_root_points_to_the_docs(client, db):
    body = client.get("/api/v1/").json()
    assert body["docs"].endswith("/api/v1/docs")


def test_too_many_requests_is_a_json_429(client, db, monkeypatch):
    from ninja.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "allow_request", lambda self, request: False)
    monkeypatch.setattr(SimpleRateThrottle, "wait", lambda self: 12.0)
    response = client.get("/api/v1/community")
    assert_json_error(response, 429, "rate_limited")
    assert response["Retry-After"] == "12"
