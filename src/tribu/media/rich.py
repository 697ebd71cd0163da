"""Rich rendering of member content: ``render_rich(text)`` is ``tribu.core.markdown.render_markdown``
(Markdown, sanitised by nh3) plus video and podcast embeds.

A video or podcast address alone on its line (outside code blocks) from an allowlisted provider becomes a
responsive, sandboxed, lazily loaded ``<iframe>`` on the provider's privacy-friendly player, followed by
a plain link (shown where frames are not: emails, feeds). Providers: YouTube (played from
youtube-nocookie.com), Vimeo (``dnt=1``), Dailymotion, and the PeerTube instances listed in
``TRIBU_PEERTUBE_HOSTS``; podcasts (an episode or a show) from Spotify, SoundCloud, Deezer and Apple
Podcasts, in a short audio player. The iframe HTML is built here from a validated video id — never from the
member's text — after sanitising, so nothing the member writes reaches the page unsanitised.
``settings.SECURE_CSP["frame-src"]`` lists exactly ``frame_hosts()``.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs, quote, urlsplit

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from tribu.core.markdown import render_markdown

from . import conf

YOUTUBE_PLAYER = "https://www.youtube-nocookie.com"
VIMEO_PLAYER = "https://player.vimeo.com"
DAILYMOTION_PLAYER = "https://www.dailymotion.com"
SPOTIFY_PLAYER = "https://open.spotify.com"
SOUNDCLOUD_PLAYER = "https://w.soundcloud.com"
DEEZER_PLAYER = "https://widget.deezer.com"
APPLE_PODCASTS_PLAYER = "https://embed.podcasts.apple.com"
PLAYERS = (YOUTUBE_PLAYER, VIMEO_PLAYER, DAILYMOTION_PLAYER, SPOTIFY_PLAYER, SOUNDCLOUD_PLAYER, DEEZER_PLAYER,
           APPLE_PODCASTS_PLAYER)
AUDIO_PROVIDERS = {"Spotify", "SoundCloud", "Deezer", "Apple Podcasts"}

YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtube-nocookie.com", "www.youtube-nocookie.com"}
YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}
DAILYMOTION_HOSTS = {"dailymotion.com", "www.dailymotion.com"}
DAILYMOTION_ID = re.compile(r"^x[A-Za-z0-9]{4,20}$")
PEERTUBE_ID = re.compile(r"^[A-Za-z0-9-]{8,40}$")
SPOTIFY_ID = re.compile(r"^[A-Za-z0-9]{22}$")
SOUNDCLOUD_HOSTS = {"soundcloud.com", "www.soundcloud.com", "m.soundcloud.com"}
SOUNDCLOUD_NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
DEEZER_HOSTS = {"deezer.com", "www.deezer.com"}
LANGUAGE_SEGMENT = re.compile(r"^(intl-)?[a-z]{2}$")
APPLE_SLUG = re.compile(r"^[A-Za-z0-9_%-]{1,200}$")
APPLE_ID = re.compile(r"^id[0-9]{1,15}$")
URL_LINE = re.compile(r"^ {0,3}(https?://[^\s<>\"']+) *$")
FENCE = re.compile(r"^ {0,3}(```|~~~)")
SANDBOX = "allow-scripts allow-same-origin allow-popups allow-presentation"
ALLOW = "fullscreen; picture-in-picture; encrypted-media"


def frame_hosts() -> list[str]:
    """The origins the CSP ``frame-src`` must list: the players, then the PeerTube instances."""
    return [*PLAYERS, *(f"https://{host}" for host in conf.peertube_hosts())]


def _youtube_start(query: dict[str, list[str]]) -> str:
    value = (query.get("t") or query.get("start") or [""])[0].rstrip("s")
    return f"?start={int(value)}" if value.isdigit() and int(value) < 100_000 else ""


def _podcast_embed(host: str, segments: list[str], query: dict[str, list[str]]) -> tuple[str, str] | None:
    """(player address, provider name) for an episode or a show of an allowlisted podcast platform."""
    if host == "open.spotify.com":
        segments = [s for s in segments if not LANGUAGE_SEGMENT.match(s) and s != "embed"]
        if len(segments) == 2 and segments[0] in ("episode", "show") and SPOTIFY_ID.match(segments[1]):
            return f"{SPOTIFY_PLAYER}/embed/{segments[0]}/{segments[1]}", "Spotify"
    elif host in SOUNDCLOUD_HOSTS:
        if (len(segments) == 2 or (len(segments) == 3 and segments[1] == "sets")) and all(
                SOUNDCLOUD_NAME.match(s) for s in segments):
            track = quote(f"https://soundcloud.com/{'/'.join(segments)}", safe="")
            return f"{SOUNDCLOUD_PLAYER}/player/?url={track}&visual=false&show_comments=false", "SoundCloud"
    elif host in DEEZER_HOSTS:
        if segments and LANGUAGE_SEGMENT.match(segments[0]):
            segments = segments[1:]
        if len(segments) == 2 and segments[0] in ("episode", "show") and segments[1].isdigit() \
                and len(segments[1]) <= 15:
            return f"{DEEZER_PLAYER}/widget/auto/{segments[0]}/{segments[1]}", "Deezer"
    elif (host == "podcasts.apple.com" and len(segments) == 4 and re.match(r"^[a-z]{2}$", segments[0])
          and segments[1] == "podcast" and APPLE_SLUG.match(segments[2]) and APPLE_ID.match(segments[3])):
        episode = (query.get("i") or [""])[0]
        suffix = f"?i={episode}" if episode.isdigit() and len(episode) <= 20 else ""
        return f"{APPLE_PODCASTS_PLAYER}/{'/'.join(segments)}{suffix}", "Apple Podcasts"
    return None


def embed_for(url: str) -> tuple[str, str] | None:
    """(player address, provider name) for an allowlisted video or podcast address, else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.username or parts.password or parts.port:
        return None
    host = (parts.hostname or "").lower()
    segments = [segment for segment in parts.path.split("/") if segment]
    query = parse_qs(parts.query)
    if host in YOUTUBE_HOSTS:
        video = ""
        if segments == ["watch"]:
            video = (query.get("v") or [""])[0]
        elif len(segments) == 2 and segments[0] in ("shorts", "embed", "live"):
            video = segments[1]
        if YOUTUBE_ID.match(video):
            return f"{YOUTUBE_PLAYER}/embed/{video}{_youtube_start(query)}", "YouTube"
    elif host == "youtu.be" and len(segments) == 1 and YOUTUBE_ID.match(segments[0]):
        return f"{YOUTUBE_PLAYER}/embed/{segments[0]}{_youtube_start(query)}", "YouTube"
    elif host in VIMEO_HOSTS:
        if segments and segments[0] == "video":
            segments = segments[1:]
        if len(segments) == 1 and segments[0].isdigit() and len(segments[0]) <= 12:
            return f"{VIMEO_PLAYER}/video/{segments[0]}?dnt=1", "Vimeo"
    elif host in DAILYMOTION_HOSTS:
        if segments[:1] == ["embed"]:
            segments = segments[1:]
        if len(segments) == 2 and segments[0] == "video":
            video = segments[1].split("_", 1)[0]
            if DAILYMOTION_ID.match(video):
                return f"{DAILYMOTION_PLAYER}/embed/video/{video}", "Dailymotion"
    elif host == "dai.ly" and len(segments) == 1 and DAILYMOTION_ID.match(segments[0]):
        return f"{DAILYMOTION_PLAYER}/embed/video/{segments[0]}", "Dailymotion"
    elif host in conf.peertube_hosts():
        video = ""
        if len(segments) == 2 and segments[0] == "w":
            video = segments[1]
        elif len(segments) == 3 and segments[0] == "videos" and segments[1] in ("watch", "embed"):
            video = segments[2]
        if PEERTUBE_ID.match(video):
            return f"https://{host}/videos/embed/{video}", "PeerTube"
    else:
        return _podcast_embed(host, segments, query)
    return None


def embed_html(url: str, player: str, provider: str) -> str:
    audio = provider in AUDIO_PROVIDERS
    title = escape((_("Podcast on %(site)s") if audio else _("Video on %(site)s")) % {"site": provider})
    return (
        f'<figure class="media-embed{" media-embed-audio" if audio else ""}"><div class="media-embed-frame">'
        f'<iframe src="{escape(player)}" title="{title}" loading="lazy" sandbox="{SANDBOX}" allow="{ALLOW}" '
        f'allowfullscreen referrerpolicy="strict-origin-when-cross-origin"></iframe></div>'
        f'<figcaption><a href="{escape(url)}" rel="noopener noreferrer nofollow">{escape(url)}</a></figcaption>'
        f"</figure>"
    )


def render_rich(text: str) -> SafeString:
    """Sanitised HTML of the Markdown ``text``, with allowlisted videos embedded."""
    nonce = secrets.token_hex(8)
    embeds: dict[str, tuple[str, str, str]] = {}
    # Browsers send a textarea's lines ending in CRLF.
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    in_fence = False
    for index, line in enumerate(lines):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        match = URL_LINE.match(line)
        if not match:
            continue
        found = embed_for(match.group(1))
        if found is None:
            continue
        key = f"tribuembed{nonce}n{len(embeds)}"
        embeds[key] = (match.group(1), *found)
        # Its own paragraph, whatever surrounds it.
        lines[index] = f"\n{key}\n"
    html = str(render_markdown("\n".join(lines)))
    for key, (url, player, provider) in embeds.items():
        html = html.replace(f"<p>{key}</p>", embed_html(url, player, provider))
        html = html.replace(key, escape(url))  # anywhere else (a list item, a table): the address as text
    return mark_safe(html)  # noqa: S308 - sanitised Markdown plus iframes built here from validated ids
