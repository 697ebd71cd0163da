"""The search page and the API: what a member sees, bad input, bounded queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from .conftest import make_comment, make_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def english_ui(settings):
    settings.LANGUAGE_CODE = "en"


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(reverse("search:index"), {"q": "vélo"})
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_page_shows_tabs_counts_highlights_and_filters(client, mia, anna, places):
    club = places["public"]
    post = make_post(anna, "Sortie <b>vélo</b> dimanche", title="Vélo au bord du lac", group=club, tags=["sport"])
    make_comment(post, mia, "Je prends mon vélo")
    client.force_login(mia)
    response = client.get(reverse("search:index"), {"q": "velo"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<mark>Vélo</mark> au bord du lac" in html
    assert "<b>" not in html and "<mark>vélo</mark>" in html
    assert 'aria-current="page">All <span class="count">2</span>' in html
    assert f"group={club.pk}" in html  # the groups facet
    assert f"author={anna.pk}" in html  # "by Anna" narrows to her
    response = client.get(reverse("search:index"), {"q": "velo", "kind": "comment"})
    assert "Comment on" in response.content.decode()
    assert "<mark>Vélo</mark> au bord du lac" in response.content.decode()


@pytest.mark.parametrize("typed", ['"', "NEAR(", "*", "((", "'; DROP TABLE x; --", "#", "x" * 1000])
def test_garbage_queries_get_a_friendly_message(client, mia, typed):
    make_post(mia, "Le marché de Noël", title="Marché")
    client.force_login(mia)
    response = client.get(reverse("search:index"), {"q": typed})
    assert response.status_code in {200, 400}
    html = response.content.decode()
    assert 'role="alert"' in html or "Nothing found" in html


def test_a_bad_date_is_reported_and_ignored(client, mia):
    make_post(mia, "Le marché de Noël", title="Marché")
    client.force_login(mia)
    response = client.get(reverse("search:index"), {"q": "marche", "from": "31/12/2026"})
    assert response.status_code == 200
    assert "is not a valid date" in response.content.decode()
    assert "<mark>Marché</mark>" in response.content.decode()


def test_the_page_runs_a_bounded_number_of_queries(client, mia, anna, places, django_assert_max_num_queries):
    for i in range(3):
        post = make_post(anna, f"Atelier couture {i}", title=f"Couture {i}", group=places["public"])
        make_comment(post, mia, f"Couture ensemble {i}")
    client.force_login(mia)
    client.get(reverse("search:index"), {"q": "couture"})
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("search:index"), {"q": "couture"})
    for i in range(3, 30):
        post = make_post(anna, f"Atelier couture {i}", title=f"Couture {i}", group=places["public"])
        make_comment(post, mia, f"Couture ensemble {i}")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as many:
        client.get(reverse("search:index"), {"q": "couture"})
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_api_answers_with_the_same_rules(client, mia, oscar, anna, places):
    make_post(anna, "Compte rendu confidentiel", title="Budget", group=places["private"])
    make_post(anna, "Compte rendu public", title="Fête", group=places["public"])
    client.force_login(oscar)
    data = client.get("/api/v1/search", {"q": "compte rendu"}).json()
    assert data["count"] == 1 and data["counts"] == {"post": 1}
    assert data["results"][0]["title"] == "Fête"
    assert "<mark>" in data["results"][0]["snippet_html"]
    client.force_login(anna)
    data = client.get("/api/v1/search", {"q": "compte", "group": places["private"].pk}).json()
    assert [r["title"] for r in data["results"]] == ["Budget"]


def test_the_api_refuses_empty_and_garbage_queries_with_a_message(client, mia):
    client.force_login(mia)
    response = client.get("/api/v1/search", {"q": '"'})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_query"
    assert client.get("/api/v1/search").status_code == 400
    assert client.get("/api/v1/search", {"q": "x", "kind": "nope"}).status_code == 422


def test_the_api_needs_an_account(client):
    assert client.get("/api/v1/search", {"q": "velo"}).status_code == 401
