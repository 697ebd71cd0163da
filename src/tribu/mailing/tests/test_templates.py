"""Admins rewrite a transactional email per language: the override is what members receive (checked
on the sign-up verification email through a real SMTP server), unknown placeholders are refused with
the list of allowed ones, the preview and the test email work, and the default comes back on reset."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tribu.mailing import registry
from tribu.mailing.models import TemplateOverride

from .conftest import parts_of, subject_of

SIGNUP = {
    "email": "zoe@example.org",
    "display_name": "Zoé Martin",
    "password1": "une-phrase-de-passe-solide",
    "password2": "une-phrase-de-passe-solide",
    "accept_charter": "on",
}
VERIFY = "account/email/email_confirmation_signup"


def _edit_url(key: str = VERIFY, language: str = "fr") -> str:
    return reverse("mailing:edit", args=[language, key])


def test_the_registry_finds_every_email_in_the_template_folders():
    keys = {t.key for t in registry.all_templates()}
    assert {
        "account/email/email_confirmation_signup", "account/email/password_reset_key",
        "core/emails/notification", "core/emails/notification_digest", "memberships/emails/granted",
        "companies/emails/invitation", "imports/emails/invitation", "directory/emails/contact",
    } <= keys
    # Emails of features switched off in this configuration are not offered.
    assert "account/email/login_code" not in keys
    verify = registry.get(VERIFY)
    assert "activate_url" in verify.placeholders
    assert {"first_name", "community_name"} <= verify.allowed


def test_an_email_added_by_another_app_is_found_at_run_time(settings, tmp_path):
    folder = tmp_path / "fundraising" / "emails"
    folder.mkdir(parents=True)
    (folder / "thanks_subject.txt").write_text("Merci {{ donor.name }}")
    (folder / "thanks.txt").write_text("Merci pour {{ amount }} — {{ campaign_url }}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    registry.forget()
    try:
        thanks = registry.get("fundraising/emails/thanks")
        assert thanks is not None
        assert set(thanks.placeholders) == {"donor.name", "amount", "campaign_url"}
        assert thanks.html_template == ""
    finally:
        registry.forget()


def test_the_override_is_what_a_new_member_receives_over_smtp(client, alice, smtp_server, send):
    client.force_login(alice)
    response = client.post(_edit_url(), {
        "intent": "save",
        "subject": "Bienvenue {{ first_name }} chez {{ community_name }}",
        "body": "Bonjour **{{ first_name }}**,\n\n[Confirmer mon adresse]({{ activate_url }})\n\n- un\n- deux",
    })
    assert response.status_code == 302
    client.logout()
    send(client.post, reverse("account_signup"), SIGNUP)
    [message] = smtp_server.received
    assert subject_of(message) == "Bienvenue Zoé chez Tribu"
    parts = parts_of(message)
    link = re.search(r"Confirmer mon adresse \((https?://\S+/accounts/confirm-email/\S+/)\)", parts["text"]).group(1)
    assert "Bonjour Zoé," in parts["text"]
    assert f'<a href="{link}"' in parts["html"]
    assert "<strong>Zoé</strong>" in parts["html"]
    assert "<li>deux</li>" in parts["html"]
    assert 'data-tribu-layout="1"' in parts["html"]
    assert message["List-Unsubscribe"] is None  # transactional
    # The link in the rewritten email really confirms the address.
    confirm_path = re.sub(r"^https?://[^/]+", "", link)
    assert client.post(confirm_path).status_code == 302


def test_an_english_speaker_gets_the_default_while_only_french_is_rewritten(alice, smtp_server, send):
    from tribu.accounts.models import User
    from tribu.core.emails import send_templated_email_on_commit

    TemplateOverride.objects.create(template="imports/emails/invitation", language="fr",
                                    subject="Version française", body="Bonjour {{ first_name }}")
    english = User.objects.create_user(email="en@example.org", password="x" * 12, display_name="Eve", language="en")
    send(send_templated_email_on_commit, english, "imports/emails/invitation", {"url": "https://x.test/"})
    send(send_templated_email_on_commit, alice, "imports/emails/invitation", {"url": "https://x.test/"})
    english_mail, french_mail = smtp_server.received
    assert subject_of(french_mail) == "Version française"
    assert "Bonjour Alice" in parts_of(french_mail)["text"]
    assert subject_of(english_mail) != "Version française"
    assert "https://x.test/" in parts_of(english_mail)["text"]
    assert parts_of(english_mail)["html"]


def test_an_unknown_placeholder_is_refused_with_the_allowed_ones(client, alice):
    client.force_login(alice)
    response = client.post(_edit_url(), {"intent": "save", "subject": "Salut {{ prenom }}",
                                         "body": "Cliquez {{ activate_url }} {{ user.password }}"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Variable inconnue : {{ prenom }}" in html
    assert "Variable inconnue : {{ user.password }}" in html
    assert "{{ first_name }}" in html and "{{ activate_url }}" in html  # the allowed ones are listed
    assert not TemplateOverride.objects.exists()


def test_template_tags_are_refused_too(client, alice):
    client.force_login(alice)
    response = client.post(_edit_url(), {"intent": "save", "subject": "Salut",
                                         "body": "{% load static %}{{ first_name|upper }}"})
    assert response.status_code == 400
    assert not TemplateOverride.objects.exists()


def test_the_preview_shows_the_draft_at_desktop_and_phone_widths(client, alice):
    client.force_login(alice)
    response = client.post(_edit_url(), {"intent": "preview", "subject": "Objet {{ first_name }}",
                                         "body": "Bonjour {{ first_name }}, voici {{ activate_url }}"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Aperçu de votre brouillon" in html
    assert "Objet Alice" in html
    frames = re.findall(r'<iframe src="([^"]+)" title="([^"]+)"', html)
    assert [title for _src, title in frames] == ["Aperçu sur un ordinateur", "Aperçu sur un téléphone"]
    assert not TemplateOverride.objects.exists()  # a preview saves nothing
    frame = client.get(frames[0][0])
    assert frame.status_code == 200
    body = frame.content.decode()
    assert "Bonjour Alice, voici http://" in body
    assert "sandbox" in frame["Content-Security-Policy"]
    assert "script-src" not in frame["Content-Security-Policy"]
    assert frame["X-Frame-Options"] == "SAMEORIGIN"


def test_the_preview_frame_belongs_to_whoever_asked_for_it(client, alice, bob):
    client.force_login(alice)
    html = client.get(_edit_url()).content.decode()
    src = re.search(r'<iframe src="([^"]+)"', html).group(1)
    client.force_login(bob)
    assert client.get(src).status_code == 404


def test_every_email_has_a_preview_of_its_default(client, alice):
    client.force_login(alice)
    for template in registry.all_templates():
        for language in ("fr", "en"):
            response = client.get(_edit_url(template.key, language))
            assert response.status_code == 200, (template.key, language)
            assert "<iframe" in response.content.decode(), template.key


def test_send_me_a_test_goes_to_the_admin_with_sample_data(client, alice, smtp_server, send):
    client.force_login(alice)
    response = send(client.post, _edit_url("memberships/emails/granted", "en"), {
        "intent": "test", "subject": "Hi {{ first_name }}", "body": "Your tier: {{ tier.name }}",
    })
    assert response.status_code == 200
    [message] = smtp_server.received
    assert message["To"] == "alice@example.org"
    assert subject_of(message) == "[Test] Hi Alice"
    assert "Your tier: Sample tier" in parts_of(message)["text"]
    assert not TemplateOverride.objects.exists()


def test_reset_brings_back_the_default(client, alice):
    client.force_login(alice)
    client.post(_edit_url(), {"intent": "save", "subject": "A", "body": "B {{ first_name }}"})
    assert TemplateOverride.objects.count() == 1
    page = client.get(reverse("mailing:manage")).content.decode()
    assert "Réécrit" in page
    response = client.post(_edit_url(), {"intent": "reset"})
    assert response.status_code == 302
    assert not TemplateOverride.objects.exists()
    from tribu.mailing.composer import render

    parts = render(VERIFY, {"user": alice, "activate_url": "https://x.test/k/"}, "fr")
    assert "https://x.test/k/" in parts["text"] and parts["subject"] != "A"


@pytest.mark.parametrize(
    ("role", "list_status", "edit_status"),
    [("admin", 200, 302), ("staff", 200, 403), ("animator", 403, 403), ("member", 403, 403), ("guest", 403, 403)],
)
def test_who_sees_and_who_rewrites_the_templates(client, users_by_role, role, list_status, edit_status):
    client.force_login(users_by_role[role])
    assert client.get(reverse("mailing:manage")).status_code == list_status
    assert client.get(_edit_url()).status_code == list_status
    response = client.post(_edit_url(), {"intent": "save", "subject": "S", "body": "B"})
    assert response.status_code == edit_status
    assert TemplateOverride.objects.exists() is (edit_status == 302)


def test_visitors_are_sent_to_log_in(client, db):
    for url in (reverse("mailing:manage"), _edit_url()):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_unknown_email_or_language_is_a_404(client, alice):
    client.force_login(alice)
    assert client.get(_edit_url("nothing/emails/here")).status_code == 404
    assert client.get(_edit_url(VERIFY, "de")).status_code == 404


def test_the_list_runs_a_fixed_number_of_queries(client, alice, django_assert_max_num_queries):
    client.force_login(alice)
    client.get(reverse("mailing:manage"))
    for template in registry.all_templates():
        TemplateOverride.objects.create(template=template.key, language="fr", subject="S", body="B")
    with django_assert_max_num_queries(8):
        response = client.get(reverse("mailing:manage"))
    assert response.content.decode().count("Réécrit") == len(registry.all_templates())
