"""The permission matrix of the library: every persona × every place (community, public, moderated and
private group) × tier-gated or not × every action, through the pages and the API a person would use,
checking what they would notice.

Outcomes: "open" (body and file), "teaser" (title and summary, the tiers that open it, no body, no
file), 404 (nothing exists for them), 403, "login" (anonymous visitors go to the login page; the API
answers 401).
"""

from __future__ import annotations

import pytest

from tribu.library.models import Resource

from .conftest import add_to, make_group, make_membership, make_resource, make_tier

PERSONAS = ["anonymous", "guest", "member", "tier_holder", "group_member", "animator", "staff", "admin"]
PLACES = ["community", "public", "moderated", "private"]
BODY = "CORPS-SECRET-DU-DOCUMENT"


def reads(persona: str, place: str) -> bool:
    """May read the place at all (the groups' own rules)."""
    if place == "community":
        return True
    if persona in ("guest",):
        return False
    if persona in ("group_member", "animator", "staff", "admin"):
        return True
    return place == "public"


def expected_view(persona: str, place: str, gated: bool) -> str | int:
    if persona == "anonymous":
        return "login"
    if not reads(persona, place):
        return 404
    if not gated or persona in ("tier_holder", "staff", "admin"):
        return "open"
    if persona == "animator" and place != "community":  # animators manage their groups' libraries
        return "open"
    return "teaser"


def expected_edit(persona: str, place: str, gated: bool) -> str | int:
    if persona == "anonymous":
        return "login"
    if persona in ("staff", "admin") or (persona == "animator" and place != "community"):
        return 200
    return 404 if expected_view(persona, place, gated) == 404 else 403


@pytest.fixture
def world(db):
    from conftest import make_user

    gold = make_tier("gold", name_fr="Or")
    users = {
        "anonymous": None,
        "guest": make_user("guest@example.org", "guest", "Gina Guest"),
        "member": make_user("member@example.org", "member", "Max Member"),
        "tier_holder": make_user("gold@example.org", "member", "Goldie"),
        "group_member": make_user("insider@example.org", "member", "Ines Insider"),
        "animator": make_user("anim@example.org", "animator", "Anna Animatrice"),
        "staff": make_user("staff@example.org", "staff", "Bob Staff"),
        "admin": make_user("admin@example.org", "admin", "Alice Admin"),
    }
    make_membership(tier=gold, user=users["tier_holder"])
    groups = {"community": None}
    for kind in ("public", "moderated", "private"):
        group = make_group(f"Groupe {kind}", visibility=kind, owner=users["animator"])
        add_to(group, users["group_member"])
        groups[kind] = group
    resources = {}
    for place, group in groups.items():
        for gated in (False, True):
            resources[(place, gated)] = make_resource(
                f"Ressource {place} {'gated' if gated else 'open'}", group=group, body=BODY,
                tiers=[gold] if gated else ())
    return {"users": users, "resources": resources}


def _login(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)


@pytest.mark.parametrize("persona", PERSONAS)
def test_resource_page_download_edit_and_api_follow_the_matrix(client, world, persona):
    user = world["users"][persona]
    problems = []
    for (place, gated), resource in world["resources"].items():
        _login(client, user)
        want = expected_view(persona, place, gated)
        page = client.get(f"/library/{resource.pk}/")
        download = client.get(f"/library/{resource.pk}/download/")
        api = client.get(f"/api/v1/resources/{resource.pk}")
        html = page.content.decode()
        if want == "login":
            got = "login" if page.status_code == 302 and download.status_code == 302 and api.status_code == 401 \
                else (page.status_code, download.status_code, api.status_code)
        elif want == 404:
            got = 404 if (page.status_code, download.status_code, api.status_code) == (404, 404, 404) \
                else (page.status_code, download.status_code, api.status_code)
        elif want == "teaser":
            data = api.json()
            ok = (page.status_code == 403 and resource.title in html and BODY not in html
                  and download.status_code == 404 and data["locked"] and data["body"] is None
                  and data["download_url"] is None)
            got = "teaser" if ok else (page.status_code, download.status_code, api.status_code)
        else:
            data = api.json()
            ok = (page.status_code == 200 and BODY in html and download.status_code == 200
                  and not data["locked"] and BODY in data["body"])
            got = "open" if ok else (page.status_code, download.status_code, api.status_code)
        if got != want:
            problems.append(f"view {place} gated={gated}: expected {want}, got {got}")
        edit = client.get(f"/library/{resource.pk}/edit/")
        want_edit = expected_edit(persona, place, gated)
        got_edit = "login" if edit.status_code == 302 else edit.status_code
        if got_edit != want_edit:
            problems.append(f"edit {place} gated={gated}: expected {want_edit}, got {got_edit}")
    assert problems == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_and_the_api_list_only_what_the_persona_may_know_of(client, world, persona):
    user = world["users"][persona]
    _login(client, user)
    index = client.get("/library/")
    api = client.get("/api/v1/resources")
    if persona == "anonymous":
        assert index.status_code == 302 and api.status_code == 401
        return
    html = index.content.decode()
    listed = {r["title"]: r["locked"] for r in api.json()["results"]}
    for (place, gated), resource in world["resources"].items():
        want = expected_view(persona, place, gated)
        assert (resource.title in html) == (want != 404), (place, gated)
        assert (resource.title in listed) == (want != 404), (place, gated)
        if want != 404:
            assert listed[resource.title] == (want == "teaser"), (place, gated)
    assert BODY not in html


@pytest.mark.parametrize("persona", ["member", "group_member", "animator", "staff"])
def test_deleting_and_featuring_follow_the_edit_rights(client, world, persona):
    user = world["users"][persona]
    _login(client, user)
    for (place, gated), resource in world["resources"].items():
        want = expected_edit(persona, place, gated)
        featured = client.post(f"/library/{resource.pk}/feature/", {"featured": "1"})
        api_patch = client.patch(f"/api/v1/resources/{resource.pk}", {"title": "Changé"},
                                 content_type="application/json")
        resource.refresh_from_db()
        if want == 200:
            assert featured.status_code == 302 and resource.featured and resource.title == "Changé"
            assert api_patch.status_code == 200
        else:
            assert featured.status_code == want and not resource.featured, (place, gated)
            assert api_patch.status_code == want and resource.title != "Changé", (place, gated)
        deleted = client.post(f"/library/{resource.pk}/delete/")
        assert Resource.objects.filter(pk=resource.pk).exists() == (want != 200), (place, gated)
        if want != 200:
            assert deleted.status_code == want


def test_a_hidden_mode_resource_does_not_exist_without_the_tier(client, world):
    from tribu.memberships.models import Tier

    gold = Tier.objects.get(slug="gold")
    hidden = make_resource("Ressource cachée", tiers=[gold], mode="hidden")
    member, holder = world["users"]["member"], world["users"]["tier_holder"]
    _login(client, member)
    assert client.get(f"/library/{hidden.pk}/").status_code == 404
    assert "Ressource cachée" not in client.get("/library/").content.decode()
    assert "Ressource cachée" not in {r["title"] for r in client.get("/api/v1/resources").json()["results"]}
    _login(client, holder)
    assert client.get(f"/library/{hidden.pk}/").status_code == 200
    assert "Ressource cachée" in client.get("/library/").content.decode()


def test_unpublished_resources_exist_only_for_those_who_manage_them(client, world):
    draft = make_resource("Brouillon", published=False)
    _login(client, world["users"]["member"])
    assert client.get(f"/library/{draft.pk}/").status_code == 404
    assert "Brouillon" not in client.get("/library/").content.decode()
    _login(client, world["users"]["staff"])
    assert client.get(f"/library/{draft.pk}/").status_code == 200
