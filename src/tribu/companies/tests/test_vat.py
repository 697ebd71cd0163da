"""A company's VAT number: typed the way people write it, kept normalised, refused when it cannot be one,
shown on the company's page and printed on its invoices (see payments/tests/test_company.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tribu.companies.models import Company

pytestmark = pytest.mark.django_db

VALID = {"name": "Menuiserie Le Gall", "page_visibility": "public", "sector": "Menuiserie", "city": "Brest"}


def test_staff_type_a_vat_number_with_spaces_and_it_is_kept_normalised(client, bob):
    client.force_login(bob)
    response = client.post(reverse("companies:create"), {**VALID, "vat_number": "fr 32 732 829 320"})
    assert response.status_code == 302
    company = Company.objects.get(name="Menuiserie Le Gall")
    assert company.vat_number == "FR32732829320"
    assert "FR32732829320" in client.get(reverse("companies:detail", args=[company.slug])).content.decode()


def test_a_bad_vat_number_is_refused_in_french_and_nothing_is_created(client, bob):
    client.force_login(bob)
    response = client.post(reverse("companies:create"), {**VALID, "vat_number": "123"})
    assert response.status_code == 400
    assert "Saisissez le numéro de TVA tel qu'il figure" in response.content.decode().replace("&#x27;", "'")
    assert not Company.objects.exists()


def test_a_contact_sets_the_vat_number_through_the_api_and_a_bad_one_gets_a_field_error(client, forge, carla):
    client.force_login(carla)
    bad = client.patch(f"/api/v1/companies/{forge.slug}", data={"vat_number": "n/a"},
                       content_type="application/json")
    assert bad.status_code == 422 and "vat_number" in bad.json()["error"]["details"]
    good = client.patch(f"/api/v1/companies/{forge.slug}", data={"vat_number": "FR 32 732829320"},
                        content_type="application/json")
    assert good.status_code == 200
    assert client.get(f"/api/v1/companies/{forge.slug}").json()["vat_number"] == "FR32732829320"
