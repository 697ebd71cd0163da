"""The editor's live preview and the formatting help page."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_preview_renders_what_members_will_see(client, mia):
    client.force_login(mia)
    response = client.post(reverse("media:preview"), {"text": "## Titre\n\nhttps://youtu.be/dQw4w9WgXcQ\n<script>x</script>"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h2>Titre</h2>" in html and "youtube-nocookie.com/embed/dQw4w9WgXcQ" in html
    assert "<script>" not in html


def test_the_preview_needs_a_signed_in_member(client):
    assert client.post(reverse("media:preview"), {"text": "hi"}).status_code == 403


def test_the_preview_refuses_a_huge_text_with_a_clear_message(client, mia, settings):
    settings.TRIBU_MEDIA_PREVIEW_MAX_CHARS = 1000
    client.force_login(mia)
    response = client.post(reverse("media:preview"), {"text": "a" * 1001}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 413
    assert "1" in response.content.decode()


def test_the_help_page_shows_examples_and_an_editor(client, mia):
    client.force_login(mia)
    response = client.get(reverse("media:help"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>bold</strong>" in html or "<strong>" in html
    assert "data-md-editor" in html and "media/editor.js" in html
    assert "<script>" not in html.replace('<script src=', "")
