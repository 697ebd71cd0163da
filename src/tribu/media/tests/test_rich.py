"""render_rich: sanitised Markdown, allowlisted video embeds, and a corpus of XSS payloads left inert."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.template.loader import render_to_string

from tribu.media.models import LinkPreview
from tribu.media.rich import embed_for, frame_hosts, render_rich

from .xss import PAYLOADS, dangers


@pytest.mark.parametrize(
    ("url", "player"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ?t=42", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=42"),
        ("https://m.youtube.com/shorts/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://www.dailymotion.com/video/x8abcd1", "https://www.dailymotion.com/embed/video/x8abcd1"),
        ("https://dai.ly/x8abcd1", "https://www.dailymotion.com/embed/video/x8abcd1"),
    ],
)
def test_allowlisted_video_addresses_become_privacy_friendly_players(url, player):
    assert embed_for(url)[0] == player
    html = render_rich(f"Regardez :\n{url}\nÀ bientôt")
    assert f'<iframe src="{player.replace("&", "&amp;")}"' in html
    assert 'sandbox="allow-scripts allow-same-origin allow-popups allow-presentation"' in html
    assert 'loading="lazy"' in html
    assert "<p>Regardez :</p>" in html and "<p>À bientôt</p>" in html


@pytest.mark.parametrize(
    ("url", "player", "provider"),
    [
        ("https://open.spotify.com/episode/4rOoJ6Egrf8K2IrywzwOMk", "https://open.spotify.com/embed/episode/4rOoJ6Egrf8K2IrywzwOMk",
         "Spotify"),
        ("https://open.spotify.com/intl-fr/show/5CfCWKI5pZ28U0uOzXkDHe?si=abc",
         "https://open.spotify.com/embed/show/5CfCWKI5pZ28U0uOzXkDHe", "Spotify"),
        ("https://soundcloud.com/paroles-d-artisans/episode-12",
         "https://w.soundcloud.com/player/?url=https%3A%2F%2Fsoundcloud.com%2Fparoles-d-artisans%2Fepisode-12"
         "&visual=false&show_comments=false", "SoundCloud"),
        ("https://www.deezer.com/fr/episode/612345678", "https://widget.deezer.com/widget/auto/episode/612345678",
         "Deezer"),
        ("https://podcasts.apple.com/fr/podcast/paroles-d-artisans/id1500000000?i=1000600000000",
         "https://embed.podcasts.apple.com/fr/podcast/paroles-d-artisans/id1500000000?i=1000600000000",
         "Apple Podcasts"),
    ],
)
def test_podcast_episodes_and_shows_become_short_audio_players(url, player, provider):
    from django.utils import translation

    assert embed_for(url) == (player, provider)
    with translation.override("en"):
        html = render_rich(f"Listen:\n{url}")
    assert f'<iframe src="{player.replace("&", "&amp;")}"' in html
    assert 'class="media-embed media-embed-audio"' in html and f'title="Podcast on {provider}"' in html
    with translation.override("fr"):
        assert f'title="Podcast sur {provider}"' in render_rich(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://open.spotify.com/episode/short",
        "https://open.spotify.com/track/4rOoJ6Egrf8K2IrywzwOMk",
        "https://soundcloud.com/paroles-d-artisans",
        "https://soundcloud.com/a/b/c/d",
        "https://soundcloud.com/x/%22onload%3Dalert(1)",
        "https://www.deezer.com/fr/episode/61234abc",
        "https://podcasts.apple.com/fr/podcast/paroles-d-artisans/1500000000",
        "https://podcasts.apple.com/fr/podcast/x/id15abc",
        "https://podcasts.apple.com/fr/podcast/a b/id15",
        "https://evil.example/watch?v=dQw4w9WgXcQ",
        "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=short",
        "https://www.youtube.com/@channel",
        "https://user:pw@www.youtube.com/watch?v=dQw4w9WgXcQ",
        "ftp://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://vimeo.com/channels/staffpicks",
        "https://peertube.example/w/kkGMgK9ZtnKfYAgnEtQxbv",
    ],
)
def test_other_addresses_stay_text(url):
    assert embed_for(url) is None
    assert "<iframe" not in render_rich(url)


def test_peertube_instances_listed_in_the_settings_embed(settings):
    settings.TRIBU_PEERTUBE_HOSTS = ["peertube.example"]
    assert embed_for("https://peertube.example/w/kkGMgK9ZtnKfYAgnEtQxbv") == (
        "https://peertube.example/videos/embed/kkGMgK9ZtnKfYAgnEtQxbv", "PeerTube")
    assert "https://peertube.example" in frame_hosts()


def test_lines_ending_in_crlf_as_browsers_send_them_embed_too():
    assert "<iframe" in render_rich("Regardez :\r\nhttps://youtu.be/dQw4w9WgXcQ\r\nFin")


def test_a_video_address_inside_code_or_a_sentence_is_not_embedded():
    html = render_rich("```\nhttps://youtu.be/dQw4w9WgXcQ\n```\n\nSee https://youtu.be/dQw4w9WgXcQ here")
    assert "<iframe" not in html
    assert "https://youtu.be/dQw4w9WgXcQ" in html


def test_the_csp_lets_frames_come_from_the_site_itself_and_exactly_the_embedded_players():
    from django.utils.csp import CSP

    assert sorted(django_settings.SECURE_CSP["frame-src"]) == sorted([CSP.SELF, *frame_hosts()])


def test_markdown_still_renders():
    html = render_rich("**gras** et [lien](https://example.org)")
    assert "<strong>gras</strong>" in html
    assert 'href="https://example.org"' in html and 'rel="noopener noreferrer nofollow"' in html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xss_payloads_render_inert(payload):
    html = str(render_rich(payload))
    assert dangers(html) == [], html
    # Also when mixed with real Markdown and a real embed around them.
    mixed = str(render_rich(f"# Titre\n\n{payload}\n\nhttps://youtu.be/dQw4w9WgXcQ\n\n> {payload}"))
    assert dangers(mixed) == [], mixed


def test_the_checker_itself_catches_what_it_must():
    assert dangers('<img src=x onerror="alert(1)">')
    assert dangers('<a href=" java\tscript:alert(1)">x</a>')
    assert dangers('<iframe src="https://evil.example/"></iframe>')
    assert dangers("<svg></svg>")
    assert not dangers('<p><a href="https://example.org">ok</a></p>')


@pytest.mark.django_db
@pytest.mark.parametrize("payload", PAYLOADS[:20])
def test_link_card_titles_from_previews_render_inert(payload):
    card = LinkPreview(url="https://example.org/", url_hash="x", title=payload, description=payload,
                       site_name=payload, status="ready")
    html = render_to_string("media/_link_card.html", {"card": card})
    assert dangers(html) == [], html


def test_a_javascript_url_never_becomes_a_link_card():
    from tribu.media.links import normalise

    assert normalise("javascript:alert(1)") is None
    assert normalise("data:text/html,x") is None
    assert normalise(" https://example.org/a#frag ") == "https://example.org/a"
