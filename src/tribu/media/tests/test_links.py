"""Link previews: read from a page's metadata when the server can reach it, never from a private
address, stored as plain text, and no card (nor error) when the page cannot be had."""

from __future__ import annotations

import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tribu.media import links
from tribu.media.models import LinkPreview


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (1200, 630), "darkgreen").save(out, format="PNG")
    return out.getvalue()


PAGES = {
    "/article": (
        200,
        "text/html; charset=utf-8",
        """<!doctype html><html><head><title>Fallback title</title>
        <meta property="og:title" content="Assemblée générale 2026 &amp; vote">
        <meta property="og:description" content="Ordre du jour,   pouvoirs et   résolutions.">
        <meta property="og:image" content="/images/ag.jpg">
        <meta property="og:site_name" content="Association des Randonneurs">
        </head><body><p>Body</p></body></html>""",
    ),
    "/plain": (200, "text/html", "<html><head><title>Only a title</title><meta name=description content='Short'>"),
    "/evil": (
        200,
        "text/html",
        "<html><head><title>&lt;script&gt;alert(1)&lt;/script&gt;Evil</title>"
        '<meta property="og:description" content="<img src=x onerror=alert(1)>"></head></html>',
    ),
    "/redirect": (302, "text/html", "/article"),
    "/redirect-private": (302, "text/html", "http://10.0.0.1/admin"),
    "/redirect-js": (302, "text/html", "javascript:alert(1)"),
    "/pdf": (200, "application/pdf", "%PDF-1.4"),
    "/images/ag.jpg": (200, "image/png", _png()),
    "/fake-image": (
        200,
        "text/html",
        "<html><head><title>Fake</title><meta property='og:image' content='/pdf-as-image'></head></html>",
    ),
    "/pdf-as-image": (200, "image/png", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64),
    "/missing": (404, "text/html", "not here"),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, content_type, body = PAGES.get(self.path, (404, "text/plain", "no"))
        self.send_response(status)
        if status in (301, 302):
            self.send_header("Location", body)
            body = ""
        self.send_header("Content-Type", content_type)
        data = body if isinstance(body, bytes) else body.encode()
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def loopback(settings):
    settings.TRIBU_LINK_PREVIEW_ALLOW_LOOPBACK = True


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",  # noqa: S104
     "224.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "240.0.0.1"],
)
def test_private_loopback_and_reserved_addresses_are_refused(address):
    assert not links.address_allowed(ipaddress.ip_address(address))


def test_public_addresses_are_allowed():
    assert links.address_allowed(ipaddress.ip_address("93.184.215.14"))
    assert links.address_allowed(ipaddress.ip_address("2606:2800:21f:cb07:6820:80da:af6b:8b2c"))


def test_the_test_relaxation_lets_only_127_0_0_1_through(loopback):
    assert links.address_allowed(ipaddress.ip_address("127.0.0.1"))
    assert not links.address_allowed(ipaddress.ip_address("127.0.0.2"))
    assert not links.address_allowed(ipaddress.ip_address("10.0.0.1"))
    assert not links.address_allowed(ipaddress.ip_address("::1"))


def test_by_default_the_fetcher_refuses_the_servers_own_loopback(site):
    with pytest.raises(links.Refused):
        links.fetch(f"{site}/article")


def test_a_page_metadata_becomes_plain_text(site, loopback):
    final, body, _content_type = links.fetch(f"{site}/article")
    found = links.parse(body, final)
    assert found == {
        "title": "Assemblée générale 2026 & vote",
        "description": "Ordre du jour, pouvoirs et résolutions.",
        "image_url": f"{site}/images/ag.jpg",
        "site_name": "Association des Randonneurs",
    }


def test_redirects_are_followed_and_checked(site, loopback):
    assert links.fetch(f"{site}/redirect")[0] == f"{site}/article"
    with pytest.raises(links.Refused):
        links.fetch(f"{site}/redirect-private")
    with pytest.raises((links.Refused, links.Unreachable)):
        links.fetch(f"{site}/redirect-js")


@pytest.mark.parametrize("path", ["/pdf", "/missing"])
def test_what_is_not_an_html_page_is_unreachable(site, loopback, path):
    with pytest.raises(links.Unreachable):
        links.fetch(f"{site}{path}")


def test_the_size_read_is_capped(site, loopback, settings):
    settings.TRIBU_LINK_PREVIEW_MAX_BYTES = 100
    assert len(links.fetch(f"{site}/article")[1]) == 100


@pytest.mark.django_db
def test_card_for_queues_the_fetch_then_shows_the_card(site, loopback, django_capture_on_commit_callbacks):
    url = f"{site}/article"
    with django_capture_on_commit_callbacks(execute=True):
        assert links.card_for(url) is None  # never seen: the fetch is queued, the page does not wait
    card = links.card_for(url)
    assert card is not None and card.title == "Assemblée générale 2026 & vote"
    assert LinkPreview.objects.count() == 1


@pytest.mark.django_db
def test_the_cards_picture_is_fetched_checked_and_served_from_here(site, loopback, client,
                                                                    django_capture_on_commit_callbacks):
    from django.urls import reverse

    with django_capture_on_commit_callbacks(execute=True):
        links.card_for(f"{site}/article")
    card = links.card_for(f"{site}/article")
    assert card.image
    response = client.get(reverse("media:link_image", args=[card.pk]))
    assert response["Content-Type"] == "image/jpeg" and response["X-Content-Type-Options"] == "nosniff"
    from django.template.loader import render_to_string

    assert reverse("media:link_image", args=[card.pk]) in render_to_string("media/_link_card.html", {"card": card})
    # A "picture" that is really a program: the card shows without it.
    with django_capture_on_commit_callbacks(execute=True):
        links.card_for(f"{site}/fake-image")
    fake = links.card_for(f"{site}/fake-image")
    assert fake.title == "Fake" and not fake.image


@pytest.mark.django_db
def test_an_unreachable_page_gives_no_card_and_no_error(site, django_capture_on_commit_callbacks):
    # Without the test relaxation 127.0.0.1 is refused, as a private address would be.
    with django_capture_on_commit_callbacks(execute=True):
        assert links.card_for(f"{site}/article") is None
    assert links.card_for(f"{site}/article") is None
    assert LinkPreview.objects.get().status == "failed"


@pytest.mark.django_db
def test_a_malicious_title_is_stored_as_text_and_shown_escaped(site, loopback, django_capture_on_commit_callbacks):
    from django.template.loader import render_to_string

    with django_capture_on_commit_callbacks(execute=True):
        links.card_for(f"{site}/evil")
    card = links.card_for(f"{site}/evil")
    assert card.title == "<script>alert(1)</script>Evil"
    assert card.description == "<img src=x onerror=alert(1)>"
    html = render_to_string("media/_link_card.html", {"card": card})
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img" in html


@pytest.mark.django_db
def test_cards_for_a_list_page_is_one_query(site, loopback, django_capture_on_commit_callbacks,
                                            django_assert_num_queries):
    urls = [f"{site}/article", f"{site}/plain"]
    with django_capture_on_commit_callbacks(execute=True):
        links.cards_for(urls)
    with django_assert_num_queries(1):
        cards = links.cards_for([*urls, "javascript:alert(1)"])
    assert [cards[url].title for url in urls] == ["Assemblée générale 2026 & vote", "Only a title"]


@pytest.mark.django_db
def test_a_stale_card_is_fetched_again_once(site, loopback, django_capture_on_commit_callbacks, settings):
    from datetime import timedelta

    from django.utils import timezone

    url = f"{site}/plain"
    with django_capture_on_commit_callbacks(execute=True):
        links.card_for(url)
    LinkPreview.objects.update(title="Old", fetched_at=timezone.now() - timedelta(days=30))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert links.card_for(url).title == "Old"  # the old card shows meanwhile
        links.card_for(url)
    assert len(callbacks) == 1
    callbacks[0]()
    assert links.card_for(url).title == "Only a title"
