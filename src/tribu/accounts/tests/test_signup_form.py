"""The signup form builder: admins choose the questions after the name; newcomers answer them with the
same rules as the profile page, and the answers land on their profile."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tribu.accounts.models import CustomField, CustomFieldValue, Profile, SignupField, User

from .factories import custom_field
from .test_signup import GOOD

CHOICES = [{"value": "29", "label_fr": "Finistère", "label_en": "Finistere"},
           {"value": "56", "label_fr": "Morbihan", "label_en": "Morbihan"}]


@pytest.fixture
def signup_questions(db):
    departement = custom_field(key="departement", kind="single_choice", label_fr="Département", choices=CHOICES,
                               required=True, on_signup=True)
    apprentis = custom_field(key="apprentis", kind="boolean", label_fr="Ouvert aux apprentis", on_signup=True)
    SignupField.objects.create(standard="job_title", position=1, required=True)
    SignupField.objects.create(custom_field=departement, position=2)
    SignupField.objects.create(custom_field=apprentis, position=3)
    SignupField.objects.create(standard="skills", position=4)
    return departement, apprentis


def test_the_questions_appear_after_the_name_and_before_the_charter_in_order(client, signup_questions):
    page = client.get(reverse("account_signup")).content.decode()
    names = re.findall(r'name="(display_name|password2|job_title|cf_departement|cf_apprentis|skills|accept_charter)"',
                       page)
    ordered = list(dict.fromkeys(names))
    assert ordered == ["display_name", "password2", "job_title", "cf_departement", "cf_apprentis", "skills",
                       "accept_charter"]
    assert "Finistère" in page


def test_a_missing_required_answer_is_refused_with_a_message_and_nothing_is_created(client, signup_questions):
    response = client.post(reverse("account_signup"), {**GOOD, "job_title": "Céramiste"})
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in response.content.decode()
    assert not User.objects.exists()
    response = client.post(reverse("account_signup"), {**GOOD, "job_title": "Céramiste", "cf_departement": "75"})
    assert response.status_code == 400
    assert "« 75 » ne fait pas partie des choix proposés." in response.content.decode()
    assert not User.objects.exists()


def test_the_answers_are_stored_on_the_new_members_profile(client, signup_questions):
    departement, apprentis = signup_questions
    response = client.post(reverse("account_signup"), {
        **GOOD, "job_title": "Céramiste", "cf_departement": "29", "cf_apprentis": "yes",
        "skills": "Céramique, Émaillage",
    })
    assert response.status_code == 302
    user = User.objects.get(email__iexact="zoe@example.org")
    profile = Profile.objects.get(user=user)
    assert profile.job_title == "Céramiste"
    assert sorted(profile.skills.values_list("name", flat=True)) == ["Céramique", "Émaillage"]
    assert CustomFieldValue.objects.get(user=user, field=departement).value == "29"
    assert CustomFieldValue.objects.get(user=user, field=apprentis).value is True


def test_without_questions_the_signup_form_is_as_before(client, db):
    page = client.get(reverse("account_signup")).content.decode()
    assert "cf_" not in page and 'name="job_title"' not in page
    assert client.post(reverse("account_signup"), GOOD).status_code == 302
    assert not Profile.objects.exists()


def test_an_admin_builds_the_signup_form(client, alice):
    departement = custom_field(key="departement", kind="single_choice", label_fr="Département", choices=CHOICES)
    cv = custom_field(key="cv", kind="file", label_fr="CV")
    client.force_login(alice)
    page = client.get(reverse("profile:manage_signup")).content.decode()
    assert f"on_cf{departement.pk}" in page and f"on_cf{cv.pk}" not in page  # files are not asked at signup
    response = client.post(reverse("profile:manage_signup"), {
        "on_city": "on", "pos_city": "2",
        "on_job_title": "on", "req_job_title": "on", "pos_job_title": "1",
        f"on_cf{departement.pk}": "on", f"req_cf{departement.pk}": "on", f"pos_cf{departement.pk}": "3",
    })
    assert response.status_code == 302
    rows = list(SignupField.objects.order_by("position").values_list("standard", "custom_field", "required"))
    assert rows == [("job_title", None, True), ("city", None, False), ("", departement.pk, True)]
    departement = CustomField.objects.get(pk=departement.pk)
    assert departement.on_signup and departement.required
    client.logout()
    signup = client.get(reverse("account_signup")).content.decode()
    names = re.findall(r'name="(job_title|city|cf_departement)"', signup)
    assert list(dict.fromkeys(names)) == ["job_title", "city", "cf_departement"]

    # Taking the field off the form keeps its "required" box, which applies to every member.
    client.force_login(alice)
    client.post(reverse("profile:manage_signup"), {"on_city": "on", "pos_city": "1",
                                                   f"req_cf{departement.pk}": "on"})
    departement = CustomField.objects.get(pk=departement.pk)
    assert not departement.on_signup and departement.required
