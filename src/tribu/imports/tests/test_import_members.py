import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse

from tribu.accounts.models import CustomField, CustomFieldValue, Profile, Tag, User
from tribu.companies.models import CompanyMember
from tribu.core.models import Activity
from tribu.imports import actions
from tribu.imports.members import MemberImporter
from tribu.imports.models import ImportJob, ImportStatus
from tribu.memberships.models import Membership

from .factories import member_rows, setup_reference_data, to_csv

pytestmark = pytest.mark.django_db


def run_import(actor, data: bytes, name: str = "membres.csv", *, invite=False, capture=None):
    job = actions.start_import(actor, SimpleUploadedFile(name, data), "members")
    assert actions.preview_import(actor, job) == []
    preview = dict(job.counts)
    if capture is None:
        job = actions.apply_import(actor, job, invite=invite)
    else:
        with capture(execute=True):
            job = actions.apply_import(actor, job, invite=invite)
        job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    return job, preview


def errors_by_line(job: ImportJob) -> dict[int, list[str]]:
    return {line: reasons for line, _key, status, reasons in job.report if status == "error"}


@pytest.fixture
def ref(db):
    return setup_reference_data()


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8-sig", ";"), ("latin-1", ";"), ("utf-8", "\t")])
def test_a_messy_file_imports_its_valid_rows_and_reports_the_others(alice, ref, encoding, delimiter):
    rows, expected = member_rows(200)
    job, preview = run_import(alice, to_csv(rows, encoding=encoding, delimiter=delimiter))

    assert job.status == ImportStatus.DONE
    assert preview == {"create": expected["valid"], "update": 0, "unchanged": 0, "error": expected["error"]}
    assert job.counts == preview
    assert User.objects.filter(email__endswith="@exemple.fr").count() == expected["valid"]
    errors = errors_by_line(job)
    # Line numbers are the file's (header = line 1), each with its reason.
    assert errors[7] == ["malformed email address « pas-une-adresse5 »"]
    assert errors[10] == ["duplicate of line 9 (same email)"]
    assert errors[18] == ["impossible date « 31/02/2026 »"]
    assert errors[28] == ["Home region: « Atlantide » is not one of the choices offered."]
    assert errors[38] == ["unknown membership tier « platine »"]
    # A row in error leaves nothing behind.
    assert not User.objects.filter(email="membre15@exemple.fr").exists()

    member = User.objects.get(email="membre1@exemple.fr")
    assert (member.first_name, member.last_name, member.profile.city) == ("Prénom1", "Nom1", member.profile.city)
    assert sorted(member.profile.skills.values_list("name", flat=True)) == ["gestion de projet", "python"]
    assert EmailAddress.objects.get(user=member).verified is False
    assert not member.has_usable_password()
    membership = Membership.objects.get(user=member)
    assert (membership.tier.slug, membership.status, membership.source) == ("membre", "active", "import")
    assert (membership.starts_on, membership.ends_on) == (dt.date(2026, 1, 2), dt.date(2099, 12, 31))


def test_reimporting_the_same_file_changes_nothing_and_records_nothing(alice, ref):
    rows, expected = member_rows(200)
    data = to_csv(rows)
    run_import(alice, data)
    before = {
        "users": User.objects.count(), "memberships": Membership.objects.count(), "tags": Tag.objects.count(),
        "values": CustomFieldValue.objects.count(), "activities": Activity.objects.exclude(
            verb__startswith="import.").count(),
    }
    job, preview = run_import(alice, data)
    assert preview == {"create": 0, "update": 0, "unchanged": expected["valid"], "error": expected["error"]}
    assert job.counts == preview
    after = {
        "users": User.objects.count(), "memberships": Membership.objects.count(), "tags": Tag.objects.count(),
        "values": CustomFieldValue.objects.count(), "activities": Activity.objects.exclude(
            verb__startswith="import.").count(),
    }
    assert after == before


def test_an_update_changes_only_what_differs_and_empty_cells_keep_values(alice, ref):
    run_import(alice, to_csv([["lea@exemple.fr", "Léa", "Martin", "Rennes", "python", "membre", "", "", "Bretagne"]]))
    lea = User.objects.get(email="lea@exemple.fr")
    _job, preview = run_import(alice, to_csv([["LEA@exemple.fr", "Léa", "", "Brest", "", "", "", "", "alsace"]]))
    assert preview["update"] == 1
    lea.refresh_from_db()
    assert lea.last_name == "Martin"  # empty cell: kept
    assert Profile.objects.get(user=lea).city == "Brest"
    assert CustomFieldValue.objects.get(user=lea).value == "alsace"
    assert list(lea.profile.skills.values_list("name", flat=True)) == ["python"]
    activity = Activity.objects.get(verb="member.import_updated", target_id=str(lea.pk))
    assert activity.actor == alice and activity.data["fields"] == ["cf:{}".format(ref["region"].pk), "city"]


def test_membership_and_company_columns(alice, ref):
    headers = ["Email", "Formule", "Début", "Fin", "Société"]
    rows = [["a@exemple.fr", "Premium", "2026-01-01", "2099-12-31", "12345678900011"],
            ["b@exemple.fr", "membre", "01/01/2020", "31/12/2020", "acme"],
            ["c@exemple.fr", "", "01/01/2026", "", "Inconnue SARL"],
            ["d@exemple.fr", "membre", "01/01/2026", "01/01/2025", ""]]
    job, _preview = run_import(alice, to_csv(rows, headers=headers))
    assert Membership.objects.get(user__email="a@exemple.fr").status == "active"
    assert Membership.objects.get(user__email="b@exemple.fr").status == "expired"
    assert CompanyMember.objects.filter(company=ref["company"]).count() == 2
    errors = errors_by_line(job)
    assert errors[4] == ["unknown company « Inconnue SARL » (import companies first)",
                         "a membership tier is needed with membership dates"]
    assert errors[5] == ["the membership ends before it starts"]
    # Renewal by import: a new end date updates the current membership instead of adding one.
    run_import(alice, to_csv([["a@exemple.fr", "Premium", "2026-01-01", "2100-12-31", ""]], headers=headers))
    assert list(Membership.objects.filter(user__email="a@exemple.fr").values_list("ends_on", flat=True)) == [
        dt.date(2100, 12, 31)]


def test_required_custom_field_and_required_email_column(alice, ref):
    CustomField.objects.create(key="licence", kind="short_text", label_fr="Licence", label_en="Licence",
                               required=True)
    job, _ = run_import(alice, to_csv([["x@exemple.fr", ""], ["y@exemple.fr", "L-42"]], headers=["Email", "Licence"]))
    assert errors_by_line(job) == {2: ["Licence is required"]}
    job = actions.start_import(alice, SimpleUploadedFile("n.csv", to_csv([["Léa"]], headers=["Prénom"])), "members")
    assert actions.preview_import(alice, job) == [
        "Choose the column that holds the email address: it identifies each member."]


def test_only_admins_give_team_roles_by_import(alice, bob, ref, mia):
    data = to_csv([["new-admin@exemple.fr", "admin"], ["mia@example.org", "guest"]], headers=["Email", "Rôle"])
    job, _ = run_import(bob, data)
    assert errors_by_line(job) == {2: ["only an administrator can give the role « admin »"],
                                   3: ["only an administrator can change a role"]}
    job, _ = run_import(alice, data)
    assert User.objects.get(email="new-admin@exemple.fr").is_staff
    mia.refresh_from_db()
    assert mia.role == "guest"


def test_an_address_of_another_member_is_refused(alice, ref, mia):
    EmailAddress.objects.create(user=mia, email="mia.perso@exemple.fr", verified=True)
    job, _ = run_import(alice, to_csv([["mia.perso@exemple.fr"]], headers=["Email"]))
    assert errors_by_line(job) == {2: ["this address belongs to another member"]}


def test_a_chunk_the_database_refuses_is_replayed_row_by_row(alice, ref, monkeypatch):
    original = MemberImporter._write_custom

    def failing(self, todo, users, existing, now):
        if any(r.email == "boom@exemple.fr" for r in todo):
            raise IntegrityError("simulated constraint failure")
        return original(self, todo, users, existing, now)

    monkeypatch.setattr(MemberImporter, "_write_custom", failing)
    rows = [["ok1@exemple.fr", "A", "", "", "", "", "", "", "Bretagne"],
            ["boom@exemple.fr", "B", "", "", "python", "membre", "", "", ""],
            ["ok2@exemple.fr", "C", "", "", "", "", "", "", ""]]
    job, _ = run_import(alice, to_csv(rows))
    assert job.counts == {"create": 2, "update": 0, "unchanged": 0, "error": 1}
    assert errors_by_line(job)[3][0].startswith("the database refused this row")
    assert set(User.objects.filter(email__endswith="@exemple.fr").values_list("email", flat=True)) == {
        "ok1@exemple.fr", "ok2@exemple.fr"}
    assert not EmailAddress.objects.filter(email="boom@exemple.fr").exists()
    assert not Membership.objects.filter(user__email="boom@exemple.fr").exists()


def test_new_members_can_be_invited_by_email(alice, ref, smtp_server, django_capture_on_commit_callbacks, client):
    data = to_csv([["zoe@exemple.fr", "Zoé"]], headers=["Email", "Prénom"])
    with django_capture_on_commit_callbacks(execute=True):
        run_import(alice, data, invite=True)
    assert len(smtp_server.received) == 1
    message = smtp_server.received[0]
    assert message["To"] == "zoe@exemple.fr"
    body = message.get_payload()[0].get_payload(decode=True).decode()
    link = next(line for line in body.splitlines() if "/manage/imports/welcome/" in line).strip()
    # The link confirms the address and opens allauth's "choose a password" form.
    response = client.get(link.replace("http://127.0.0.1:8000", ""), follow=True)
    assert response.status_code == 200
    assert b"password1" in response.content
    assert EmailAddress.objects.get(email="zoe@exemple.fr").verified
    password = "un mot de passe solide 42"
    client.post(response.redirect_chain[-1][0], {"password1": password, "password2": password})
    login = client.post(reverse("account_login"), {"login": "zoe@exemple.fr", "password": password})
    assert login.status_code == 302 and login["Location"] != reverse("account_email_verification_sent")
    assert "confirm-email" not in login["Location"]
    # A used (or forged) link is refused with a way forward.
    again = client.get(link.replace("http://127.0.0.1:8000", ""))
    assert again.status_code == 302 and again["Location"] == reverse("account_reset_password")
    # Re-importing does not invite again (nobody new).
    with django_capture_on_commit_callbacks(execute=True):
        run_import(alice, data, invite=True)
    assert len(smtp_server.received) == 1


def test_a_large_file_runs_as_a_background_job_that_can_run_again(alice, ref, django_capture_on_commit_callbacks):
    rows, _expected = member_rows(600, messy=False)
    job = actions.start_import(alice, SimpleUploadedFile("big.csv", to_csv(rows)), "members")
    actions.preview_import(alice, job)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = actions.apply_import(alice, job)
    assert job.status == ImportStatus.QUEUED and User.objects.filter(email__endswith="@exemple.fr").count() == 0
    for callback in callbacks:  # the task backend is immediate in tests
        callback()
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.rows_done == job.total_rows == 600
    assert job.counts["create"] == 600
    assert not job.file  # the uploaded file is not kept once imported
    # The job re-run (a worker retrying it) upserts: nothing is created twice.
    job.file.save("again.csv", SimpleUploadedFile("again.csv", to_csv(rows)), save=False)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, file=job.file.name)
    actions.run_job(job.pk)
    job.refresh_from_db()
    assert job.counts == {"create": 0, "update": 0, "unchanged": 600, "error": 0}
    assert User.objects.filter(email__endswith="@exemple.fr").count() == 600


@pytest.mark.slow
def test_ten_thousand_messy_rows(alice, ref, django_capture_on_commit_callbacks):
    rows, expected = member_rows(10_000)
    data = to_csv(rows, encoding="latin-1")
    job, _preview = run_import(alice, data, capture=django_capture_on_commit_callbacks)
    assert job.counts == {"create": expected["valid"], "update": 0, "unchanged": 0, "error": expected["error"]}
    assert User.objects.filter(email__endswith="@exemple.fr").count() == expected["valid"]
    job, _preview = run_import(alice, data, capture=django_capture_on_commit_callbacks)
    assert job.counts == {"create": 0, "update": 0, "unchanged": expected["valid"], "error": expected["error"]}

