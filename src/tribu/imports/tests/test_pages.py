import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tribu.accounts.models import CustomField, CustomFieldValue, Profile, User
from tribu.companies.models import Company, CompanyMember
from tribu.core.models import Activity
from tribu.imports import actions
from tribu.imports.models import ImportJob, ImportStatus
from tribu.memberships.models import Membership

from .factories import member_rows, setup_reference_data, to_csv

pytestmark = pytest.mark.django_db

TEAM = {"admin", "staff"}
ROLES = ["admin", "staff", "animator", "member", "guest", "anonymous"]


def login(client, users_by_role, role):
    if role != "anonymous":
        client.force_login(users_by_role[role])
    return client


@pytest.fixture
def job(alice):
    setup_reference_data()
    rows, _ = member_rows(20)
    job = actions.start_import(alice, SimpleUploadedFile("m.csv", to_csv(rows)), "members")
    actions.preview_import(alice, job)
    return job


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", ["index", "preview", "job", "progress", "export_members", "export_companies",
                                  "download_members"])
def test_only_the_team_reaches_import_and_export(client, users_by_role, job, role, page):
    urls = {
        "index": reverse("imports:index"),
        "preview": reverse("imports:preview", args=[job.pk]),
        "job": reverse("imports:job", args=[job.pk]),
        "progress": reverse("imports:progress", args=[job.pk]),
        "export_members": reverse("imports:export_members"),
        "export_companies": reverse("imports:export_companies"),
        "download_members": reverse("imports:export_members") + "?format=csv&columns=email&columns=cf:region-origine",
    }
    response = login(client, users_by_role, role).get(urls[page])
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif role in TEAM:
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 403
        assert b"@exemple.fr" not in response.content


@pytest.mark.parametrize("role", ["animator", "member", "guest"])
def test_others_cannot_upload_or_apply(client, users_by_role, job, role):
    login(client, users_by_role, role)
    upload = client.post(reverse("imports:index"), {"kind": "members", "file": SimpleUploadedFile("x.csv", b"Email\n")})
    apply = client.post(reverse("imports:apply", args=[job.pk]))
    assert upload.status_code == apply.status_code == 403
    assert ImportJob.objects.count() == 1 and User.objects.filter(email__endswith="@exemple.fr").count() == 0


def test_the_whole_journey_through_the_pages(client, alice):
    setup_reference_data()
    client.force_login(alice)
    rows, expected = member_rows(30)
    response = client.post(reverse("imports:index"), {
        "kind": "members", "file": SimpleUploadedFile("adhérents.csv", to_csv(rows, encoding="latin-1"))})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:mapping", args=[job.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'value="first_name" selected' in page.content.decode()  # « Prénom » guessed
    form = {f"col_{i}": v for i, v in job.mapping.items()}
    response = client.post(reverse("imports:mapping", args=[job.pk]), form)
    assert response["Location"] == reverse("imports:preview", args=[job.pk])
    preview = client.get(response["Location"]).content.decode()
    assert "malformed email address « pas-une-adresse5 »" in preview
    assert "duplicate of line 9 (same email)" in preview
    errors_only = client.get(reverse("imports:preview", args=[job.pk]) + "?show=errors").content.decode()
    assert "membre1@exemple.fr" not in errors_only and "membre15@exemple.fr" in errors_only
    response = client.post(reverse("imports:apply", args=[job.pk]))
    assert response["Location"] == reverse("imports:job", args=[job.pk])
    report = client.get(response["Location"]).content.decode()
    assert "The import is finished." in report
    assert User.objects.filter(email__endswith="@exemple.fr").count() == expected["valid"]
    assert Activity.objects.filter(verb="import.applied", audit=True).count() == 1


def test_a_mapping_without_email_is_refused_with_a_message(client, alice, job):
    client.force_login(alice)
    form = {f"col_{i}": ("" if v == "email" else v) for i, v in job.mapping.items()}
    response = client.post(reverse("imports:mapping", args=[job.pk]), form)
    assert response.status_code == 400
    assert "Choose the column that holds the email address" in response.content.decode()


def test_a_file_that_is_not_a_table_is_refused(client, alice):
    client.force_login(alice)
    response = client.post(reverse("imports:index"), {
        "kind": "members", "file": SimpleUploadedFile("x.xlsx", b"PK\x03\x04garbage")})
    assert response.status_code == 400
    assert "The Excel file could not be read." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_progress_bar_polls_while_running_and_reloads_when_done(client, alice, job):
    client.force_login(alice)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, rows_done=7, total_rows=28)
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in page and 'value="25"' in page
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE, rows_done=28)
    fragment = client.get(reverse("imports:progress", args=[job.pk]), headers={"HX-Request": "true"})
    assert fragment["HX-Refresh"] == "true" and "every 2s" not in fragment.content.decode()


# --- Exports ---------------------------------------------------------------------------------------

@pytest.fixture
def english(alice, bob):
    for user in (alice, bob):
        user.language = "en"
        user.save(update_fields=["language"])


@pytest.fixture
def members(alice, english):
    ref = setup_reference_data()
    secret = CustomField.objects.create(key="note-interne", kind="short_text", label_fr="Note interne",
                                        visibility="staff")
    tier = ref["tiers"]["premium"]
    people = []
    for i in range(6):
        user = User.objects.create_user(f"p{i}@exemple.fr", first_name=f"P{i}", last_name="Test",
                                        role="member" if i % 2 else "guest")
        Profile.objects.create(user=user, city="=HYPERLINK(\"x\")" if i == 0 else "Lyon")
        CustomFieldValue.objects.create(user=user, field=ref["region"], value="bretagne")
        CustomFieldValue.objects.create(user=user, field=secret, value=f"secret {i}")
        if i < 3:
            Membership.objects.create(user=user, tier=tier, status="active", starts_on="2026-01-01",
                                      ends_on="2026-12-31")
            CompanyMember.objects.create(user=user, company=ref["company"])
        people.append(user)
    return people


def read_csv(response, delimiter=";"):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=delimiter))


def test_member_export_filters_and_columns(client, bob, members):
    client.force_login(bob)
    url = reverse("imports:export_members")
    columns = ["email", "tier", "ends_on", "company", "cf:region-origine"]
    response = client.get(url, {"format": "csv", "delimiter": ";", "tier": "premium", "columns": columns})
    assert response["Content-Type"].startswith("text/csv")
    rows = read_csv(response)
    assert rows[0] == ["Email", "Membership tier (slug or name)", "Membership end date", "Company (name or SIRET)",
                       "Home region"]
    assert rows[1:] == [[f"p{i}@exemple.fr", "Premium", "2026-12-31", "Acme", "Brittany"] for i in range(3)]
    guests = read_csv(client.get(url, {"format": "csv", "role": "guest", "q": "exemple", "delimiter": ",",
                                       "columns": ["email", "city"]}), delimiter=",")
    assert guests[1:] == [["p0@exemple.fr", "'=HYPERLINK(\"x\")"], ["p2@exemple.fr", "Lyon"], ["p4@exemple.fr", "Lyon"]]
    audit = Activity.objects.filter(verb="members.exported", audit=True, actor=bob)
    assert audit.count() == 2
    assert audit.first().data["filters"] == {"role": "guest", "search": "exemple"}


def test_member_export_as_excel_reimports_unchanged(client, alice, members):
    from openpyxl import load_workbook

    client.force_login(alice)
    response = client.get(reverse("imports:export_members"), {
        "format": "xlsx", "columns": ["email", "first_name", "last_name", "city", "cf:region-origine"]})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Email", "First name", "Last name", "City", "Home region")
    assert len(rows) == 1 + 6 + 2  # with alice and bob
    job = actions.start_import(alice, SimpleUploadedFile("export.xlsx", response.content), "members")
    actions.preview_import(alice, job)
    assert job.counts == {"create": 0, "update": 0, "unchanged": 8, "error": 0}


def test_member_export_runs_a_bounded_number_of_queries(client, alice, members, django_assert_max_num_queries,
                                                        monkeypatch):
    from tribu.imports import exports

    client.force_login(alice)
    params = {"format": "csv", "delimiter": ";", "columns": ["email", "skills", "tier", "company", "cf:region-origine"]}
    monkeypatch.setattr(exports, "CHUNK", 100)
    read_csv(client.get(reverse("imports:export_members"), params))  # warm caches (session, community)
    with django_assert_max_num_queries(20) as small:
        read_csv(client.get(reverse("imports:export_members"), params))
    for i in range(60):
        user = User.objects.create_user(f"extra{i}@exemple.fr")
        CustomFieldValue.objects.create(user=user, field=CustomField.objects.get(key="region-origine"), value="alsace")
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        rows = read_csv(client.get(reverse("imports:export_members"), params))
    assert len(rows) == 1 + 6 + 60 + 2  # + alice and bob
    assert len(large.captured_queries) == len(small.captured_queries)


def test_company_export(client, bob, english):
    Company.objects.create(name="Zeta", slug="zeta", siret="11111111111111", city="Nantes", size="10-49")
    client.force_login(bob)
    params = {"format": "csv", "delimiter": ";", "columns": ["name", "siret", "size", "members"]}
    rows = read_csv(client.get(reverse("imports:export_companies"), params))
    assert rows == [["Name", "SIRET", "Size", "Attached members"], ["Zeta", "11111111111111", "10-49", "0"]]
    assert Activity.objects.filter(verb="companies.exported", audit=True).exists()


def test_the_imports_page_runs_the_same_queries_whatever_the_number_of_imports(
    client, alice, django_assert_num_queries
):
    client.force_login(alice)
    ImportJob.objects.create(filename="a.csv", created_by=alice, headers=["Email"])
    client.get(reverse("imports:index"))  # warm caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("imports:index")).status_code == 200
    for i in range(15):
        ImportJob.objects.create(filename=f"f{i}.csv", created_by=alice, headers=["Email"],
                                 report=[[2, "x", "error", []]])
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(reverse("imports:index"))
    assert page.content.decode().count("Alice Admin") >= 16


def test_a_failed_import_can_be_run_again_from_its_page(client, alice, job, monkeypatch):
    from tribu.imports.members import MemberImporter

    def crash(self, rows, progress=None):
        raise RuntimeError("worker lost")

    client.force_login(alice)
    with monkeypatch.context() as patched:
        patched.setattr(MemberImporter, "run", crash)
        response = client.post(reverse("imports:apply", args=[job.pk]))
        assert response.status_code == 302  # not a 500: the job page tells what happened
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "Run the import again" in page
    client.post(reverse("imports:apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.counts["create"] > 0
