import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tribu.accounts.models import User

from .factories import member_rows, setup_reference_data, to_csv

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["animator", "member", "guest"])
def test_only_the_team_imports_through_the_api(client, users_by_role, role):
    client.force_login(users_by_role[role])
    response = client.post("/api/v1/imports", {"file": SimpleUploadedFile("m.csv", b"Email\nx@exemple.fr\n")})
    assert response.status_code == 403
    assert not User.objects.filter(email="x@exemple.fr").exists()


def test_an_integrator_checks_then_imports_a_file(client, bob):
    setup_reference_data()
    client.force_login(bob)
    rows, expected = member_rows(30)
    checked = client.post("/api/v1/imports", {"file": SimpleUploadedFile("m.csv", to_csv(rows)), "kind": "members"})
    assert checked.status_code == 201
    body = checked.json()
    assert body["status"] == "previewed" and body["mapping"]["E-mail"] == "email"
    assert body["counts"] == {"create": expected["valid"], "update": 0, "unchanged": 0, "error": expected["error"]}
    assert {"line": 7, "key": "", "outcome": "error", "reasons": ["malformed email address « pas-une-adresse5 »"]} in (
        body["errors"])
    assert not User.objects.filter(email__endswith="@exemple.fr").exists()
    applied = client.post("/api/v1/imports", {"file": SimpleUploadedFile("m.csv", to_csv(rows)), "apply": "true"})
    assert applied.json()["status"] == "done"
    assert User.objects.filter(email__endswith="@exemple.fr").count() == expected["valid"]
    again = client.get(f"/api/v1/imports/{applied.json()['id']}")
    assert again.status_code == 200 and again.json()["counts"]["create"] == expected["valid"]


def test_a_file_without_an_email_column_is_a_422(client, alice):
    client.force_login(alice)
    response = client.post("/api/v1/imports", {"file": SimpleUploadedFile("m.csv", b"Bidule\nx\n")})
    assert response.status_code == 422
    assert "email address" in response.json()["error"]["message"]
