"""Editing one's profile: photo checks and thumbnail, tags with suggestions, visibility choices, the
completeness indicator, and what an edit leaves behind (activity, directory refresh)."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from tribu.accounts import images
from tribu.accounts.models import Profile, Tag
from tribu.core.models import Activity

from .factories import answer, custom_field, image_bytes, image_upload, profile

BASE = {"display_name": "Mia Membre", "vis_city": "members"}


@pytest.fixture
def refreshed(monkeypatch):
    """The member ids the directory was asked to refresh."""
    calls: list[int] = []
    monkeypatch.setattr("tribu.directory.index.refresh_on_commit", lambda ids: calls.extend(ids))
    return calls


def test_saving_the_profile_stores_every_field_records_the_activity_and_refreshes_the_directory(
    client, mia, refreshed
):
    client.force_login(mia)
    response = client.post(reverse("profile:edit"), {
        **BASE, "job_title": "Ébéniste", "organisation": "Atelier du Port", "bio": "Je *tourne* le bois.",
        "skills": "Ébénisterie, marqueterie , ebenisterie", "interests": "Voile", "city": "Brest",
        "region": "Bretagne", "country": "France", "languages": ["fr", "br"], "website": "atelier.example.org",
        "social_mastodon": "https://mastodon.example/@mia", "vis_city": "staff", "hidden_from_directory": "on",
    })
    assert response.status_code == 302
    saved = Profile.objects.get(user=mia)
    assert (saved.job_title, saved.city, saved.languages) == ("Ébéniste", "Brest", ["fr", "br"])
    assert saved.website == "https://atelier.example.org"
    assert saved.social_links == {"mastodon": "https://mastodon.example/@mia"}
    assert saved.field_visibility["city"] == "staff"
    assert saved.hidden_from_directory
    # Two spellings of the same skill make one tag, with a normalised slug.
    assert sorted(saved.skills.values_list("slug", flat=True)) == ["ebenisterie", "marqueterie"]
    activity = Activity.objects.get(verb="profile.updated", actor=mia)
    assert "job_title" in activity.data["fields"] and "skills" in activity.data["fields"]
    assert refreshed == [mia.pk]
    page = client.get(reverse("profile:detail", args=[mia.pk])).content.decode()
    assert "<em>tourne</em>" in page and "Ébénisterie" in page


def test_more_than_twenty_skills_are_refused(client, mia):
    client.force_login(mia)
    response = client.post(reverse("profile:edit"), {**BASE, "skills": ", ".join(f"Savoir {i}" for i in range(21))})
    assert response.status_code == 400
    assert "Choisissez-en 20 au maximum." in response.content.decode()
    assert not Tag.objects.exists()


def test_tag_suggestions_come_from_existing_tags_by_prefix_without_accents(client, mia, gina):
    profile(gina, skills=["Ébénisterie", "Céramique"], interests=["Ébène"])
    assert reverse("account_login") in client.get(reverse("profile:tag_suggestions"), {"kind": "skill"})["Location"]
    client.force_login(mia)
    url = reverse("profile:tag_suggestions")
    assert client.get(url, {"kind": "skill", "q": "eben"}).json()["suggestions"] == ["Ébénisterie"]
    assert client.get(url, {"kind": "interest", "q": "Éb"}).json()["suggestions"] == ["Ébène"]
    assert client.get(url, {"kind": "nope", "q": "x"}).status_code == 400


def test_a_real_photo_is_stored_with_a_square_thumbnail_used_on_the_profile(client, mia):
    client.force_login(mia)
    response = client.post(reverse("profile:edit"), {**BASE, "photo": image_upload(size=(640, 360))})
    assert response.status_code == 302
    saved = Profile.objects.get(user=mia)
    with default_storage.open(saved.photo_thumbnail.name) as handle:
        assert Image.open(handle).size == (256, 256)
    page = client.get(reverse("profile:detail", args=[mia.pk])).content.decode()
    assert saved.photo_thumbnail.url in page


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not an image at all", content_type="image/jpeg"),
         "n’est pas une image lisible"),
        (SimpleUploadedFile("photo.png", image_bytes()[:60], content_type="image/png"), "n’est pas une image lisible"),
    ],
)
def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_stored(client, mia, upload, message):
    client.force_login(mia)
    response = client.post(reverse("profile:edit"), {**BASE, "job_title": "Potière", "photo": upload})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Profile.objects.filter(user=mia, job_title="Potière").exists()
    assert not Profile.objects.exclude(photo="").exists()


def test_a_photo_above_the_size_limit_is_refused(client, mia, settings):
    settings.TRIBU_MAX_IMAGE_BYTES = 500
    client.force_login(mia)
    response = client.post(reverse("profile:edit"), {**BASE, "photo": image_upload(size=(600, 600))})
    assert response.status_code == 400
    assert "Cette image est trop lourde" in response.content.decode()
    assert not Profile.objects.exclude(photo="").exists()


def test_a_decompression_bomb_is_refused_before_it_is_decoded(client, mia, monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 10_000)  # a 200×200 image stands for a giant one
    client.force_login(mia)
    response = client.post(reverse("profile:edit"), {**BASE, "photo": image_upload(size=(200, 200))})
    assert response.status_code == 400
    assert "Cette image a trop de pixels." in response.content.decode()


def giant_png_header(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` × ``height`` pixels (what a decompression bomb looks like)."""
    import struct
    import zlib

    data = image_bytes(size=(1, 1))
    ihdr = struct.pack(">II", width, height) + data[24:29]
    chunk = b"IHDR" + ihdr
    return data[:12] + chunk + struct.pack(">I", zlib.crc32(chunk)) + data[33:]


def test_a_png_claiming_billions_of_pixels_is_refused_without_decoding_it(client, mia):
    client.force_login(mia)
    bomb = SimpleUploadedFile("bomb.png", giant_png_header(100_000, 100_000), content_type="image/png")
    response = client.post(reverse("profile:edit"), {**BASE, "photo": bomb})
    assert response.status_code == 400
    assert "Cette image a trop de pixels." in response.content.decode()
    assert not Profile.objects.exclude(photo="").exists()


def test_a_bad_visibility_level_is_refused_in_the_api(client, mia):
    client.force_login(mia)
    response = client.patch("/api/v1/me/profile", {"visibility": {"city": "everyone"}}, content_type="application/json")
    assert response.status_code == 422
    assert "visibility.city" in response.json()["error"]["details"]


def test_the_completeness_indicator_says_what_is_missing_with_links(client, mia):
    field = custom_field(key="departement", kind="short_text", label_fr="Département", required=True)
    profile(mia, job_title="Ébéniste", city="Brest", skills=["Ébénisterie"])
    client.force_login(mia)
    page = client.get(reverse("profile:edit")).content.decode()
    assert "Votre fiche est complète à 30 %" in page
    assert '<a href="/profile/edit/#id_organisation">Organisation</a>' in page
    assert '<a href="/profile/edit/#id_cf_departement">Département</a>' in page
    assert "#id_job_title" not in page
    answer(mia, field, "29")
    home = client.get(reverse("profile:detail", args=[mia.pk])).content.decode()
    assert "Votre fiche est complète à 40 %" in home
    assert "#id_cf_departement" not in home
    # Only the member sees their own indicator.
    assert "Votre fiche est complète" not in _as_other(client, mia)


def _as_other(client, owner):
    from conftest import make_user

    other = make_user("other@example.org", "member", "Other")
    client.force_login(other)
    return client.get(reverse("profile:detail", args=[owner.pk])).content.decode()


def _queries_for_profile_page(client, owner) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("profile:detail", args=[owner.pk])).status_code == 200
    return len(ctx.captured_queries)


def test_the_profile_page_runs_a_bounded_number_of_queries(client, mia, alice, django_assert_num_queries):
    profile(mia, job_title="Ébéniste", skills=["A"], interests=["B"])
    answer(mia, custom_field(key="q0"), "x")
    client.force_login(alice)
    client.get(reverse("profile:detail", args=[mia.pk]))  # warm the session and the page shell's caches
    small = _queries_for_profile_page(client, mia)
    profile(mia, skills=[f"Skill {i}" for i in range(15)], interests=[f"Int {i}" for i in range(15)])
    for i in range(1, 8):
        answer(mia, custom_field(key=f"q{i}", kind="number"), i)
    large = _queries_for_profile_page(client, mia)
    assert small == large
    # session, viewer, unread notifications, member + profile + company, skills, interests, fields, answers
    with django_assert_num_queries(8):
        client.get(reverse("profile:detail", args=[mia.pk]))


def test_the_team_may_edit_a_members_profile_but_members_may_not_edit_each_other(client, mia, bob, anna):
    client.force_login(anna)
    assert client.get(reverse("profile:edit_member", args=[mia.pk])).status_code == 403
    client.force_login(bob)
    response = client.post(reverse("profile:edit_member", args=[mia.pk]), {**BASE, "job_title": "Tisserande"})
    assert response.status_code == 302
    assert Profile.objects.get(user=mia).job_title == "Tisserande"
    assert Activity.objects.get(verb="profile.updated").actor == bob


def test_my_profile_in_the_api_reads_and_changes_with_the_pages_rules(client, mia):
    assert client.get("/api/v1/me/profile").status_code == 401
    client.force_login(mia)
    bad = client.patch("/api/v1/me/profile", {"website": "pas une adresse", "skills": ["x" * 61], "city": "Brest"},
                       content_type="application/json")
    assert bad.status_code == 422
    details = bad.json()["error"]["details"]
    assert details["website"] == ["Saisissez une adresse web valide."]
    assert "trop long" in details["skills"][0]
    assert not Profile.objects.filter(city="Brest").exists()  # nothing half-written
    good = client.patch("/api/v1/me/profile", {"city": "Brest", "skills": ["Vannerie"], "visibility": {"city": "staff"},
                                                "hidden_from_directory": True}, content_type="application/json")
    assert good.status_code == 200
    body = client.get("/api/v1/me/profile").json()
    assert (body["city"], body["skills"], body["visibility"]["city"]) == ("Brest", ["Vannerie"], "staff")
    assert body["hidden_from_directory"] is True
    assert {"key": "job_title", "label": "Fonction"} in body["completeness"]["missing"]
