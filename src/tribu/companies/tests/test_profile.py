"""The company profile: SIRET numbers (Luhn, La Poste's exception), logos that must be real images
of a bounded size, the Markdown description, the activity recorded, the directory refreshed."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tribu.companies.models import Company
from tribu.companies.validators import siret_is_valid
from tribu.core.activity_text import describe
from tribu.core.models import Activity

VALID = {"name": "Menuiserie Le Gall", "page_visibility": "public", "sector": "Menuiserie", "city": "Brest"}


@pytest.mark.parametrize(
    ("siret", "valid"),
    [
        ("73282932000074", True),       # a real SIRET
        ("732 829 320 00074", True),    # spaces are allowed
        ("73282932000075", False),      # one digit off
        ("7328293200007", False),       # 13 digits
        ("7328293200007A", False),
        ("35600000000048", True),       # La Poste's head office (passes Luhn)
        ("35600000049837", True),       # a La Poste establishment: digits sum to a multiple of 5
        ("35600000049838", False),
    ],
)
def test_siret_numbers_are_checked(siret, valid):
    assert siret_is_valid(siret) is valid


def png(size=(40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#0b5c7a").save(buffer, "PNG")
    return buffer.getvalue()


def test_staff_create_a_company_with_a_logo_and_the_act_is_recorded(client, bob):
    client.force_login(bob)
    logo = SimpleUploadedFile("logo.png", png(), content_type="image/png")
    response = client.post(reverse("companies:create"), {**VALID, "siret": "732 829 320 00074", "logo": logo,
                                                         "description": "Depuis **1987**."})
    assert response.status_code == 302
    company = Company.objects.get(name="Menuiserie Le Gall")
    assert company.slug == "menuiserie-le-gall" and company.siret == "73282932000074"
    assert company.logo.name.startswith("companies/")
    activity = Activity.objects.get(verb="company.created")
    assert activity.actor == bob and activity.audit
    assert describe(activity) == "Bob Staff a créé l’entreprise Menuiserie Le Gall"
    page = client.get(reverse("companies:detail", args=[company.slug])).content.decode()
    assert "<strong>1987</strong>" in page and company.logo.url in page


@pytest.mark.parametrize(
    ("siret", "message"),
    [("1234", "Un numéro SIRET compte 14 chiffres."), ("73282932000075", "la clé de contrôle ne correspond pas")],
)
def test_a_bad_siret_is_refused_in_french_and_nothing_is_created(client, bob, siret, message):
    client.force_login(bob)
    response = client.post(reverse("companies:create"), {**VALID, "siret": siret})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Company.objects.exists()


def test_two_companies_cannot_share_a_siret(client, bob, forge):
    client.force_login(bob)
    response = client.post(reverse("companies:create"), {**VALID, "siret": forge.siret})
    assert response.status_code == 400
    assert "Une autre entreprise a déjà ce numéro SIRET" in response.content.decode()


def test_a_file_that_is_not_an_image_is_refused(client, carla, forge):
    client.force_login(carla)
    fake = SimpleUploadedFile("logo.png", b"%PDF-1.4 not an image", content_type="image/png")
    response = client.post(reverse("companies:edit", args=[forge.slug]),
                           {"name": forge.name, "page_visibility": "members", "logo": fake})
    assert response.status_code == 400
    assert "logo" in response.content.decode().lower()
    assert 'class="errors"' in response.content.decode()
    forge.refresh_from_db()
    assert not forge.logo


def test_a_logo_over_the_size_limit_is_refused(client, carla, forge, settings):
    settings.TRIBU_MAX_IMAGE_BYTES = 1000
    client.force_login(carla)
    big = SimpleUploadedFile("logo.png", png((400, 400)) + b"\0" * 2000, content_type="image/png")
    response = client.post(reverse("companies:edit", args=[forge.slug]),
                           {"name": forge.name, "page_visibility": "members", "logo": big})
    assert response.status_code == 400
    assert "Le logo est trop lourd" in response.content.decode()


def test_a_contact_edits_their_company_and_the_directory_is_refreshed(
    client, carla, cole, forge, django_capture_on_commit_callbacks, monkeypatch
):
    refreshed = []
    monkeypatch.setattr("tribu.directory.index.refresh", lambda ids: refreshed.append(sorted(ids)))
    client.force_login(carla)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("companies:edit", args=[forge.slug]), {
            "name": "Forge du Léon", "page_visibility": "public", "sector": "Forge", "city": "Morlaix",
            "size": "1-9", "siret": forge.siret, "description": forge.description,
        })
    assert response.status_code == 302
    forge.refresh_from_db()
    assert forge.name == "Forge du Léon" and forge.page_visibility == "public"
    assert forge.slug == "la-forge-du-leon"  # shared links keep working
    activity = Activity.objects.get(verb="company.updated")
    assert activity.actor == carla and set(activity.data["fields"]) == {"name", "page_visibility"}
    assert refreshed == [sorted([carla.pk, cole.pk])]


def test_attaching_and_removing_record_activities_and_refresh_the_directory(
    bob, forge, mia, django_capture_on_commit_callbacks, monkeypatch
):
    from tribu.companies import actions

    refreshed = []
    monkeypatch.setattr("tribu.directory.index.refresh", lambda ids: refreshed.append(list(ids)))
    with django_capture_on_commit_callbacks(execute=True):
        actions.attach_member(bob, forge, mia, is_contact=True)
    with django_capture_on_commit_callbacks(execute=True):
        actions.remove_member(bob, forge, mia.pk)
    assert refreshed == [[mia.pk], [mia.pk]]
    sentences = [describe(a) for a in Activity.objects.order_by("id")]
    assert sentences == [
        "Bob Staff a rattaché Mia Membre à La Forge du Léon",
        "Bob Staff a désigné Mia Membre comme contact de La Forge du Léon",
        "Bob Staff a retiré Mia Membre de La Forge du Léon",
    ]


def test_the_api_refuses_bad_values_with_field_errors(client, bob, forge):
    client.force_login(bob)
    response = client.post("/api/v1/companies", data={"name": "X", "siret": "73282932000075", "size": "huge"},
                           content_type="application/json")
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert "siret" in details and "size" in details
    response = client.patch(f"/api/v1/companies/{forge.slug}", data={"partner_level_id": 999},
                            content_type="application/json")
    assert response.status_code == 422
    assert "partner_level_id" in response.json()["error"]["details"]
    response = client.patch(f"/api/v1/companies/{forge.slug}", data={"website": "pas une url"},
                            content_type="application/json")
    assert response.status_code == 422
    assert "website" in response.json()["error"]["details"]
    created = client.post("/api/v1/companies", data={"name": "Forge Neuve", "siret": "35600000049837"},
                          content_type="application/json")
    assert created.status_code == 201
    assert created.json()["slug"] == "forge-neuve" and created.json()["siret"] == "35600000049837"


def test_staff_manage_partner_levels_and_deleting_one_keeps_its_companies(client, bob, forge):
    from tribu.companies.models import PartnerLevel

    client.force_login(bob)
    client.post(reverse("companies:levels"), {"name_fr": "Mécène argent", "name_en": "Silver sponsor", "position": 2})
    level = PartnerLevel.objects.get()
    client.post(reverse("companies:edit", args=[forge.slug]),
                {"name": forge.name, "page_visibility": "members", "partner_level": level.pk})
    forge.refresh_from_db()
    assert forge.partner_level == level
    assert client.post(reverse("companies:level_delete", args=[level.pk])).status_code == 302
    forge.refresh_from_db()
    assert forge.partner_level is None
    missing = client.post(reverse("companies:levels"), {"name_fr": "", "name_en": "", "position": 1})
    assert missing.status_code == 400
