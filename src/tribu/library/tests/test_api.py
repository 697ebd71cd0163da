"""The library API: the pages' rules, clear errors, nothing half-written."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tribu.library.models import Category, Resource

from .conftest import make_category, make_group, make_resource, make_tier, pdf_file

pytestmark = pytest.mark.django_db


def test_staff_create_a_link_resource_and_members_read_it(client, bob, mia):
    client.force_login(bob)
    created = client.post("/api/v1/resources", {"kind": "link", "title": "Site utile", "url": "https://example.org",
                                                "summary": "Un lien"}, content_type="application/json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["title"] == "Site utile" and data["group_id"] is None and data["can_edit"]
    client.force_login(mia)
    listed = client.get("/api/v1/resources?kind=link").json()
    assert [r["title"] for r in listed["results"]] == ["Site utile"]
    assert listed["results"][0]["can_edit"] is False


def test_a_member_may_not_create_in_the_community_library(client, mia):
    client.force_login(mia)
    refused = client.post("/api/v1/resources", {"kind": "article", "title": "X", "body": "Y"},
                          content_type="application/json")
    assert refused.status_code == 403 and refused.json()["error"]["message"]
    assert not Resource.objects.exists()


def test_bad_input_gets_a_422_with_the_field_and_writes_nothing(client, bob):
    client.force_login(bob)
    no_url = client.post("/api/v1/resources", {"kind": "video", "title": "Vidéo"}, content_type="application/json")
    assert no_url.status_code == 422 and "url" in no_url.json()["error"]["details"]
    bad_scheme = client.post("/api/v1/resources", {"kind": "link", "title": "L", "url": "javascript:alert(1)"},
                             content_type="application/json")
    assert bad_scheme.status_code == 422
    huge = client.post("/api/v1/resources", {"kind": "article", "title": "Long", "body": "a" * 5_000_000},
                       content_type="application/json")
    assert huge.status_code in (413, 422)
    assert not Resource.objects.exists()


def test_a_file_upload_is_checked_by_its_content(client, bob):
    resource = make_resource("Doc", file=False, url="https://example.org/doc")
    client.force_login(bob)
    program = SimpleUploadedFile("rapport.pdf", b"\x7fELF" + b"\x00" * 300, content_type="application/pdf")
    refused = client.post(f"/api/v1/resources/{resource.pk}/file", {"file": program})
    assert refused.status_code == 422 and "file" in refused.json()["error"]["details"]
    resource.refresh_from_db()
    assert not resource.file
    accepted = client.post(f"/api/v1/resources/{resource.pk}/file", {"file": pdf_file("rapport.pdf")})
    assert accepted.status_code == 200 and accepted.json()["file_name"] == "rapport.pdf"


def test_tier_ids_must_exist_and_a_category_must_be_of_the_same_library(client, bob, anna):
    club = make_group("Club", owner=anna)
    club_category = make_category("Du club", group=club)
    client.force_login(bob)
    unknown = client.post("/api/v1/resources", {"kind": "article", "title": "A", "body": "B", "tier_ids": [999]},
                          content_type="application/json")
    assert unknown.status_code == 422
    elsewhere = client.post("/api/v1/resources", {"kind": "article", "title": "A", "body": "B",
                                                  "category_id": club_category.pk}, content_type="application/json")
    assert elsewhere.status_code == 422 and "category" in elsewhere.json()["error"]["details"]
    gold = make_tier("gold")
    ok = client.post("/api/v1/resources", {"kind": "article", "title": "A", "body": "B", "tier_ids": [gold.pk]},
                     content_type="application/json")
    assert ok.status_code == 201 and ok.json()["tier_ids"] == [gold.pk]


def test_an_animator_manages_categories_of_their_group_only(client, anna, mia):
    club = make_group("Club", owner=anna)
    client.force_login(anna)
    created = client.post("/api/v1/library/categories", {"group_id": club.pk, "name_fr": "Tutoriels",
                                                         "name_en": "Tutorials"}, content_type="application/json")
    assert created.status_code == 201
    community = client.post("/api/v1/library/categories", {"name_fr": "Général"}, content_type="application/json")
    assert community.status_code == 403
    sub = client.post("/api/v1/library/categories", {"group_id": club.pk, "name_fr": "Débutants",
                                                     "parent_id": created.json()["id"]},
                      content_type="application/json")
    assert sub.status_code == 201
    too_deep = client.post("/api/v1/library/categories", {"group_id": club.pk, "name_fr": "Trop",
                                                          "parent_id": sub.json()["id"]},
                           content_type="application/json")
    assert too_deep.status_code == 422
    client.force_login(mia)
    listed = client.get(f"/api/v1/library/categories?group={club.pk}").json()
    assert {c["name"] for c in listed} == {"Tutorials", "Débutants"} or {c["name"] for c in listed} == {
        "Tutoriels", "Débutants"}
    assert client.delete(f"/api/v1/library/categories/{created.json()['id']}").status_code == 403
    assert Category.objects.count() == 2


def test_private_group_categories_are_a_404_to_outsiders(client, anna, mia):
    secret = make_group("Secret", visibility="private", owner=anna)
    category = make_category("Interne", group=secret)
    client.force_login(mia)
    assert client.get(f"/api/v1/library/categories/{category.pk}").status_code == 404
    assert client.get(f"/api/v1/library/categories?group={secret.pk}").status_code == 404
    assert client.get(f"/library/categories/{category.slug}/").status_code == 404
