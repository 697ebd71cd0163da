"""Attaching files: all or nothing, pictures re-encoded without their metadata, files only served to
those who may see their owner, with headers that keep a browser from running them."""

from __future__ import annotations

import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from PIL import Image

from tribu.core.models import Activity
from tribu.groups import policies
from tribu.media import actions, owners
from tribu.media.models import Attachment
from tribu.media.queries import attachments_for

from . import samples
from .conftest import make_group

pytestmark = pytest.mark.django_db


def test_an_animator_attaches_a_picture_and_a_document(club, anna, settings):
    created = actions.attach(club, [samples.png(name="Sortie.JPG"), samples.pdf("Compte rendu.pdf")],
                             actor=anna, alts=["Le groupe au sommet"])
    picture, document = created
    assert (picture.kind, picture.content_type, picture.original_name, picture.alt) == (
        "image", "image/png", "Sortie.png", "Le groupe au sommet")
    assert (document.kind, document.content_type, document.original_name) == (
        "document", "application/pdf", "Compte rendu.pdf")
    assert [a.position for a in created] == [0, 1]
    assert picture.thumbnail and not document.thumbnail
    # Kept outside MEDIA_ROOT, which the embedded server hands to anyone.
    assert not picture.file.path.startswith(str(settings.MEDIA_ROOT))
    activity = Activity.objects.get(verb="attachment.added")
    assert activity.actor == anna and activity.data["count"] == 2


def test_pictures_lose_their_exif_and_get_a_small_thumbnail(club, anna):
    (picture,) = actions.attach(club, [samples.jpeg_with_gps()], actor=anna)
    with picture.file.open("rb") as handle, Image.open(io.BytesIO(handle.read())) as kept:
        assert kept.format == "JPEG"
        assert not kept.getexif()
    with picture.thumbnail.open("rb") as handle, Image.open(io.BytesIO(handle.read())) as thumb:
        assert not thumb.getexif()
        assert max(thumb.size) <= 480


def test_one_refused_file_refuses_them_all_and_names_it(club, anna):
    with pytest.raises(ValidationError) as caught:
        actions.attach(club, [samples.pdf(), samples.elf("facture.pdf")], actor=anna)
    assert caught.value.messages[0].startswith("facture.pdf: ")
    assert not Attachment.objects.exists()


def test_members_who_may_not_edit_cannot_attach(club, mia):
    with pytest.raises(PermissionDenied):
        actions.attach(club, [samples.pdf()], actor=mia)
    assert not Attachment.objects.exists()


def test_an_unregistered_owner_cannot_have_attachments(anna):
    group = make_group("Sans fichiers", owner=anna)
    with pytest.raises(LookupError):
        actions.attach(group, [samples.pdf()], actor=anna)


def test_the_number_of_files_is_limited(club, anna, settings):
    settings.TRIBU_MEDIA_MAX_FILES = 2
    actions.attach(club, [samples.pdf()], actor=anna)
    with pytest.raises(ValidationError) as caught:
        actions.attach(club, [samples.pdf(), samples.pdf()], actor=anna)
    assert "2" in caught.value.messages[0]
    assert Attachment.objects.count() == 1


def test_later_files_come_after_the_first_ones(club, anna):
    actions.attach(club, [samples.pdf()], actor=anna)
    (second,) = actions.attach(club, [samples.csv()], actor=anna)
    assert second.position == 1


def test_attachments_of_many_owners_are_read_in_one_query(club, anna, django_assert_num_queries):
    others = [make_group(f"Groupe {i}", owner=anna) for i in range(3)]
    for group in [club, *others]:
        actions.attach(group, [samples.pdf(), samples.png()], actor=anna)
    ContentType.objects.get_for_model(club)  # the content type cache is warm in a running server
    with django_assert_num_queries(1):
        found = attachments_for([club, *others])
    assert [len(found[group.pk]) for group in [club, *others]] == [2, 2, 2, 2]
    assert [a.kind for a in found[club.pk]] == ["document", "image"]


def test_removing_an_attachment_deletes_its_files(club, anna, django_capture_on_commit_callbacks):
    (picture,) = actions.attach(club, [samples.png()], actor=anna)
    storage, names = picture.file.storage, [picture.file.name, picture.thumbnail.name]
    with django_capture_on_commit_callbacks(execute=True):
        actions.remove(anna, picture)
    assert not Attachment.objects.exists()
    assert not any(storage.exists(name) for name in names)
    assert Activity.objects.filter(verb="attachment.removed").exists()


# --- Serving files ----------------------------------------------------------------------------


def _status(client, user, url):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url).status_code


def test_permission_matrix_for_downloads(client, secret, club, anna, mia, oscar, alice, bob, gina):
    (private_file,) = actions.attach(secret, [samples.pdf()], actor=anna)
    (public_file,) = actions.attach(club, [samples.png()], actor=anna)
    people = {"alice": alice, "bob": bob, "anna": anna, "mia": mia, "gina": gina, "oscar": oscar, "anonymous": None}
    for name, user in people.items():
        for group, attachment in ((secret, private_file), (club, public_file)):
            for view in ("media:download", "media:thumbnail"):
                if view == "media:thumbnail" and not attachment.thumbnail:
                    continue
                expected = 200 if user is not None and policies.can_view(user, group) else 404
                if user is None:
                    from django.contrib.auth.models import AnonymousUser

                    expected = 200 if policies.can_view(AnonymousUser(), group) else 404
                got = _status(client, user, reverse(view, args=[attachment.pk]))
                assert got == expected, (name, group.name, view, got)
    # What the rules above mean for the private committee:
    assert _status(client, mia, reverse("media:download", args=[private_file.pk])) == 200
    assert _status(client, oscar, reverse("media:download", args=[private_file.pk])) == 404
    assert _status(client, None, reverse("media:download", args=[private_file.pk])) == 404


def test_documents_are_downloaded_never_rendered(client, club, anna):
    (document,) = actions.attach(club, [samples.pdf("Budget 2026.pdf")], actor=anna)
    client.force_login(anna)
    response = client.get(reverse("media:download", args=[document.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Budget 2026.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_pictures_are_shown_inline_with_nosniff(client, club, anna):
    (picture,) = actions.attach(club, [samples.png()], actor=anna)
    client.force_login(anna)
    response = client.get(reverse("media:download", args=[picture.pk]))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    thumb = client.get(reverse("media:thumbnail", args=[picture.pk]))
    assert thumb["Content-Type"] == "image/jpeg"


def test_an_owner_that_is_no_longer_registered_serves_nothing(client, club, anna):
    (document,) = actions.attach(club, [samples.pdf()], actor=anna)
    owners.unregister(type(club))
    client.force_login(anna)
    assert client.get(reverse("media:download", args=[document.pk])).status_code == 404


# --- The gallery ------------------------------------------------------------------------------


def test_the_gallery_shows_thumbnails_with_alt_and_documents_with_their_size(club, anna):
    from django.template.loader import render_to_string
    from django.utils import translation

    actions.attach(club, [samples.png(name="a.png"), samples.png(name="b.png"), samples.pdf("Statuts.pdf")],
                   actor=anna, alts=["Vue du lac", ""])
    attachments = attachments_for([club])[club.pk]
    with translation.override("fr"):
        html = render_to_string("media/_gallery.html", {"attachments": attachments})
    assert 'alt="Vue du lac"' in html
    assert 'alt="Image : b.png"' in html
    assert "Statuts.pdf" in html and "octets" in html
    assert html.count("<img") == 2
    assert render_to_string("media/_gallery.html", {"attachments": []}).strip() == ""
