import io
import json
import zipfile

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.files.base import ContentFile
from django.db import models
from django.db.models.functions import Cast
from django.urls import reverse

from tribu.accounts.actions import accept_charter
from tribu.accounts.models import CustomField, CustomFieldValue, Profile, Tag, User
from tribu.api.models import PersonalAccessToken
from tribu.companies.models import Company, CompanyInvitation, CompanyMember
from tribu.core.activity import record
from tribu.core.models import Activity, Notification
from tribu.memberships.models import Membership, Tier
from tribu.privacy import actions
from tribu.privacy.models import Consent, ErasureRequest

pytestmark = pytest.mark.django_db
ROLES = ["admin", "staff", "animator", "member", "guest", "anonymous"]
PASSWORD = "correct horse battery"


def login(client, users_by_role, role):
    if role != "anonymous":
        client.force_login(users_by_role[role])
    return client


@pytest.fixture
def rich_mia(mia, bob):
    """Mia with something in every table that holds personal data."""
    profile = Profile.objects.create(user=mia, city="Quimper", bio="Mia Membre aime la voile", job_title="Skipper")
    profile.photo.save("mia.png", ContentFile(b"\x89PNG fake"), save=True)
    profile.skills.add(Tag.objects.create(kind="skill", name="Voile", slug="voile"))
    field = CustomField.objects.create(key="licence", kind="short_text", label_fr="Licence")
    CustomFieldValue.objects.create(user=mia, field=field, value="MIA-42")
    doc = CustomField.objects.create(key="cv", kind="file", label_fr="CV")
    value = CustomFieldValue(user=mia, field=doc)
    value.file.save("cv-mia.pdf", ContentFile(b"%PDF mia"), save=True)
    tier = Tier.objects.create(slug="membre", name_fr="Membre")
    membership = Membership.objects.create(user=mia, tier=tier, status="active", starts_on="2026-01-01")
    record(bob, "membership.created", membership, audit=True, email=mia.email)
    company = Company.objects.create(name="Voilerie", slug="voilerie")
    CompanyMember.objects.create(user=mia, company=company)
    CompanyInvitation.objects.create(company=company, email=mia.email, token_hash="x" * 64,
                                     expires_at="2099-01-01T00:00:00Z")
    PersonalAccessToken.objects.create(user=mia, name="Mon script", prefix="abcd1234", token_hash="y" * 64)
    Notification.objects.create(recipient=mia, kind="welcome", data={"text": "Bienvenue Mia Membre"})
    accept_charter(mia)
    actions.set_consents(mia, {"newsletter": True})
    record(mia, "post.created", None, title="Mon premier post")
    from tribu.imports.models import ImportJob

    ImportJob.objects.create(filename="adherents.csv", headers=["Email"], status="done",
                             report=[[2, "mia@example.org", "update", []], [3, "other@example.org", "create", []]])
    return mia


# --- Permission matrix ----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_everyone_with_an_account_reaches_their_own_data_page(client, users_by_role, role):
    for name in ("privacy:mine", "privacy:download"):
        response = login(client, users_by_role, role).get(reverse(name))
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        else:
            assert response.status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_only_the_team_manages_erasure_requests(client, users_by_role, role, rich_mia):
    request = actions.request_erasure(rich_mia, rich_mia)
    login(client, users_by_role, role)
    page = client.get(reverse("privacy:manage"))
    erase = client.post(reverse("privacy:manage_erase", args=[request.pk]), {"confirm": "1"})
    if role in {"admin", "staff"}:
        assert page.status_code == 200 and b"mia@example.org" in page.content
        assert erase.status_code == 302
        assert not User.objects.get(pk=rich_mia.pk).is_active
    else:
        assert page.status_code in (302, 403) and erase.status_code in (302, 403)
        assert b"mia@example.org" not in page.content
        assert User.objects.get(pk=rich_mia.pk).email == "mia@example.org"


def test_staff_cannot_erase_an_administrator_but_an_administrator_can_erase_staff(client, alice, bob, users_by_role):
    other_admin = User.objects.create_user("admin2@example.org", role="admin")
    request = actions.request_erasure(bob, other_admin)
    client.force_login(bob)
    assert client.post(reverse("privacy:manage_erase", args=[request.pk]), {"confirm": "1"}).status_code == 403
    assert User.objects.get(pk=other_admin.pk).is_active
    request = actions.request_erasure(alice, bob)
    client.force_login(alice)
    client.post(reverse("privacy:manage_erase", args=[request.pk]), {"confirm": "1"})
    assert not User.objects.get(pk=bob.pk).is_active


# --- Download ---------------------------------------------------------------------------------------------

def read_archive(content: bytes) -> tuple[dict, list[str]]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    return json.loads(archive.read("data.json")), archive.namelist()


def test_the_archive_holds_my_data_and_nobody_elses(client, rich_mia, bob, anna):
    Profile.objects.create(user=anna, city="Brest", bio="Anna's bio")
    Notification.objects.create(recipient=anna, kind="welcome", data={"text": "for anna"})
    client.force_login(rich_mia)
    response = client.get(reverse("privacy:download"))
    assert response["Content-Type"] == "application/zip"
    data, names = read_archive(response.content)
    assert data["account"]["email"] == "mia@example.org"
    assert data["profile"]["city"] == "Quimper" and data["profile"]["skills"] == ["Voile"]
    assert {v["key"]: v["value"] for v in data["custom_fields"]}["licence"] == "MIA-42"
    assert data["memberships"][0]["tier"] == "membre"
    assert data["memberships"][0]["history"][0]["verb"] == "membership.created"
    assert data["company"]["company"] == "Voilerie"
    assert [c["kind"] for c in data["consents"]] == ["charter", "newsletter"]
    assert data["notifications"]["received"][0]["data"] == {"text": "Bienvenue Mia Membre"}
    assert "post.created" in [a["verb"] for a in data["activities"]]
    assert data["api_tokens"][0]["name"] == "Mon script" and "token_hash" not in data["api_tokens"][0]
    assert any(n.startswith("files/accounts/photo/") for n in names)
    assert any(n.startswith("files/accounts/custom-fields/cv/") for n in names)
    text = response.content.decode("latin-1") + json.dumps(data)
    for other in ("anna@example.org", "Brest", "for anna", "bob@example.org", "Anna Animatrice"):
        assert other not in text
    assert Activity.objects.filter(verb="privacy.exported", actor=rich_mia).exists()


def test_the_api_gives_the_same_archive(client, rich_mia):
    client.force_login(rich_mia)
    response = client.get("/api/v1/me/export")
    assert response.status_code == 200
    data, _names = read_archive(response.content)
    assert data["account"]["email"] == "mia@example.org"
    assert client.get("/api/v1/me/export", HTTP_AUTHORIZATION="").status_code == 200
    client.logout()
    assert client.get("/api/v1/me/export").status_code == 401


# --- Erasure ----------------------------------------------------------------------------------------------

def tables_mentioning(*needles: str) -> list[str]:
    """Every text or JSON column of every table that still holds one of ``needles``."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField | models.EmailField):
                lookups = [models.Q(**{f"{field.attname}__icontains": n}) for n in needles]
                qs = model._default_manager.all()
            elif isinstance(field, models.JSONField):
                qs = model._default_manager.annotate(_text=Cast(field.attname, models.TextField()))
                lookups = [models.Q(_text__icontains=n) for n in needles]
            else:
                continue
            condition = lookups[0]
            for lookup in lookups[1:]:
                condition |= lookup
            if qs.filter(condition).exists():
                found.append(f"{model._meta.label}.{field.name}")
    return found


def test_deleting_my_account_erases_my_personal_data_and_keeps_contributions(
    client, rich_mia, django_capture_on_commit_callbacks
):
    photo = Profile.objects.get(user=rich_mia).photo
    photo_path = photo.path
    client.force_login(rich_mia)
    assert tables_mentioning("mia@example.org", "Mia Membre", "Quimper", "MIA-42")  # the fixture did its job
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("privacy:erase"), {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert tables_mentioning("mia@example.org", "Mia Membre", "Quimper", "MIA-42", "Mon script") == []
    user = User.objects.get(pk=rich_mia.pk)
    assert user.email == f"deleted-{user.pk}@invalid" and not user.is_active and not user.has_usable_password()
    assert (user.first_name, user.last_name, user.display_name) == ("", "", "Ancien membre")
    # Contributions stay, signed by the anonymous row; memberships stay for the accounts, ended.
    assert Activity.objects.filter(actor=user, verb="post.created").exists()
    assert Membership.objects.get(user=user).status == "cancelled"
    erased = Activity.objects.get(verb="member.erased")
    assert erased.actor is None and erased.target_id == str(user.pk)
    for model in (Profile, CustomFieldValue, CompanyMember, EmailAddress, PersonalAccessToken, Consent):
        assert not model.objects.filter(user=user).exists()
    assert not Notification.objects.filter(recipient=user).exists()
    assert not CompanyInvitation.objects.exists()
    from tribu.imports.models import ImportJob

    assert ImportJob.objects.get().report == [[2, "", "update", []], [3, "other@example.org", "create", []]]
    import os

    assert not os.path.exists(photo_path)
    # Logged out, and the old credentials no longer work.
    assert client.get(reverse("privacy:mine")).status_code == 302
    assert not client.login(email="mia@example.org", password=PASSWORD)
    assert client.post(reverse("account_login"), {"login": "mia@example.org", "password": PASSWORD}).status_code != 302


def test_a_wrong_password_erases_nothing(client, rich_mia):
    client.force_login(rich_mia)
    response = client.post(reverse("privacy:erase"), {"password": "nope", "confirm": "on"})
    assert response.status_code == 400
    assert "Le mot de passe n’est pas le bon." in response.content.decode()
    assert User.objects.get(pk=rich_mia.pk).is_active and Profile.objects.filter(user=rich_mia).exists()


def test_the_last_administrator_cannot_delete_their_account(client, alice):
    client.force_login(alice)
    response = client.post(reverse("privacy:erase"), {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 403
    assert User.objects.get(pk=alice.pk).is_active


def test_the_api_erases_with_the_password(client, rich_mia):
    client.force_login(rich_mia)
    refused = client.post("/api/v1/me/erase", {"password": "nope"}, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["error"]["details"]["password"]
    assert client.post("/api/v1/me/erase", {"password": PASSWORD}, content_type="application/json").status_code == 204
    assert not User.objects.get(pk=rich_mia.pk).is_active


def test_staff_process_a_request_entered_for_someone_who_wrote_in(client, bob, rich_mia):
    client.force_login(bob)
    response = client.post(reverse("privacy:manage"), {"email": "MIA@example.org", "note": "Courrier du 3 mars"})
    assert response.status_code == 302
    request = ErasureRequest.objects.get()
    assert not request.from_member and request.requested_by == bob
    again = client.post(reverse("privacy:manage"), {"email": "mia@example.org"})
    assert again.status_code == 400
    unconfirmed = client.post(reverse("privacy:manage_erase", args=[request.pk]))
    assert unconfirmed.status_code == 302 and User.objects.get(pk=rich_mia.pk).is_active
    client.post(reverse("privacy:manage_erase", args=[request.pk]), {"confirm": "1"})
    request.refresh_from_db()
    assert request.status == "done" and request.processed_by == bob
    erased = Activity.objects.get(verb="member.erased")
    assert erased.actor == bob and erased.audit
    assert "mia@example.org" not in json.dumps(erased.data)


def test_a_member_can_ask_the_team_instead(client, mia):
    client.force_login(mia)
    client.post(reverse("privacy:request"))
    assert ErasureRequest.objects.get().from_member
    client.post(reverse("privacy:request"))
    assert ErasureRequest.objects.count() == 1


# --- Consents ---------------------------------------------------------------------------------------------

def test_accepting_the_charter_records_its_text_and_version(mia):
    from tribu.core.community import forget_community, get_community

    community = get_community()
    community.charter = "Soyez bienveillants."
    community.save()
    forget_community()
    accept_charter(mia)
    consent = Consent.objects.get(user=mia, kind="charter")
    assert consent.granted and consent.text == "Soyez bienveillants."
    assert consent.version == actions.text_version("Soyez bienveillants.") and len(consent.version) == 64


def test_newsletter_toggles_keep_their_history(client, mia):
    from tribu.privacy.queries import has_consent

    client.force_login(mia)
    client.post(reverse("privacy:consents"), {"newsletter": "on"})
    client.post(reverse("privacy:consents"), {"newsletter": "on", "event_announcements": "on"})
    client.post(reverse("privacy:consents"), {"event_announcements": "on"})
    history = list(Consent.objects.filter(user=mia).order_by("pk").values_list("kind", "granted"))
    assert history == [("newsletter", True), ("event_announcements", True), ("newsletter", False)]
    assert not has_consent(mia, "newsletter") and has_consent(mia, "event_announcements")
    page = client.get(reverse("privacy:mine")).content.decode()
    assert page.count(" checked") == 1 and 'name="event_announcements" id="id_event_announcements" checked' in page


def test_the_requests_page_runs_the_same_queries_whatever_the_number_of_requests(client, bob, mia, gina,
                                                                                  django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(bob)
    actions.request_erasure(mia, mia)
    client.get(reverse("privacy:manage"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("privacy:manage"))
    for i in range(10):
        user = User.objects.create_user(f"u{i}@example.org", display_name=f"U{i}")
        actions.request_erasure(bob, user, note=f"lettre {i}")
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(reverse("privacy:manage"))
    assert "lettre 9" in page.content.decode()


def test_erasure_ends_the_members_other_sessions_and_tokens(client, rich_mia):
    from django.test import Client

    from tribu.api.actions import create_token

    _token, secret = create_token(rich_mia, "laptop", None)
    other_browser = Client()
    other_browser.force_login(rich_mia)
    assert other_browser.get(reverse("privacy:mine")).status_code == 200
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    actions.erase_own_account(rich_mia, PASSWORD)
    assert other_browser.get(reverse("privacy:mine")).status_code == 302
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
