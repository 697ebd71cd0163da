"""The companies directory, the partners wall and the company page: search, filters with counts,
sorting, pagination, privacy of listed members, and query counts that do not grow."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tribu.companies.models import PartnerLevel

from .conftest import attach, make_company, member


def names(response) -> list[str]:
    import re

    return re.findall(r'class="company-name"><a href="[^"]+">([^<]+)</a>', response.content.decode())


@pytest.fixture
def craft(db):
    gold = PartnerLevel.objects.create(name_fr="Mécène or", name_en="Gold sponsor", position=1)
    partner = PartnerLevel.objects.create(name_fr="Partenaire", name_en="Partner", position=5)
    make_company("Menuiserie Le Gall", sector="Menuiserie", city="Brest", size="10-49", partner_level=partner)
    make_company("Forge de Carhaix", sector="Forge", city="Carhaix", size="1-9", partner_level=gold,
                 page_visibility="public")
    make_company("Céramiques de Quimper", sector="Céramique", city="Quimper", size="1-9")
    make_company("Menuiserie Kerlann", sector="Menuiserie", city="Quimper", size="1-9")
    return {"gold": gold, "partner": partner}


def test_search_filters_and_facets_with_counts(client, mia, craft):
    client.force_login(mia)
    response = client.get(reverse("companies:index"))
    assert response.status_code == 200
    assert names(response) == ["Céramiques de Quimper", "Forge de Carhaix", "Menuiserie Kerlann", "Menuiserie Le Gall"]
    page = response.content.decode()
    assert "4 entreprises" in page
    assert "Menuiserie <span class=\"facet-count\">(2)</span>" in page
    assert "Quimper <span class=\"facet-count\">(2)</span>" in page

    assert names(client.get(reverse("companies:index"), {"q": "menuiserie"})) == [
        "Menuiserie Kerlann", "Menuiserie Le Gall"]
    assert names(client.get(reverse("companies:index"), {"sector": "Menuiserie", "city": "Quimper"})) == [
        "Menuiserie Kerlann"]
    assert names(client.get(reverse("companies:index"), {"size": "1-9"})) == [
        "Céramiques de Quimper", "Forge de Carhaix", "Menuiserie Kerlann"]
    assert names(client.get(reverse("companies:index"), {"level": craft["gold"].pk})) == ["Forge de Carhaix"]
    filtered = client.get(reverse("companies:index"), {"sector": "Menuiserie"}).content.decode()
    # Facets of other dimensions count within the filter; the sector facet keeps its alternatives.
    assert "Brest <span class=\"facet-count\">(1)</span>" in filtered
    assert "Forge <span class=\"facet-count\">(1)</span>" in filtered


def test_sort_by_newest_and_pagination(client, mia, db):
    for n in range(30):
        make_company(f"Atelier {n:02d}")
    client.force_login(mia)
    first = client.get(reverse("companies:index"))
    assert names(first)[:2] == ["Atelier 00", "Atelier 01"] and len(names(first)) == 24
    second = client.get(reverse("companies:index"), {"page": 2})
    assert names(second) == [f"Atelier {n:02d}" for n in range(24, 30)]
    newest = client.get(reverse("companies:index"), {"sort": "newest"})
    assert names(newest)[0] == "Atelier 29"
    assert 'href="?sort=newest&amp;page=2"' in newest.content.decode()
    assert client.get(reverse("companies:index"), {"page": "abc", "size": "nope", "sort": "x"}).status_code == 200


def test_the_directory_runs_the_same_number_of_queries_whatever_its_length(client, mia, craft):
    client.force_login(mia)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("companies:index"), {"size": "1-9"}).status_code == 200
        return len(ctx.captured_queries)

    client.get(reverse("companies:index"))  # warm the session and caches
    few = count()
    for n in range(40):
        company = make_company(f"Scierie {n}", sector=f"Bois {n % 7}", city=f"Ville {n}", size="1-9",
                               partner_level=craft["partner"])
        attach(member(f"Salarié {n}"), company)
    assert count() == few
    assert few <= 12


def test_the_partners_wall_groups_partners_by_level(client, craft):
    page = client.get(reverse("companies:partners")).content.decode()
    assert page.index("Mécène or") < page.index("Forge de Carhaix") < page.index("Partenaire") \
        < page.index("Menuiserie Le Gall")
    assert "Céramiques de Quimper" not in page
    # Anonymous visitors get links to public pages only.
    assert reverse("companies:detail", args=["forge-de-carhaix"]) in page
    assert reverse("companies:detail", args=["menuiserie-le-gall"]) not in page


def test_the_partners_wall_runs_the_same_number_of_queries_whatever_its_length(client, craft):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("companies:partners")).status_code == 200
        return len(ctx.captured_queries)

    client.get(reverse("companies:partners"))
    few = count()
    for n in range(20):
        make_company(f"Partenaire {n}", partner_level=craft["partner" if n % 2 else "gold"])
    assert count() == few


@pytest.fixture
def staffed(forge, carla, cole):
    """La Forge du Léon with members who share themselves differently."""
    from tribu.accounts.models import Profile

    hidden = member("Hugo Caché")
    Profile.objects.create(user=hidden, hidden_from_directory=True)
    private = member("Pia Discrète")
    Profile.objects.create(user=private, field_visibility={"company": "staff"})
    open_ = member("Odile Ouverte")
    Profile.objects.create(user=open_, field_visibility={"company": "members"})
    for user in (hidden, private, open_):
        attach(user, forge)
    return {"hidden": hidden, "private": private, "open": open_}


@pytest.mark.parametrize(
    ("who", "sees_private"),
    [("member", False), ("guest", False), ("other_contact", False), ("staff", True), ("admin", True)],
)
def test_the_company_page_leaves_out_members_who_keep_their_company_private(client, people, staffed, forge, who,
                                                                          sees_private):
    client.force_login(people[who])
    page = client.get(reverse("companies:detail", args=[forge.slug])).content.decode()
    assert "Odile Ouverte" in page and "Carla Contact" in page and "Cole Collègue" in page
    assert ("Hugo Caché" in page) == sees_private
    assert ("Pia Discrète" in page) == sees_private


def test_a_member_sees_themselves_even_when_hidden(client, staffed, forge):
    client.force_login(staffed["hidden"])
    assert "Hugo Caché" in client.get(reverse("companies:detail", args=[forge.slug])).content.decode()


def test_anonymous_visitors_of_a_public_page_see_no_member_names(client, staffed, forge):
    forge.page_visibility = "public"
    forge.save()
    page = client.get(reverse("companies:detail", args=[forge.slug])).content.decode()
    assert "La Forge du Léon" in page
    for name in ("Odile Ouverte", "Carla Contact", "Cole Collègue", "Hugo Caché"):
        assert name not in page
    assert client.get(f"/api/v1/companies/{forge.slug}").json()["members"] == []


def test_the_api_lists_only_the_members_the_caller_may_see(client, mia, bob, staffed, forge):
    client.force_login(mia)
    listed = {m["name"] for m in client.get(f"/api/v1/companies/{forge.slug}").json()["members"]}
    assert listed == {"Carla Contact", "Cole Collègue", "Odile Ouverte"}
    client.force_login(bob)
    listed = {m["name"] for m in client.get(f"/api/v1/companies/{forge.slug}").json()["members"]}
    assert {"Hugo Caché", "Pia Discrète"} <= listed


def test_the_company_page_runs_the_same_number_of_queries_whatever_its_size(client, mia, forge, carla):
    from tribu.accounts.models import Profile

    client.force_login(mia)
    url = reverse("companies:detail", args=[forge.slug])
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for n in range(30):
        user = member(f"Forgeron {n}")
        Profile.objects.create(user=user, field_visibility={"company": "members"})
        attach(user, forge)
    assert count() == few
    assert few <= 10


def test_the_company_page_renders_markdown_safely(client, mia, forge):
    forge.description = "Forge **bretonne**\n\n<script>alert(1)</script>"
    forge.save()
    client.force_login(mia)
    page = client.get(reverse("companies:detail", args=[forge.slug])).content.decode()
    assert "<strong>bretonne</strong>" in page
    assert "<script>alert(1)</script>" not in page


def test_unknown_companies_are_404(client, mia):
    client.force_login(mia)
    assert client.get(reverse("companies:detail", args=["nulle-part"])).status_code == 404
    assert client.get("/api/v1/companies/nulle-part").status_code == 404


def test_the_api_searches_and_filters(client, mia, craft):
    client.force_login(mia)
    body = client.get("/api/v1/companies", {"city": "Quimper", "sort": "newest"}).json()
    assert body["count"] == 2
    assert [c["name"] for c in body["results"]] == ["Menuiserie Kerlann", "Céramiques de Quimper"]
    gold = client.get("/api/v1/companies", {"level": craft["gold"].pk}).json()["results"]
    assert gold[0]["partner_level"]["name"] == "Mécène or"
    paged = client.get("/api/v1/companies", {"page_size": 3, "page": 2}).json()
    assert paged["count"] == 4 and len(paged["results"]) == 1 and paged["previous"]
    assert client.get("/api/v1/companies", {"page": 9}).status_code == 404
    assert client.get("/api/v1/companies", {"sort": "bogus"}).status_code == 422
