from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tribu.core.community import get_community
from tribu.core.models import Activity

VALID = {
    "name": "Les Ateliers du Rhône",
    "tagline": "Le réseau des artisans lyonnais",
    "primary_colour": "#aa3300",
    "secondary_colour": "#0033aa",
    "default_language": "fr",
    "time_zone": "Europe/Paris",
    "contact_email": "contact@ateliers.example",
    "charter": "# Charte\n\nSoyez **bienveillants**.",
}


def png(size=(64, 64)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "#aa3300").save(out, "PNG")
    return out.getvalue()


def test_admin_saves_settings_and_everyone_sees_the_new_brand(client, alice):
    client.force_login(alice)
    response = client.post(reverse("core:community_settings"), VALID)
    assert response.status_code == 302
    client.logout()
    home = client.get("/").content.decode()
    assert "Les Ateliers du Rhône" in home
    assert "Le réseau des artisans lyonnais" in home
    css = client.get(reverse("core:branding_css")).content.decode()
    assert "--primary:#aa3300" in css and "--secondary:#0033aa" in css
    manifest = client.get(reverse("core:manifest")).json()
    assert manifest["name"] == "Les Ateliers du Rhône"
    assert manifest["theme_color"] == "#aa3300"


def test_the_change_is_in_the_audit_log(client, alice):
    client.force_login(alice)
    client.post(reverse("core:community_settings"), VALID)
    entry = Activity.objects.get(verb="community.updated")
    assert entry.audit and entry.actor == alice
    assert "name" in entry.data["fields"]
    page = client.get(reverse("core:audit_log")).content.decode()
    assert "Alice Admin" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("primary_colour", "red", "Saisissez une couleur"),
        ("time_zone", "Mars/Olympus", "Fuseau horaire inconnu"),
        ("contact_email", "pas-un-email", "adresse e-mail valide"),
        ("name", "", "Ce champ est obligatoire"),
    ],
)
def test_bad_settings_get_a_clear_french_error_and_nothing_is_saved(client, alice, field, value, message):
    client.force_login(alice)
    response = client.post(reverse("core:community_settings"), {**VALID, field: value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert get_community().name != VALID["name"]


def test_a_logo_is_accepted_and_a_fake_image_refused(client, alice):
    client.force_login(alice)
    logo = SimpleUploadedFile("logo.png", png(), content_type="image/png")
    assert client.post(reverse("core:community_settings"), {**VALID, "logo": logo}).status_code == 302
    assert get_community().logo
    assert client.get(reverse("core:icon", args=[192])).status_code == 200

    fake = SimpleUploadedFile("logo.png", b"not an image at all", content_type="image/png")
    response = client.post(reverse("core:community_settings"), {**VALID, "logo": fake})
    assert response.status_code == 400


def test_legal_pages_render_markdown_without_scripts(client, alice):
    client.force_login(alice)
    client.post(
        reverse("core:community_settings"),
        {**VALID, "charter": "Soyez **gentils** <script>alert(1)</script>"},
    )
    page = client.get(reverse("core:legal", args=["charter"])).content.decode()
    assert "<strong>gentils</strong>" in page
    assert "<script>alert" not in page


def test_the_pwa_is_installable(client, db):
    manifest = client.get(reverse("core:manifest")).json()
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert manifest["display"] == "standalone"
    sw = client.get(reverse("core:service_worker"))
    assert sw["Content-Type"].startswith("application/javascript")
    assert reverse("core:offline") in sw.content.decode()
    icon = client.get(reverse("core:icon", args=[512]))
    assert Image.open(io.BytesIO(icon.content)).size == (512, 512)


def test_every_html_page_carries_a_strict_csp(client, db):
    csp = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


@pytest.mark.parametrize(("brand", "text"), [("#0b5c7a", "#ffffff"), ("#d9480f", "#000000"), ("#ffd43b", "#000000"),
                                             ("#1f5fbf", "#ffffff")])
def test_text_on_the_brand_colours_is_whichever_of_white_or_dark_reads_better(client, alice, brand, text):
    from tribu.core.colours import contrast

    client.force_login(alice)
    assert client.post(reverse("core:community_settings"), {**VALID, "secondary_colour": brand}).status_code == 302
    css = client.get(reverse("core:branding_css")).content.decode()
    assert f"--on-secondary:{text}" in css
    assert contrast(text, brand) >= 4.5
