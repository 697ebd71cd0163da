"""The library pages as members use them: index, category, group library, resource page, download,
discussion, management; what they see and what is refused."""

from __future__ import annotations

import pytest

from tribu.core.models import Activity
from tribu.feed.models import Post
from tribu.library.models import Resource

from .conftest import add_to, make_category, make_group, make_membership, make_resource, make_tier, pdf_file, png_file

pytestmark = pytest.mark.django_db


def test_the_index_shows_featured_resources_first_and_categories(client, mia):
    make_resource("Ordinaire")
    make_resource("Mise en avant", featured=True)
    make_category("Guides pratiques")
    client.force_login(mia)
    page = client.get("/library/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index("Mise en avant") < html.index("Ordinaire")
    assert "Guides pratiques" in html


def test_a_member_downloads_a_file_and_the_count_goes_up(client, mia):
    resource = make_resource("Guide")
    client.force_login(mia)
    response = client.get(f"/library/{resource.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    client.get(f"/library/{resource.pk}/download/")
    resource.refresh_from_db()
    assert resource.download_count == 2
    assert Activity.objects.filter(verb="resource.downloaded", actor=mia).count() == 2


def test_a_tier_gated_resource_shows_a_teaser_without_body_nor_file(client, mia):
    gold = make_tier("gold", name_fr="Or")
    resource = make_resource("Étude secrète", tiers=[gold], body="CONTENU-RESERVE")
    client.force_login(mia)
    page = client.get(f"/library/{resource.pk}/")
    html = page.content.decode()
    assert page.status_code == 403
    assert "Étude secrète" in html and "Or" in html and "CONTENU-RESERVE" not in html
    assert f"/library/{resource.pk}/download/" not in html
    assert client.get(f"/library/{resource.pk}/download/").status_code == 404
    make_membership(tier=gold, user=mia)
    from tribu.memberships.access import forget

    forget(mia)
    opened = client.get(f"/library/{resource.pk}/")
    assert opened.status_code == 200 and "CONTENU-RESERVE" in opened.content.decode()


def test_a_private_group_resource_is_a_404_to_outsiders_everywhere(client, anna, mia):
    secret = make_group("Comité secret", visibility="private", owner=anna)
    resource = make_resource("Procès-verbal", group=secret)
    client.force_login(mia)
    for url in (f"/library/{resource.pk}/", f"/library/{resource.pk}/download/", f"/library/{resource.pk}/cover/",
                f"/library/groups/{secret.slug}/", f"/api/v1/resources/{resource.pk}"):
        assert client.get(url).status_code == 404, url
    assert "Procès-verbal" not in client.get("/library/").content.decode()
    assert client.get("/api/v1/resources").json()["count"] == 0
    add_to(secret, mia)
    assert client.get(f"/library/{resource.pk}/").status_code == 200


def test_discuss_creates_one_feed_post_in_the_resource_group_and_links_to_it(client, anna, mia):
    club = make_group("Club photo", owner=anna)
    add_to(club, mia)
    resource = make_resource("Guide du club", group=club)
    client.force_login(mia)
    first = client.post(f"/library/{resource.pk}/discuss/")
    assert first.status_code == 302
    resource.refresh_from_db()
    post = Post.objects.get(pk=resource.discussion_id)
    assert post.group == club and post.author == mia and "Guide du club" in post.title
    assert first["Location"] == f"/feed/posts/{post.pk}/" or str(post.pk) in first["Location"]
    second = client.post(f"/library/{resource.pk}/discuss/")
    assert second["Location"] == first["Location"]
    assert Post.objects.count() == 1
    assert "Discussion" in client.get(f"/library/{resource.pk}/").content.decode()


def test_an_animator_adds_a_resource_with_a_file_and_cover_to_their_group(client, anna):
    club = make_group("Club photo", owner=anna)
    client.force_login(anna)
    form = client.get(f"/library/manage/new/?group={club.pk}")
    assert form.status_code == 200
    response = client.post("/library/manage/new/", {
        "place": str(club.pk), "kind": "document", "title": "Règlement", "summary": "Le règlement",
        "body": "Texte", "file": pdf_file("règlement intérieur.pdf"), "cover": png_file(), "cover_alt": "Logo",
        "published": "on", "restriction_mode": "teaser",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    resource = Resource.objects.get()
    assert resource.group == club and resource.file_name == "reglement-interieur.pdf"
    assert resource.file_type == "application/pdf"
    assert Activity.objects.filter(verb="resource.created").exists()
    cover = client.get(f"/library/{resource.pk}/cover/")
    assert cover.status_code == 200 and cover["Content-Type"] == "image/png"


def test_an_executable_renamed_pdf_is_refused_with_a_clear_message(client, alice):
    client.force_login(alice)
    program = pdf_file("facture.pdf")
    program.file.write(b"")
    from django.core.files.uploadedfile import SimpleUploadedFile

    program = SimpleUploadedFile("facture.pdf", b"MZ\x90\x00" + b"\x00" * 200, content_type="application/pdf")
    response = client.post("/library/manage/new/", {
        "place": "community", "kind": "document", "title": "Facture", "file": program,
        "published": "on", "restriction_mode": "teaser",
    })
    assert response.status_code == 400
    assert "program" in response.content.decode() or "programme" in response.content.decode()
    assert not Resource.objects.exists()


def test_an_oversized_file_is_refused(client, alice, settings, monkeypatch):
    from tribu.media import conf

    monkeypatch.setattr(conf, "max_document_bytes", lambda: 100)
    monkeypatch.setattr(conf, "max_image_bytes", lambda: 100)
    client.force_login(alice)
    response = client.post("/library/manage/new/", {
        "place": "community", "kind": "document", "title": "Gros", "file": pdf_file(),
        "published": "on", "restriction_mode": "teaser",
    })
    assert response.status_code == 400
    assert not Resource.objects.exists()


XSS = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '[clic](javascript:alert(1))',
    '<a href="javascript:alert(1)">x</a>',
    '<svg onload=alert(1)>',
    '<iframe src="https://evil.example"></iframe>',
]


def live_dangers(html: str) -> list[str]:
    """What a browser would run or load from member text: script elements with content, on* handlers,
    javascript: links, frames outside the allowlisted players."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            for name, value in attrs:
                if name.startswith("on"):
                    found.append(f"{tag}[{name}]")
                if name in ("href", "src") and (value or "").strip().lower().startswith("javascript:"):
                    found.append(f"{tag}[{name}=javascript]")
            if tag == "iframe" and "evil.example" in dict(attrs).get("src", ""):
                found.append("iframe")

        def handle_data(self, data):
            if "alert(1)" in data and self.lasttag == "script":
                found.append("script")

    Parser().feed(html)
    return found


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_a_description_title_or_summary_renders_inert(client, alice, payload):
    from tribu.library.actions import create_resource

    resource = create_resource(alice, kind="article", title=payload, summary=payload, body=payload)
    client.force_login(alice)
    for url in (f"/library/{resource.pk}/", "/library/", f"/api/v1/resources/{resource.pk}"):
        response = client.get(url)
        html = response.json()["body_html"] if url.startswith("/api") else response.content.decode()
        assert live_dangers(html) == [], url


def test_a_category_page_lists_its_resources_and_its_subcategories(client, mia):
    guides = make_category("Guides")
    juridique = make_category("Juridique", parent=guides)
    make_resource("Statuts", category=juridique)
    make_resource("Ailleurs")
    client.force_login(mia)
    html = client.get(f"/library/categories/{guides.slug}/").content.decode()
    assert "Statuts" in html and "Juridique" in html and "Ailleurs" not in html


def test_a_moderated_group_library_is_for_its_members(client, anna, mia):
    commission = make_group("Commission", visibility="moderated", owner=anna)
    resource = make_resource("Note interne", group=commission)
    client.force_login(mia)
    assert client.get(f"/library/groups/{commission.slug}/").status_code == 403
    assert client.get(f"/library/{resource.pk}/").status_code == 404
    add_to(commission, mia)
    page = client.get(f"/library/groups/{commission.slug}/")
    assert page.status_code == 200 and "Note interne" in page.content.decode()


def test_bad_filters_are_ignored_not_errors(client, mia):
    client.force_login(mia)
    assert client.get("/library/?kind=zzz&category=abc&group=-1&page=9999").status_code == 200


def test_a_podcast_from_a_known_platform_plays_on_its_page_and_others_get_a_listen_button(client, mia):
    episode = make_resource("Paroles d'artisans", kind="podcast", file=False,
                            url="https://open.spotify.com/episode/4rOoJ6Egrf8K2IrywzwOMk")
    elsewhere = make_resource("Épisode ailleurs", kind="podcast", file=False,
                              url="https://podcasts.example.org/episode-3")
    client.force_login(mia)
    html = client.get(f"/library/{episode.pk}/").content.decode()
    assert '<iframe src="https://open.spotify.com/embed/episode/4rOoJ6Egrf8K2IrywzwOMk"' in html
    assert "media-embed-audio" in html and "Écouter" not in html
    other = client.get(f"/library/{elsewhere.pk}/").content.decode()
    assert "<iframe" not in other and "Écouter" in other
