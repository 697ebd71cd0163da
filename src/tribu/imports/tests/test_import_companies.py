import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tribu.companies.models import Company
from tribu.core.models import Activity
from tribu.imports import actions

from .factories import to_csv

pytestmark = pytest.mark.django_db
HEADERS = ["Raison sociale", "SIRET", "Secteur", "Effectif", "Ville", "Site web"]


def run(actor, rows):
    job = actions.start_import(actor, SimpleUploadedFile("societes.csv", to_csv(rows, headers=HEADERS)), "companies")
    assert job.mapping == {"0": "name", "1": "siret", "2": "sector", "3": "size", "4": "city", "5": "website"}
    assert actions.preview_import(actor, job) == []
    return actions.apply_import(actor, job)


def test_companies_upsert_by_siret_then_by_name(bob):
    Company.objects.create(name="Acme", slug="acme", siret="12345678900011", city="Paris")
    Company.objects.create(name="Brest Bois", slug="brest-bois")
    job = run(bob, [
        ["ACME (nouveau nom)", "123 456 789 00011", "Industrie", "10 à 49", "Lyon", "acme.fr"],
        ["brest bois", "", "Menuiserie", "5", "", ""],
        ["Nouvelle Coop", "98765432100019", "", "250+", "Nantes", ""],
        ["Sans Siret", "1234", "", "", "", ""],
        ["Nouvelle Coop", "", "", "", "", ""],
        ["Taille Folle", "", "", "énorme", "", ""],
    ])
    assert job.counts == {"create": 1, "update": 2, "unchanged": 0, "error": 3}
    acme = Company.objects.get(siret="12345678900011")
    assert (acme.name, acme.city, acme.size, acme.website) == ("ACME (nouveau nom)", "Lyon", "10-49",
                                                               "https://acme.fr")
    assert Company.objects.get(slug="brest-bois").size == "1-9"
    assert Company.objects.get(siret="98765432100019").slug == "nouvelle-coop"
    errors = {line: reasons for line, _key, status, reasons in job.report if status == "error"}
    assert errors == {5: ["a SIRET has 14 digits, not « 1234 »"], 6: ["duplicate of line 4"],
                      7: ["unknown company size « énorme »"]}
    assert Activity.objects.filter(verb="company.imported").count() == 1
    again = run(bob, [["ACME (nouveau nom)", "12345678900011", "Industrie", "10-49", "Lyon", "https://acme.fr"]])
    assert again.counts == {"create": 0, "update": 0, "unchanged": 1, "error": 0}
