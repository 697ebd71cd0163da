"""Custom profile fields: each kind's validation (the same on the page and in the API), file answers,
what happens to answers when choices are removed, the admin pages and endpoints, and labels in both
languages."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tribu.accounts import custom_fields as cf
from tribu.accounts.models import CustomField, CustomFieldValue
from tribu.core.models import Activity

from .factories import answer, custom_field, pdf_upload

BASE = {"display_name": "Mia Membre"}
CHOICES = [
    {"value": "22", "label_fr": "Côtes-d’Armor", "label_en": "Côtes-d’Armor"},
    {"value": "29", "label_fr": "Finistère", "label_en": "Finistere"},
    {"value": "35", "label_fr": "Ille-et-Vilaine", "label_en": "Ille-et-Vilaine"},
]
# kind, good raw answer, what is stored, bad raw answer, the French message
KINDS = [
    ("short_text", "Bonjour", "Bonjour", "x" * 301, "Restez sous 300 caractères"),
    ("long_text", "Ligne 1\nLigne 2", "Ligne 1\nLigne 2", "x" * 5001, "Restez sous 5000 caractères"),
    ("single_choice", "29", "29", "75", "« 75 » ne fait pas partie des choix proposés."),
    ("multiple_choice", ["22", "35"], ["22", "35"], ["22", "75"], "« 75 » ne fait pas partie des choix proposés."),
    ("number", "1,5", 1.5, "douze", "Saisissez un nombre."),
    ("date", "2024-05-31", "2024-05-31", "2024-02-31", "Saisissez une date valide."),
    ("boolean", "yes", True, "peut-être", "Répondez par oui ou par non."),
    ("url", "atelier.example.org", "https://atelier.example.org", "pas une adresse",
     "Saisissez une adresse web valide."),
]


def make_field(kind: str) -> CustomField:
    return custom_field(key="question", kind=kind, label_fr="Question", choices=CHOICES if "choice" in kind else None)


@pytest.mark.parametrize(("kind", "good", "stored", "bad", "message"), KINDS)
def test_each_kind_accepts_a_good_answer_and_refuses_a_bad_one_on_the_page(client, mia, kind, good, stored, bad,
                                                                          message):
    field = make_field(kind)
    client.force_login(mia)
    refused = client.post(reverse("profile:edit"), {**BASE, "cf_question": bad})
    assert refused.status_code == 400
    assert message in refused.content.decode()
    assert not CustomFieldValue.objects.exists()
    accepted = client.post(reverse("profile:edit"), {**BASE, "cf_question": good})
    assert accepted.status_code == 302
    assert CustomFieldValue.objects.get(user=mia, field=field).value == stored


@pytest.mark.parametrize(("kind", "good", "stored", "bad", "message"), KINDS)
def test_each_kind_accepts_a_good_answer_and_refuses_a_bad_one_in_the_api(client, mia, kind, good, stored, bad,
                                                                         message):
    field = make_field(kind)
    client.force_login(mia)
    refused = client.patch("/api/v1/me/profile", {"custom_fields": {"question": bad}},
                           content_type="application/json")
    assert refused.status_code == 422
    assert message in refused.json()["error"]["details"]["custom_fields.question"][0]
    assert not CustomFieldValue.objects.exists()
    accepted = client.patch("/api/v1/me/profile", {"custom_fields": {"question": good}},
                            content_type="application/json")
    assert accepted.status_code == 200
    assert CustomFieldValue.objects.get(user=mia, field=field).value == stored
    assert [a["value"] for a in accepted.json()["custom_fields"]] == [stored]


def test_the_api_takes_typed_json_values_too(client, mia):
    number = custom_field(key="annee", kind="number")
    yes_no = custom_field(key="apprentis", kind="boolean")
    client.force_login(mia)
    response = client.patch("/api/v1/me/profile", {"custom_fields": {"annee": 2012, "apprentis": False}},
                            content_type="application/json")
    assert response.status_code == 200
    assert CustomFieldValue.objects.get(field=number).value == 2012
    assert CustomFieldValue.objects.get(field=yes_no).value is False


def test_a_required_field_cannot_be_emptied_and_an_unknown_key_is_refused(client, mia):
    custom_field(key="metier", required=True)
    client.force_login(mia)
    page = client.post(reverse("profile:edit"), {**BASE, "cf_metier": ""})
    assert page.status_code == 400
    assert "Ce champ est obligatoire." in page.content.decode()
    api = client.patch("/api/v1/me/profile", {"custom_fields": {"metier": "", "inconnu": "x"}},
                       content_type="application/json")
    assert api.status_code == 422
    details = api.json()["error"]["details"]
    assert details["custom_fields.metier"] == ["Ce champ est obligatoire."]
    assert details["custom_fields.inconnu"] == ["Ce champ n’existe pas."]


def test_a_file_answer_is_checked_stored_and_served_only_to_its_audience(client, mia, anna, bob):
    field = custom_field(key="cv", kind="file", label_fr="CV", visibility="staff")
    client.force_login(mia)
    renamed = SimpleUploadedFile("cv.pdf", b"MZ\x90\x00 a program", content_type="application/pdf")
    refused = client.post(reverse("profile:edit"), {**BASE, "cf_cv": renamed})
    assert refused.status_code == 400
    assert "ne correspond pas à son extension « .pdf »" in refused.content.decode()
    program = SimpleUploadedFile("outil.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    refused = client.post(reverse("profile:edit"), {**BASE, "cf_cv": program})
    assert "Ce type de fichier n’est pas accepté" in refused.content.decode()
    assert not CustomFieldValue.objects.exists()

    assert client.post(reverse("profile:edit"), {**BASE, "cf_cv": pdf_upload()}).status_code == 302
    stored = CustomFieldValue.objects.get(user=mia, field=field)
    assert stored.value["name"] == "cv.pdf" and stored.file
    # Saving again without a new file keeps it.
    assert client.post(reverse("profile:edit"), {**BASE, "job_title": "x"}).status_code == 302
    assert CustomFieldValue.objects.get(pk=stored.pk).file

    url = reverse("profile:custom_file", args=[mia.pk, "cv"])
    assert client.get(url).status_code == 200  # the member themselves
    client.force_login(anna)
    assert client.get(url).status_code == 404
    assert "cv.pdf" not in client.get(reverse("profile:detail", args=[mia.pk])).content.decode()
    client.force_login(bob)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_file_above_the_limit_is_refused(client, mia, monkeypatch):
    monkeypatch.setattr(cf, "MAX_FILE_BYTES", 10)
    custom_field(key="cv", kind="file")
    client.force_login(mia)
    response = client.post(reverse("profile:edit"), {**BASE, "cf_cv": pdf_upload()})
    assert response.status_code == 400
    assert "Ce fichier est trop lourd" in response.content.decode()


def test_files_are_uploaded_from_the_page_not_the_api(client, mia):
    custom_field(key="cv", kind="file")
    client.force_login(mia)
    response = client.patch("/api/v1/me/profile", {"custom_fields": {"cv": "cv.pdf"}}, content_type="application/json")
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert details["custom_fields.cv"] == ["Déposez ce fichier depuis la page de votre fiche."]


def test_removing_a_choice_asks_for_confirmation_and_keeps_the_answers_that_hold_it(client, alice, mia):
    field = custom_field(key="departement", kind="single_choice", label_fr="Département", choices=CHOICES)
    answer(mia, field, "35")
    client.force_login(alice)
    form = {"label_fr": "Département", "kind": "single_choice", "key": "departement", "visibility": "members",
            "choices": "22 | Côtes-d’Armor\n29 | Finistère"}
    warned = client.post(reverse("profile:field_edit", args=[field.pk]), form)
    assert warned.status_code == 400
    page = warned.content.decode()
    assert "« 35 » : 1 membre" in page
    assert len(CustomField.objects.get(pk=field.pk).choices) == 3  # nothing changed yet

    done = client.post(reverse("profile:field_edit", args=[field.pk]), {**form, "confirm_removed_choices": "on"},
                       follow=True)
    assert "« 35 » n’est plus proposé ; 1 membre le garde comme réponse." in done.content.decode()
    assert [c["value"] for c in CustomField.objects.get(pk=field.pk).choices] == ["22", "29"]
    assert CustomFieldValue.objects.get(user=mia, field=field).value == "35"
    assert Activity.objects.get(verb="custom_field.updated").data["kept_values"] == {"35": 1}

    # Mia still sees her answer, and saving her profile does not lose it.
    client.force_login(mia)
    edit = client.get(reverse("profile:edit")).content.decode()
    assert "35 (n’est plus proposé)" in edit
    assert client.post(reverse("profile:edit"), {**BASE, "cf_departement": "35"}).status_code == 302
    assert CustomFieldValue.objects.get(user=mia, field=field).value == "35"
    # Someone else cannot pick the removed choice.
    assert client.patch("/api/v1/me/profile", {"custom_fields": {"departement": "29"}},
                        content_type="application/json").status_code == 200
    assert client.patch("/api/v1/me/profile", {"custom_fields": {"departement": "35"}},
                        content_type="application/json").status_code == 422


def test_the_type_of_an_answered_field_cannot_change(client, alice, mia):
    field = custom_field(key="annee", kind="number")
    answer(mia, field, 2012)
    client.force_login(alice)
    response = client.patch(f"/api/v1/custom-fields/{field.pk}", {"kind": "date"}, content_type="application/json")
    assert response.status_code == 422
    assert "son type ne peut plus changer" in response.json()["error"]["details"]["kind"][0]


@pytest.mark.parametrize("role", ["anonymous", "guest", "member", "animator", "staff", "admin"])
def test_only_admins_manage_custom_fields_on_the_pages(client, users_by_role, role):
    field = custom_field(key="metier")
    if role != "anonymous":
        client.force_login(users_by_role[role])
    urls = [reverse("profile:manage_fields"), reverse("profile:field_create"), reverse("profile:manage_signup"),
            reverse("profile:field_edit", args=[field.pk])]
    for url in urls:
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302 and reverse("account_login") in response["Location"]
        else:
            assert response.status_code == (200 if role == "admin" else 403), url
    archive = client.post(reverse("profile:manage_fields"), {"field": field.pk, "action": "archive"})
    assert archive.status_code == (302 if role in {"admin", "anonymous"} else 403)
    assert CustomField.objects.get(pk=field.pk).active == (role != "admin")


@pytest.mark.parametrize("role", ["guest", "member", "animator", "staff", "admin"])
def test_only_admins_manage_custom_fields_in_the_api(client, users_by_role, role):
    field = custom_field(key="metier")
    client.force_login(users_by_role[role])
    admin = role == "admin"
    created = client.post("/api/v1/custom-fields", {"kind": "boolean", "label_fr": "Ouvert aux apprentis"},
                          content_type="application/json")
    changed = client.patch(f"/api/v1/custom-fields/{field.pk}", {"label_en": "Trade"},
                           content_type="application/json")
    deleted = client.delete(f"/api/v1/custom-fields/{field.pk}")
    assert (created.status_code, changed.status_code, deleted.status_code) == ((201, 200, 204) if admin else
                                                                               (403, 403, 403))
    assert CustomField.objects.filter(key="ouvert_aux_apprentis").exists() == admin
    assert CustomField.objects.get(pk=field.pk).active != admin
    if not admin:
        assert created.json()["error"]["message"] == "Seuls les administrateur·rices gèrent les champs de profil."


def test_an_admin_creates_reorders_archives_and_restores_fields_on_the_pages(client, alice, mia):
    client.force_login(alice)
    response = client.post(reverse("profile:field_create"), {
        "label_fr": "Département", "label_en": "Department", "kind": "single_choice", "visibility": "members",
        "choices": "22 | Côtes-d’Armor | Côtes-d’Armor\n29 | Finistère | Finistere", "directory_filter": "on",
    })
    assert response.status_code == 302
    first = CustomField.objects.get(key="departement")
    assert first.choices[1] == {"value": "29", "label_fr": "Finistère", "label_en": "Finistere"}
    assert first.directory_filter
    bad = client.post(reverse("profile:field_create"), {"label_fr": "Choix", "kind": "single_choice",
                                                        "visibility": "members"})
    assert bad.status_code == 400
    assert "Proposez au moins un choix, un par ligne." in bad.content.decode()
    second = custom_field(key="annee", kind="number", position=5)
    client.post(reverse("profile:manage_fields"), {"field": second.pk, "action": "up"})
    assert list(CustomField.objects.values_list("key", flat=True)) == ["annee", "departement"]
    client.post(reverse("profile:manage_fields"), {"field": first.pk, "action": "archive"})
    client.force_login(mia)
    assert "cf_departement" not in client.get(reverse("profile:edit")).content.decode()
    client.force_login(alice)
    client.post(reverse("profile:manage_fields"), {"field": first.pk, "action": "restore"})
    assert CustomField.objects.get(pk=first.pk).active
    verbs = set(Activity.objects.filter(audit=True).values_list("verb", flat=True))
    assert {"custom_field.created", "custom_field.reordered", "custom_field.archived",
            "custom_field.restored"} <= verbs


@pytest.mark.parametrize(("language", "label", "choice"), [("fr", "Département", "Finistère"),
                                                           ("en", "Department", "Finistere")])
def test_labels_and_choices_show_in_the_readers_language(client, mia, anna, language, label, choice):
    field = custom_field(key="departement", kind="single_choice", label_fr="Département", label_en="Department",
                         choices=CHOICES)
    answer(mia, field, "29")
    anna.language = language
    anna.save(update_fields=["language"])
    client.force_login(anna)
    page = client.get(reverse("profile:detail", args=[mia.pk])).content.decode()
    assert f"<dt>{label}</dt>" in page
    assert f"<dd>{choice}</dd>" in page
    api = client.get(f"/api/v1/members/{mia.pk}", HTTP_ACCEPT_LANGUAGE=language).json()
    assert api["custom_fields"][0]["label"] == label


def test_parse_choices_reads_the_admins_lines():
    assert cf.parse_choices("29 | Finistère | Finistere\nMorbihan\n\n") == [
        {"value": "29", "label_fr": "Finistère", "label_en": "Finistere"},
        {"value": "morbihan", "label_fr": "Morbihan", "label_en": ""},
    ]
    with pytest.raises(Exception, match="deux fois"):
        cf.parse_choices("a | A\na | B")


def test_the_json_payload_of_a_choice_list_round_trips(client, alice):
    client.force_login(alice)
    payload = {"kind": "multiple_choice", "label_fr": "Matières", "choices": [
        {"value": "bois", "label_fr": "Bois", "label_en": "Wood"}, {"value": "terre", "label_fr": "Terre"}]}
    response = client.post("/api/v1/custom-fields", json.dumps(payload), content_type="application/json")
    assert response.status_code == 201
    assert response.json()["choices"][0] == {"value": "bois", "label_fr": "Bois", "label_en": "Wood"}
