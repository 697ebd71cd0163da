"""Who sees which field of a member's profile, on the page and in the API: every role (and the member
themselves) × each visibility level, for standard and custom fields."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import make_user

from .factories import answer, custom_field, profile

VIEWERS = ["anonymous", "guest", "member", "animator", "staff", "admin", "self"]
# level → viewers who may read it
AUDIENCE = {
    "everyone": {"guest", "member", "animator", "staff", "admin", "self"},  # anonymous visitors get no page
    "members": {"guest", "member", "animator", "staff", "admin", "self"},
    "staff": {"staff", "admin", "self"},
}


@pytest.fixture
def owner(db):
    """Olga fills every field; each custom field and some standard ones at a different level."""
    olga = make_user("olga@example.org", "member", "Olga Owner")
    profile(
        olga,
        job_title="Ébéniste-members",
        city="Quimper-staff",
        organisation="Atelier-everyone",
        bio="Bio **staff**",
        skills=["Marqueterie"],
        field_visibility={"job_title": "members", "city": "staff", "organisation": "everyone", "bio": "staff",
                          "skills": "staff"},
    )
    for level in ("everyone", "members", "staff"):
        field = custom_field(key=f"answer_{level}", label_fr=f"Question {level}", visibility=level)
        answer(olga, field, f"Réponse-{level}")
    return olga


def viewer_client(client, role, users_by_role, owner):
    if role == "self":
        client.force_login(owner)
    elif role != "anonymous":
        client.force_login(users_by_role[role])
    return client


@pytest.mark.parametrize("role", VIEWERS)
def test_the_profile_page_shows_each_field_only_to_its_audience(client, users_by_role, owner, role):
    viewer_client(client, role, users_by_role, owner)
    response = client.get(reverse("profile:detail", args=[owner.pk]))
    if role == "anonymous":
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]
        return
    assert response.status_code == 200
    page = response.content.decode()
    seen = {
        ("custom", level): f"Réponse-{level}" in page for level in AUDIENCE
    } | {
        ("standard", "everyone"): "Atelier-everyone" in page,
        ("standard", "members"): "Ébéniste-members" in page,
        ("standard", "staff"): "Quimper-staff" in page and "<strong>staff</strong>" in page and "Marqueterie" in page,
    }
    for (_kind, level), shown in seen.items():
        assert shown == (role in AUDIENCE[level]), (role, _kind, level)
    # A field a viewer may not see is not hinted at either: no label without a value.
    assert ("Question staff" in page) == (role in AUDIENCE["staff"])


@pytest.mark.parametrize("role", VIEWERS)
def test_the_api_returns_each_field_only_to_its_audience(client, users_by_role, owner, role):
    viewer_client(client, role, users_by_role, owner)
    response = client.get(f"/api/v1/members/{owner.pk}")
    if role == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    body = response.json()
    keys = {a["key"] for a in body["custom_fields"]}
    for level in AUDIENCE:
        assert (f"answer_{level}" in keys) == (role in AUDIENCE[level]), (role, level)
    assert (body["organisation"] == "Atelier-everyone") == (role in AUDIENCE["everyone"])
    assert (body["job_title"] == "Ébéniste-members") == (role in AUDIENCE["members"])
    staff_seen = role in AUDIENCE["staff"]
    assert (body["city"] == "Quimper-staff") == staff_seen
    assert (body["bio"] == "Bio **staff**") == staff_seen
    assert (body["skills"] == ["Marqueterie"]) == staff_seen
    if not staff_seen:
        assert body["city"] is None and body["skills"] is None


@pytest.mark.parametrize("role", ["guest", "member", "animator", "staff", "admin"])
def test_a_deactivated_member_is_unknown_except_to_the_team(client, users_by_role, owner, role):
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    client.force_login(users_by_role[role])
    team = role in {"staff", "admin"}
    page = client.get(reverse("profile:detail", args=[owner.pk]))
    api = client.get(f"/api/v1/members/{owner.pk}")
    assert page.status_code == (200 if team else 404)
    assert api.status_code == (200 if team else 404)
    if team:
        assert "Ce compte est désactivé." in page.content.decode()


def test_an_unknown_member_is_a_404_on_the_page_and_in_the_api(client, mia):
    client.force_login(mia)
    assert client.get(reverse("profile:detail", args=[99999])).status_code == 404
    assert client.get("/api/v1/members/99999").status_code == 404


def test_my_profile_leads_to_my_own_page_and_anonymous_visitors_to_the_login(client, mia):
    assert reverse("account_login") in client.get(reverse("profile:mine"))["Location"]
    client.force_login(mia)
    assert client.get(reverse("profile:mine"))["Location"] == reverse("profile:detail", args=[mia.pk])


def test_the_list_of_custom_fields_in_the_api_follows_the_callers_audience(client, users_by_role, owner):
    client.force_login(users_by_role["member"])
    keys = {f["key"] for f in client.get("/api/v1/custom-fields").json()}
    assert keys == {"answer_everyone", "answer_members"}
    client.force_login(users_by_role["staff"])
    keys = {f["key"] for f in client.get("/api/v1/custom-fields").json()}
    assert keys == {"answer_everyone", "answer_members", "answer_staff"}


def test_the_company_is_linked_when_visible_and_hidden_when_kept_for_the_team(client, mia, anna, bob):
    from tribu.companies.models import Company, CompanyMember

    company = Company.objects.create(name="Ateliers du Léon", slug="ateliers-du-leon")
    CompanyMember.objects.create(company=company, user=mia)
    client.force_login(anna)
    page = client.get(reverse("profile:detail", args=[mia.pk])).content.decode()
    assert "Ateliers du Léon" in page
    assert f'href="{reverse("companies:detail", args=[company.slug])}"' in page
    assert client.get(f"/api/v1/members/{mia.pk}").json()["company"]["slug"] == "ateliers-du-leon"
    profile(mia, field_visibility={"company": "staff"})
    assert "Ateliers du Léon" not in client.get(reverse("profile:detail", args=[mia.pk])).content.decode()
    assert client.get(f"/api/v1/members/{mia.pk}").json()["company"] is None
    client.force_login(bob)
    assert "Ateliers du Léon" in client.get(reverse("profile:detail", args=[mia.pk])).content.decode()
