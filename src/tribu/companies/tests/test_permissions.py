"""The permission matrix: every kind of viewer × every action on companies, on the pages and the API."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tribu.companies.models import CompanyInvitation, CompanyMember, PartnerLevel

VIEWERS = ["anonymous", "guest", "member", "colleague", "contact", "other_contact", "staff", "admin"]
MANAGERS = {"contact", "staff", "admin"}  # of La Forge du Léon
TEAM = {"staff", "admin"}


def as_viewer(client, people, who):
    user = people[who]
    if user is not None:
        client.force_login(user)
    return user


def expect(response, who, allowed, ok=200):
    if allowed:
        assert response.status_code == ok, (who, response.status_code)
    elif who == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], who
    else:
        assert response.status_code == 403, (who, response.status_code)


@pytest.mark.parametrize("who", VIEWERS)
def test_a_public_company_page_is_open_to_everyone(client, people, atelier, who):
    as_viewer(client, people, who)
    response = client.get(reverse("companies:detail", args=[atelier.slug]))
    assert response.status_code == 200
    assert "Atelier Faïence" in response.content.decode()


@pytest.mark.parametrize("who", VIEWERS)
def test_a_members_only_page_sends_anonymous_visitors_to_log_in(client, people, forge, who):
    as_viewer(client, people, who)
    response = client.get(reverse("companies:detail", args=[forge.slug]))
    expect(response, who, who != "anonymous")
    if who != "anonymous":
        assert "Ferronnerie <strong>d&#x27;art</strong>" in response.content.decode() or \
            "Ferronnerie <strong>d'art</strong>" in response.content.decode()


@pytest.mark.parametrize("who", VIEWERS)
def test_the_companies_directory_is_for_people_with_an_account(client, people, forge, who):
    as_viewer(client, people, who)
    expect(client.get(reverse("companies:index")), who, who != "anonymous")


@pytest.mark.parametrize("who", VIEWERS)
def test_only_the_contacts_and_the_team_edit_a_company(client, people, forge, who):
    as_viewer(client, people, who)
    url = reverse("companies:edit", args=[forge.slug])
    expect(client.get(url), who, who in MANAGERS)
    response = client.post(url, {"name": "Forge renommée", "page_visibility": "public", "sector": "Forge"})
    expect(response, who, who in MANAGERS, ok=302)
    forge.refresh_from_db()
    assert (forge.name == "Forge renommée") == (who in MANAGERS)


@pytest.mark.parametrize("who", VIEWERS)
def test_only_the_contacts_and_the_team_see_people_and_invite(client, people, forge, who, settings):
    as_viewer(client, people, who)
    expect(client.get(reverse("companies:people", args=[forge.slug])), who, who in MANAGERS)
    response = client.post(reverse("companies:invite", args=[forge.slug]), {"emails": "neo@example.org"})
    expect(response, who, who in MANAGERS, ok=302)
    assert CompanyInvitation.objects.filter(company=forge).exists() == (who in MANAGERS)


@pytest.mark.parametrize("who", VIEWERS)
def test_only_the_contacts_and_the_team_remove_a_colleague(client, people, forge, who):
    as_viewer(client, people, who)
    cole = people["colleague"]
    response = client.post(reverse("companies:remove_member", args=[forge.slug, cole.pk]))
    expect(response, who, who in MANAGERS, ok=302)
    assert CompanyMember.objects.filter(user=cole).exists() == (who not in MANAGERS)


def test_a_contact_cannot_remove_another_contact_nor_give_a_partner_level(client, people, forge):
    carla = people["contact"]
    second = people["colleague"]
    CompanyMember.objects.filter(user=second).update(is_contact=True)
    client.force_login(carla)
    response = client.post(reverse("companies:remove_member", args=[forge.slug, second.pk]))
    assert response.status_code == 403
    assert CompanyMember.objects.filter(user=second).exists()
    level = PartnerLevel.objects.create(name_fr="Mécène or", position=1)
    page = client.get(reverse("companies:edit", args=[forge.slug]))
    assert 'name="partner_level"' not in page.content.decode()
    client.post(reverse("companies:edit", args=[forge.slug]),
                {"name": forge.name, "page_visibility": "members", "partner_level": level.pk})
    forge.refresh_from_db()
    assert forge.partner_level is None


@pytest.mark.parametrize("who", VIEWERS)
def test_only_the_team_manages_companies_and_partner_levels(client, people, forge, who):
    as_viewer(client, people, who)
    expect(client.get(reverse("companies:manage")), who, who in TEAM)
    expect(client.get(reverse("companies:levels")), who, who in TEAM)
    response = client.post(reverse("companies:levels"), {"name_fr": "Mécène or", "name_en": "Gold", "position": 1})
    expect(response, who, who in TEAM, ok=302)
    assert PartnerLevel.objects.filter(name_fr="Mécène or").exists() == (who in TEAM)
    response = client.post(reverse("companies:create"), {"name": "Menuiserie Neuve", "page_visibility": "public"})
    expect(response, who, who in TEAM, ok=302)
    expect(client.post(reverse("companies:delete", args=[forge.slug]), {"confirm": "on"}), who, who in TEAM, ok=302)


@pytest.mark.parametrize("who", VIEWERS)
def test_only_the_team_attaches_members_and_names_contacts(client, people, forge, who):
    as_viewer(client, people, who)
    mia = people["member"]
    response = client.post(reverse("companies:attach", args=[forge.slug]), {"email": mia.email})
    expect(response, who, who in TEAM, ok=302)
    assert CompanyMember.objects.filter(user=mia, company=forge).exists() == (who in TEAM)
    cole = people["colleague"]
    response = client.post(reverse("companies:set_contact", args=[forge.slug, cole.pk]), {"is_contact": "1"})
    expect(response, who, who in TEAM, ok=302)
    assert CompanyMember.objects.get(user=cole).is_contact == (who in TEAM)


# ---------------------------------------------------------------- the API, same rules


def api(client, method, path, body=None):
    kwargs = {"content_type": "application/json"}
    if body is not None:
        kwargs["data"] = json.dumps(body)
    return getattr(client, method)(f"/api/v1{path}", **kwargs)


def api_expect(response, who, allowed, ok=200):
    if allowed:
        assert response.status_code == ok, (who, response.status_code, response.content)
    else:
        assert response.status_code == (401 if who == "anonymous" else 403), (who, response.status_code)


@pytest.mark.parametrize("who", VIEWERS)
def test_api_reading_follows_the_page_rules(client, people, forge, atelier, who):
    as_viewer(client, people, who)
    api_expect(api(client, "get", "/companies"), who, who != "anonymous")
    assert api(client, "get", f"/companies/{atelier.slug}").status_code == 200
    api_expect(api(client, "get", f"/companies/{forge.slug}"), who, who != "anonymous")


@pytest.mark.parametrize("who", VIEWERS)
def test_api_writes_follow_the_page_rules(client, people, forge, who):
    as_viewer(client, people, who)
    api_expect(api(client, "patch", f"/companies/{forge.slug}", {"sector": "Coutellerie"}), who, who in MANAGERS)
    api_expect(api(client, "post", f"/companies/{forge.slug}/invitations", {"emails": ["neo@example.org"]}),
               who, who in MANAGERS, ok=201)
    invitation = CompanyInvitation.objects.filter(company=forge).first()
    if invitation:
        api_expect(api(client, "delete", f"/companies/{forge.slug}/invitations/{invitation.pk}"), who, True, ok=204)
    api_expect(api(client, "delete", f"/companies/{forge.slug}/members/{people['colleague'].pk}"),
               who, who in MANAGERS, ok=204)
    api_expect(api(client, "post", "/companies", {"name": "Forge Neuve"}), who, who in TEAM, ok=201)
    api_expect(api(client, "patch", f"/companies/{forge.slug}", {"partner_level_id": None}), who, who in TEAM)
    api_expect(api(client, "delete", f"/companies/{forge.slug}"), who, who in TEAM, ok=204)


@pytest.mark.parametrize(("mode", "refused"), [("teaser", 403), ("hidden", 404)])
def test_a_companies_area_kept_for_a_tier_opens_with_it_or_a_seat_of_it(client, people, forge, atelier, mode,
                                                                          refused):
    from tribu.memberships.access import forget_area_rules
    from tribu.memberships.models import AreaRestriction, Membership, Tier

    business = Tier.objects.create(slug="entreprise", name_fr="Entreprise", seats=5)
    rule = AreaRestriction.objects.create(area="companies", restriction_mode=mode)
    rule.required_tiers.set([business])
    forget_area_rules()
    Membership.objects.create(company=forge, tier=business, status="active")  # Carla and Cole hold a seat
    holders = {"colleague", "contact", "staff", "admin"}
    for who in VIEWERS[1:]:
        client.force_login(people[who])
        expected = 200 if who in holders else refused
        assert client.get(reverse("companies:index")).status_code == expected, who
        assert client.get("/api/v1/companies").status_code == expected, who
        # A members-only page follows the area rule, except for its own people; public pages stay open.
        assert client.get(reverse("companies:detail", args=[forge.slug])).status_code == expected, who
        assert client.get(reverse("companies:detail", args=[atelier.slug])).status_code == 200, who
    client.force_login(people["member"])
    if mode == "teaser":
        page = client.get(reverse("companies:index")).content.decode()
        assert "Entreprise" in page  # the explanatory page names the tier that opens the area


def test_the_openapi_schema_documents_every_companies_endpoint(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/companies"]) == {"get", "post"}
    assert set(paths["/api/v1/companies/{slug}"]) == {"get", "patch", "delete"}
    assert set(paths["/api/v1/companies/{slug}/invitations"]) == {"get", "post"}
    assert "delete" in paths["/api/v1/companies/{slug}/invitations/{invitation_id}"]
    assert "delete" in paths["/api/v1/companies/{slug}/members/{user_id}"]
