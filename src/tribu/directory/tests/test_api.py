"""GET /api/v1/directory/members: the page's visibility rules, facets and pagination."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from .conftest import add_member, custom_field, tier

URL = "/api/v1/directory/members"
ROLES = ["admin", "staff", "animator", "member", "guest"]
TEAM = {"admin", "staff"}


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {m["id"] for m in response.json()["results"]}


def facet(response, param: str) -> dict[str, int]:
    for f in response.json()["facets"]:
        if f["param"] == param:
            return {o["label"]: o["count"] for o in f["options"]}
    return {}


def test_anonymous_callers_get_a_401(client, db):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("role", ROLES)
def test_the_api_applies_the_directory_visibility_rules(client, indexed_roles, role):
    open_field = custom_field("matiere", choices=[{"value": "bois", "label_fr": "Bois", "label_en": "Wood"}])
    team_field = custom_field("cotisation", kind="boolean", visibility="staff")
    shown = add_member("Visible Vera", region="Bretagne", custom={open_field: "bois", team_field: True})
    hidden = add_member("Cachée Camille", region="Bretagne", hidden=True)
    secret = add_member("Sam Discret", job_title="Cryptographe", region="Bretagne", visibility={"job_title": "staff"})
    client.force_login(indexed_roles[role])
    team = role in TEAM
    listed = ids(client.get(URL, {"region": "Bretagne"}))
    assert shown.pk in listed and secret.pk in listed
    assert (hidden.pk in listed) is team
    assert (secret.pk in ids(client.get(URL, {"q": "cryptographe"}))) is team
    everyone = client.get(URL)
    assert facet(everyone, "region") == {"Bretagne": 3 if team else 2}
    assert facet(everyone, "f_matiere") == {"Bois": 1}
    assert bool(facet(everyone, "f_cotisation")) is team
    card = next(m for m in everyone.json()["results"] if m["id"] == secret.pk)
    assert card["job_title"] == ("Cryptographe" if team else "")
    assert "email" not in card


def test_filters_sort_and_pages(client, mia, settings):
    settings.TRIBU_API_PAGE_SIZE = 2
    gold = tier("gold", "Or")
    a = add_member("Anne A", tier_obj=gold, skills=("Python",), joined_days_ago=3)
    b = add_member("Bert B", tier_obj=gold, joined_days_ago=1)
    c = add_member("Carl C", tier_obj=gold, joined_days_ago=2)
    add_member("Dora D")
    client.force_login(mia)
    first = client.get(URL, {"tier": gold.pk, "sort": "newest"})
    body = first.json()
    assert body["count"] == 3
    assert [m["id"] for m in body["results"]] == [b.pk, c.pk]
    assert "page=2" in body["next"] and "tier=" in body["next"] and body["previous"] is None
    second = client.get(body["next"])
    assert [m["id"] for m in second.json()["results"]] == [a.pk]
    assert ids(client.get(URL, {"skill": a.profile.skills.first().pk})) == {a.pk}
    missing = client.get(URL, {"page": 9})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "invalid_page"
    assert client.get(URL, {"sort": "evil"}).status_code == 422
    assert client.get(URL, {"tier": "abc"}).status_code == 422


def test_the_api_follows_check_area(client, mia, monkeypatch):
    def closed(user, area):
        raise PermissionDenied

    monkeypatch.setattr("tribu.directory.api.check_area", closed)
    client.force_login(mia)
    assert client.get(URL).status_code == 403
