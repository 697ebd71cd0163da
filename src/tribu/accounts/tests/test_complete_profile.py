"""A field becomes required: members who lack it are asked for it after their next log-in (only for
that flow: the rest of the site stays usable)."""

from __future__ import annotations

from django.urls import reverse

from tribu.accounts.models import CustomFieldValue, Profile, SignupField

from .factories import answer, custom_field, profile

PASSWORD = "correct horse battery"


def log_in(client, user, next_url=""):
    url = reverse("account_login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"login": user.email, "password": PASSWORD})


def test_members_lacking_a_newly_required_field_are_asked_for_it_after_log_in(client, alice, mia, anna):
    field = custom_field(key="departement", kind="short_text", label_fr="Département")
    answer(anna, field, "29")
    client.force_login(alice)
    response = client.patch(f"/api/v1/custom-fields/{field.pk}", {"required": True}, content_type="application/json")
    assert response.status_code == 200
    client.logout()

    response = log_in(client, mia)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("profile:complete"))
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="cf_departement"' in html and 'name="job_title"' not in html  # only what is missing
    # The rest of the site stays usable meanwhile.
    assert client.get(reverse("accounts:settings")).status_code == 200

    refused = client.post(reverse("profile:complete"), {"cf_departement": ""})
    assert refused.status_code == 400
    assert "Ce champ est obligatoire." in refused.content.decode()
    done = client.post(reverse("profile:complete"), {"cf_departement": "56", "next": "/"})
    assert done.status_code == 302 and done["Location"] == "/"
    assert CustomFieldValue.objects.get(user=mia, field=field).value == "56"

    # Next time, straight in; and a member who already answered is never stopped.
    client.logout()
    assert not log_in(client, mia)["Location"].startswith(reverse("profile:complete"))
    client.logout()
    assert not log_in(client, anna)["Location"].startswith(reverse("profile:complete"))


def test_the_completion_page_keeps_the_page_the_member_was_going_to(client, mia):
    custom_field(key="departement", label_fr="Département", required=True)
    target = reverse("accounts:settings")
    response = log_in(client, mia, next_url=target)
    assert response["Location"] == f"{reverse('profile:complete')}?next=%2Faccount%2F" or (
        response["Location"].startswith(reverse("profile:complete")) and "next=" in response["Location"]
    )
    done = client.post(response["Location"], {"cf_departement": "29"})
    assert done["Location"] == target


def test_a_required_standard_field_of_the_signup_form_is_asked_too(client, mia):
    SignupField.objects.create(standard="job_title", required=True, position=1)
    response = log_in(client, mia)
    assert response["Location"].startswith(reverse("profile:complete"))
    html = client.get(response["Location"]).content.decode()
    assert 'name="job_title"' in html
    client.post(reverse("profile:complete"), {"job_title": "Vannière"})
    assert Profile.objects.get(user=mia).job_title == "Vannière"


def test_nothing_required_means_no_detour_and_the_page_lets_you_through(client, mia):
    profile(mia, job_title="Vannière")
    response = log_in(client, mia)
    assert not response["Location"].startswith(reverse("profile:complete"))
    assert client.get(reverse("profile:complete"))["Location"] == reverse("home")


def test_an_archived_required_field_asks_nothing(client, mia):
    custom_field(key="departement", required=True, active=False)
    assert not log_in(client, mia)["Location"].startswith(reverse("profile:complete"))


def test_a_required_file_is_uploaded_on_the_completion_page(client, mia):
    from .factories import pdf_upload

    field = custom_field(key="attestation", kind="file", label_fr="Attestation", required=True)
    response = log_in(client, mia)
    assert response["Location"].startswith(reverse("profile:complete"))
    done = client.post(reverse("profile:complete"), {"cf_attestation": pdf_upload("attestation.pdf")})
    assert done.status_code == 302
    assert CustomFieldValue.objects.get(user=mia, field=field).value["name"] == "attestation.pdf"
