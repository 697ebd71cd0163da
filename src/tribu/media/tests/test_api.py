"""API: attach to what you may edit, read what you may see, and clear 4xx answers for the rest."""

from __future__ import annotations

import pytest

from tribu.media import actions
from tribu.media.models import Attachment

from . import samples

pytestmark = pytest.mark.django_db


def _upload(client, group, file, **extra):
    return client.post("/api/v1/attachments", {"owner_type": "groups.group", "owner_id": group.pk, "file": file,
                                               **extra})


def test_an_animator_uploads_a_picture_with_its_description(client, club, anna):
    client.force_login(anna)
    response = _upload(client, club, samples.png(name="sortie.png"), alt="Au sommet")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["content_type"], body["alt"], body["width"]) == ("image", "image/png", "Au sommet", 40)
    assert body["url"].endswith(f"/attachments/{body['id']}/")
    assert client.get(body["thumbnail_url"]).status_code == 200


def test_a_program_renamed_pdf_is_a_422_with_the_reason(client, club, anna):
    client.force_login(anna)
    response = _upload(client, club, samples.elf("facture.pdf"))
    assert response.status_code == 422
    assert "program" in response.json()["error"]["message"]
    assert not Attachment.objects.exists()


def test_a_member_who_may_not_edit_gets_a_403_and_an_outsider_of_a_private_group_a_404(client, club, secret,
                                                                                       mia, oscar):
    client.force_login(mia)
    assert _upload(client, club, samples.pdf()).status_code == 403
    client.force_login(oscar)
    assert _upload(client, secret, samples.pdf()).status_code == 404
    assert not Attachment.objects.exists()


def test_unknown_owner_types_are_404(client, anna):
    client.force_login(anna)
    response = client.post("/api/v1/attachments", {"owner_type": "accounts.user", "owner_id": anna.pk,
                                                   "file": samples.pdf()})
    assert response.status_code == 404


def test_read_list_describe_and_delete(client, secret, anna, mia, oscar):
    (picture,) = actions.attach(secret, [samples.png()], actor=anna)
    url = f"/api/v1/attachments/{picture.pk}"
    client.force_login(oscar)
    assert client.get(url).status_code == 404
    assert client.get("/api/v1/attachments", {"owner_type": "groups.group", "owner_id": secret.pk}).status_code == 404
    client.force_login(mia)
    assert client.get(url).json()["id"] == picture.pk
    listed = client.get("/api/v1/attachments", {"owner_type": "groups.group", "owner_id": secret.pk}).json()
    assert [item["id"] for item in listed] == [picture.pk]
    assert client.patch(url, {"alt": "x"}, content_type="application/json").status_code == 403
    assert client.delete(url).status_code == 403
    client.force_login(anna)
    assert client.patch(url, {"alt": "Le bureau"}, content_type="application/json").json()["alt"] == "Le bureau"
    assert client.delete(url).status_code == 204
    assert not Attachment.objects.exists()


def test_anonymous_callers_must_authenticate(client, club):
    assert _upload(client, club, samples.pdf()).status_code == 401


def test_markdown_preview_is_sanitised(client, mia):
    client.force_login(mia)
    response = client.post("/api/v1/markdown/preview", {"text": "**ok** <script>alert(1)</script>"},
                           content_type="application/json")
    assert response.json()["html"] == "<p><strong>ok</strong> </p>"


def test_link_previews_answer_404_until_the_card_is_ready_then_the_card(client, mia):
    from django.utils import timezone

    from tribu.media.links import normalise, url_hash
    from tribu.media.models import LinkPreview

    assert client.get("/api/v1/link-previews", {"url": "https://example.org/ag"}).status_code == 401
    client.force_login(mia)
    waiting = client.get("/api/v1/link-previews", {"url": "https://example.org/ag"})
    assert waiting.status_code == 404
    url = normalise("https://example.org/ag")
    LinkPreview.objects.filter(url_hash=url_hash(url)).update(
        status="ready", title="AG 2026", fetched_at=timezone.now()
    )
    ready = client.get("/api/v1/link-previews", {"url": "https://example.org/ag"}).json()
    assert (ready["title"], ready["url"]) == ("AG 2026", url)
    assert client.get("/api/v1/link-previews", {"url": "javascript:alert(1)"}).status_code == 404
