"""The members directory page: who sees whom, search, filters, facets, sorting, pagination."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tribu.memberships import access

from .conftest import add_member, company, custom_field, tier

URL = "/members/"
ROLES = ["admin", "staff", "animator", "member", "guest"]
TEAM = {"admin", "staff"}


def names(response) -> list[str]:
    """Member names on the result cards, in order (suggestions left out)."""
    html = response.content.decode()
    if 'id="directory-results"' not in html:
        return []
    html = html.split('id="directory-results"')[1].split("</ul>")[0]
    return [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r'<h3 class="member-name">(.*?)</h3>', html)]


def count(response) -> int:
    match = re.search(r'aria-live="polite">(\d+) membres?<', response.content.decode())
    assert match, "no announced result count"
    return int(match.group(1))


def facet(response, param: str) -> dict[str, int]:
    """label → count of one facet on the page."""
    html = response.content.decode()
    found = re.findall(
        rf'name="{param}" value="[^"]*"[^>]*>\s*<label for="[^"]+">([^<]*) <span class="facet-count">\((\d+)\)',
        html,
    )
    return {label: int(n) for label, n in found}


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_main_navigation_url_is_the_directory():
    assert reverse("directory:index") == URL
    assert reverse("directory:contact", args=[3]) == "/members/3/contact/"


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_listed_members_but_only_the_team_sees_hidden_ones(client, indexed_roles, role):
    add_member("Visible Vera", region="Bretagne")
    add_member("Cachée Camille", region="Bretagne", hidden=True)
    add_member("Ancien Arthur", region="Bretagne", is_active=False)
    client.force_login(indexed_roles[role])
    response = client.get(URL, {"region": "Bretagne"})
    assert response.status_code == 200
    shown = names(response)
    assert "Visible Vera" in shown
    assert ("Cachée Camille" in shown) is (role in TEAM)
    assert ("Ancien Arthur" in shown) is (role in TEAM)
    assert count(response) == (3 if role in TEAM else 1)
    # Nor through search, nor in the counts.
    assert ("Cachée Camille" in names(client.get(URL, {"q": "camille"}))) is (role in TEAM)
    assert facet(client.get(URL), "region") == {"Bretagne": 3 if role in TEAM else 1}


@pytest.mark.parametrize("role", ROLES)
def test_a_staff_only_field_neither_matches_nor_counts_for_members(client, indexed_roles, role):
    add_member("Sam Discret", job_title="Cryptographe", city="Quimper", region="Bretagne",
               skills=("Chiffrement",), visibility={"job_title": "staff", "region": "staff", "skills": "staff"})
    client.force_login(indexed_roles[role])
    team = role in TEAM
    found = names(client.get(URL, {"q": "cryptographe"}))
    assert ("Sam Discret" in found) is team
    assert ("Sam Discret" in names(client.get(URL, {"q": "chiffrement"}))) is team
    assert ("Sam Discret" in names(client.get(URL, {"region": "Bretagne"}))) is team
    home = client.get(URL)
    assert ("Bretagne" in facet(home, "region")) is team
    assert ("Chiffrement" in facet(home, "skill")) is team
    # The card shows the city (members may see it) but the job title only to the team.
    body = home.content.decode()
    assert "Quimper" in body
    assert ("Cryptographe" in body) is team
    # The visible parts still match.
    assert "Sam Discret" in names(client.get(URL, {"q": "quimper"}))


@pytest.mark.parametrize("role", ROLES)
def test_custom_field_filters_follow_the_field_visibility(client, indexed_roles, role):
    choices = [{"value": "bois", "label_fr": "Bois", "label_en": "Wood"},
               {"value": "metal", "label_fr": "Métal", "label_en": "Metal"}]
    open_field = custom_field("matiere", choices=choices, visibility="members")
    team_field = custom_field("cotisation", kind="boolean", visibility="staff")
    public_field = custom_field("benevole", kind="boolean", visibility="everyone")
    add_member("Bea Bois", custom={open_field: "bois", team_field: True, public_field: True})
    add_member("Max Metal", custom={open_field: "metal", team_field: False})
    client.force_login(indexed_roles[role])
    team = role in TEAM
    home = client.get(URL)  # in French, the community's language
    assert facet(home, "f_matiere") == {"Bois": 1, "Métal": 1}
    assert facet(home, "f_benevole") == {"Oui": 1}
    assert bool(facet(home, "f_cotisation")) is team
    assert names(client.get(URL, {"f_matiere": "bois"})) == ["Bea Bois"]
    # A member filtering on the team's field is not filtered at all (the parameter is ignored).
    filtered = names(client.get(URL, {"f_cotisation": "yes", "q": "a"}))
    assert ("Max Metal" not in filtered) is team


def test_search_ignores_accents_and_case_both_ways(client, mia):
    add_member("Élodie Lefèvre", job_title="Ébéniste", city="Orléans")
    add_member("Noël Evenement", interests=("événementiel",))
    client.force_login(mia)
    assert names(client.get(URL, {"q": "ebeniste"})) == ["Élodie Lefèvre"]
    assert names(client.get(URL, {"q": "ÉBÉNISTE orleans"})) == ["Élodie Lefèvre"]
    assert names(client.get(URL, {"q": "lefevre"})) == ["Élodie Lefèvre"]
    assert names(client.get(URL, {"q": "evenementiel"})) == ["Noël Evenement"]
    assert names(client.get(URL, {"q": "Événement"})) == ["Noël Evenement"]
    assert names(client.get(URL, {"q": "ebeniste paris"})) == []


def test_search_matches_company_skills_and_places(client, mia):
    add_member("Ada Code", employer=company("Brest Logiciels"), skills=("Python",), region="Bretagne")
    add_member("Bob Autre", skills=("Jardinage",))
    client.force_login(mia)
    for query in ("brest logiciels", "python", "bretagne", "ada"):
        assert names(client.get(URL, {"q": query})) == ["Ada Code"], query


def test_filters_combine_and_facets_count_the_current_results(client, mia):
    gold, silver = tier("gold", "Or"), tier("silver", "Argent")
    acme = company("Acme")
    add_member("Anne A", region="Bretagne", skills=("Python", "SQL"), tier_obj=gold, employer=acme)
    add_member("Bert B", region="Bretagne", skills=("Python",), tier_obj=silver)
    add_member("Carl C", region="Normandie", skills=("SQL",), tier_obj=gold)
    client.force_login(mia)
    home = client.get(URL)
    assert facet(home, "tier") == {"Or": 2, "Argent": 1}
    assert facet(home, "region") == {"Bretagne": 2, "Normandie": 1}
    assert facet(home, "company") == {"Acme": 1}
    breton = client.get(URL, {"region": "Bretagne"})
    assert sorted(names(breton)) == ["Anne A", "Bert B"]
    assert facet(breton, "skill") == {"Python": 2, "SQL": 1}
    assert names(client.get(URL, {"region": "Bretagne", "tier": str(gold.pk)})) == ["Anne A"]
    assert sorted(names(client.get(URL, {"tier": [str(gold.pk), str(silver.pk)]}))) == ["Anne A", "Bert B", "Carl C"]
    assert names(client.get(URL, {"company": str(acme.pk)})) == ["Anne A"]
    # Nonsense parameters are ignored rather than failing.
    assert client.get(URL, {"tier": "abc", "sort": "evil", "page": "x", "f_nope": "1"}).status_code == 200


def test_hiding_oneself_updates_the_cached_counts_at_once(client, mia):
    from tribu.accounts.models import Profile
    from tribu.directory.index import refresh

    add_member("Anne A", region="Bretagne")
    leaving = add_member("Bert B", region="Bretagne")
    client.force_login(mia)
    assert facet(client.get(URL), "region") == {"Bretagne": 2}
    Profile.objects.filter(user=leaving).update(hidden_from_directory=True)
    refresh([leaving.pk])
    assert facet(client.get(URL), "region") == {"Bretagne": 1}
    assert "Bert B" not in names(client.get(URL))


def test_number_fields_filter_by_range(client, mia):
    staff_count = custom_field("effectif", kind="number")
    add_member("Petite Structure", custom={staff_count: 4})
    add_member("Grande Structure", custom={staff_count: 250})
    client.force_login(mia)
    assert names(client.get(URL, {"f_effectif_min": "10"})) == ["Grande Structure"]
    assert names(client.get(URL, {"f_effectif_max": "10"})) == ["Petite Structure"]


def test_sorting_by_name_newest_and_recent_activity(client, mia):
    add_member("Zoé Zed", joined_days_ago=1, active_days_ago=30)
    add_member("Émile Alpha", joined_days_ago=300, active_days_ago=1)
    add_member("Bruno Beta", joined_days_ago=50)
    client.force_login(mia)
    assert names(client.get(URL, {"q": "e"}))[:3] == ["Bruno Beta", "Émile Alpha", "Zoé Zed"]
    assert names(client.get(URL, {"q": "e", "sort": "newest"})) == ["Zoé Zed", "Bruno Beta", "Émile Alpha"]
    assert names(client.get(URL, {"q": "e", "sort": "active"})) == ["Émile Alpha", "Zoé Zed", "Bruno Beta"]


def test_pages_of_24_keep_the_filters_in_their_links(client, mia):
    for i in range(30):
        add_member(f"Membre {i:02d}", region="Bretagne")
    add_member("Autre Région", region="Normandie")
    client.force_login(mia)
    first = client.get(URL, {"region": "Bretagne", "sort": "newest"})
    assert count(first) == 30
    assert len(names(first)) == 24
    body = first.content.decode()
    assert 'href="?region=Bretagne&amp;sort=newest&amp;page=2"' in body
    second = client.get(URL, {"region": "Bretagne", "sort": "newest", "page": 2})
    assert len(names(second)) == 6
    assert not set(names(first)) & set(names(second))


def test_people_like_you_ranks_shared_interests_skills_and_place(client, mia):
    add_member(
        "Mia Membre", user=mia, city="Rennes", region="Bretagne", skills=("Python",), interests=("Voile", "Jazz")
    )
    add_member("Twin Twin", city="Rennes", region="Bretagne", skills=("Python",), interests=("Voile", "Jazz"))
    add_member("Some Some", interests=("Voile",))
    add_member("Hidden Twin", city="Rennes", skills=("Python",), interests=("Voile", "Jazz"), hidden=True)
    add_member("Private Twin", interests=("Voile", "Jazz"), visibility={"interests": "staff"})
    add_member("Nobody Alike", interests=("Golf",))
    client.force_login(mia)
    body = client.get(URL).content.decode()
    section = body.split('id="directory-suggestions"')[1].split("</ul>")[0]
    suggested = [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r'<h3 class="member-name">(.*?)</h3>', section)]
    assert suggested == ["Twin Twin", "Some Some"]
    # Not shown once the viewer searches.
    assert "like-you-title" not in client.get(URL, {"q": "twin"}).content.decode()


def test_cards_show_a_thumbnail_or_initials(client, mia):
    from tribu.accounts.models import Profile
    from tribu.directory.index import refresh

    user = add_member("Photo Phil")
    Profile.objects.filter(user=user).update(photo_thumbnail="profiles/thumbs/phil.jpg")
    refresh([user.pk])
    add_member("Initiales Ida")
    client.force_login(mia)
    body = client.get(URL).content.decode()
    assert "/media/profiles/thumbs/phil.jpg" in body
    assert '<span class="member-photo member-initials" aria-hidden="true">II</span>' in body


def test_a_tier_restricted_directory_follows_check_area(client, mia, monkeypatch):
    def closed(user, area):
        assert area == "directory"
        raise PermissionDenied

    monkeypatch.setattr("tribu.directory.views.check_area", closed)
    client.force_login(mia)
    assert client.get(URL).status_code == 403

    def unknown(user, area):
        raise Http404

    monkeypatch.setattr("tribu.directory.views.check_area", unknown)
    assert client.get(URL).status_code == 404


@pytest.mark.parametrize("mode,refused", [("teaser", 403), ("hidden", 404)])
def test_a_directory_kept_for_a_tier_opens_only_with_it(client, indexed_roles, mode, refused):
    from tribu.memberships.access import forget_area_rules
    from tribu.memberships.models import AreaRestriction

    gold = tier("gold", "Or")
    rule = AreaRestriction.objects.create(area="directory", restriction_mode=mode)
    rule.required_tiers.set([gold])
    forget_area_rules()
    add_member("Gold Gaby", tier_obj=gold, user=indexed_roles["member"])
    for role, viewer in indexed_roles.items():
        client.force_login(viewer)
        expected = 200 if role in TEAM or role == "member" else refused
        assert client.get(URL).status_code == expected, role
        assert client.get(reverse("directory:contact", args=[viewer.pk])).status_code in (
            {expected} if expected != 200 else {403}
        ), role
        assert client.get("/api/v1/directory/members").status_code == (expected if expected != 200 else 200), role


def test_the_page_is_in_french_with_accessible_labels(client, mia):
    client.force_login(mia)
    body = client.get(URL, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Annuaire des membres" in body
    assert '<label for="directory-q">' in body
    assert 'role="status" aria-live="polite"' in body


CAPTURED: list = []


def _page_queries(client, viewer) -> int:
    from tribu.directory.index import bump_epoch

    client.get(URL)  # warm the caches a running server has (session, community, content types)
    bump_epoch()  # facets and suggestions computed afresh
    with CaptureQueriesContext(connection) as area_queries:
        access.check_area(viewer, "directory")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL)
    assert response.status_code == 200
    CAPTURED.append(ctx.captured_queries)
    return len(ctx.captured_queries) - len(area_queries.captured_queries)


def _populate(n: int, offset: int) -> None:
    gold = tier("gold", "Or")
    field = custom_field(f"secteur{offset}", choices=[{"value": "a", "label_fr": "A", "label_en": "A"}]) \
        if offset == 0 else None
    for i in range(n):
        add_member(
            f"Membre {offset + i}", region=f"Région {i % 5}", city=f"Ville {i}", employer=company(f"Société {i}"),
            skills=(f"Compétence {offset + i}", "Python"), interests=(f"Intérêt {offset + i}",), tier_obj=gold,
            custom={field: "a"} if field else None,
        )


def test_the_page_runs_the_same_number_of_queries_whatever_the_list_length(client, mia):
    add_member("Mia Membre", user=mia, interests=("Intérêt 1",), region="Région 1")
    client.force_login(mia)
    _populate(3, 0)
    few = _page_queries(client, mia)
    _populate(30, 100)
    many = _page_queries(client, mia)
    assert few == many, "\n".join(q["sql"][:150] for q in CAPTURED[-1])
    # user, count, page, facets, tag/tier/company labels, people like you (2), unread badge (fields: cached)
    assert many == 10, many
