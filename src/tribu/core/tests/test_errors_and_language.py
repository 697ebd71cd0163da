from __future__ import annotations

from django.test import Client
from django.urls import reverse


def test_unknown_url_gets_a_branded_french_404(client, db):
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page introuvable" in body
    assert 'lang="fr"' in body
    assert "Tribu" in body


def test_unknown_url_in_english_for_an_english_visitor(client, db):
    client.cookies["tribu_language"] = "en"
    response = client.get("/nowhere/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_csrf_failure_is_a_translated_403(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("account_login"), {"login": "x@example.org", "password": "x"})
    assert response.status_code == 403
    assert "Ce formulaire a expiré" in response.content.decode()


def test_oversized_request_is_a_400_not_a_500(client, alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client.force_login(alice)
    response = client.post(reverse("core:community_settings"), {"tagline": "x" * 5000, "name": "n"})
    assert response.status_code == 400


def test_language_switch_sets_the_cookie_and_the_member_preference(client, mia):
    client.force_login(mia)
    response = client.post(reverse("core:set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["tribu_language"].value == "en"
    mia.refresh_from_db()
    assert mia.language == "en"
    page = client.get("/").content.decode()
    assert 'lang="en"' in page and "Hello Mia Membre" in page


def test_language_switch_refuses_an_unknown_language_and_an_outside_redirect(client, db):
    assert client.post(reverse("core:set_language"), {"language": "xx"}).status_code == 400
    response = client.post(reverse("core:set_language"), {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_dates_follow_the_language(client, mia):
    from tribu.core.activity import record

    record(mia, "account.updated", mia)
    client.force_login(mia)
    french = client.get("/").content.decode()
    assert "Aujourd’hui" in french or "Aujourd'hui" in french
    client.post(reverse("core:set_language"), {"language": "en"})
    english = client.get("/").content.decode()
    assert "Today is" in english


def test_a_member_s_own_language_wins_over_the_cookie(client, mia):
    mia.language = "en"
    mia.save(update_fields=["language"])
    client.force_login(mia)
    client.cookies["tribu_language"] = "fr"
    page = client.get("/").content.decode()
    assert 'lang="en"' in page and "Hello Mia Membre" in page
