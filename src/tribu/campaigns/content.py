"""A campaign's content: its blocks (validated here), compiled once per language into a message with
markers, then personalised per recipient by one regex pass (placeholders, tracked links, the open
pixel, the unsubscribe and preference links). Compiling renders Markdown and the branded layout once,
so sending 20,000 messages costs 20,000 string substitutions, not 20,000 template renders."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from tribu.mailing import rendering

from .models import LANGUAGES, BlockType, Campaign

PLACEHOLDERS = ("first_name", "last_name", "name", "email")
MAX_BLOCKS = 40
MAX_POSTS = 10
MARKER = re.compile(r"TRIBU(PH[a-z_]+|PIXEL|UNSUB|PREFS|LINK\d+)X")
_HREF = re.compile(r'href="(https?://[^"]+)"')


def _marker(name: str) -> str:
    return f"TRIBUPH{name}X"


def block_types() -> list[tuple[str, str]]:
    """The blocks on offer: the latest-posts block needs the feed app's posts."""
    offered = [BlockType.TEXT, BlockType.IMAGE, BlockType.BUTTON]
    if apps.is_installed("tribu.feed"):
        offered.append(BlockType.POSTS)
    if apps.is_installed("tribu.events"):
        offered.append(BlockType.EVENTS)
    return [(t.value, str(t.label)) for t in offered]


def _http_url(value: Any, label: str, strict: bool = True) -> str:
    url = str(value or "").strip()
    if not url and not strict:
        return ""
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc or len(url) > 2000 or any(c in url for c in ' "<>'):
        raise ValidationError(_("%(label)s: enter a full web address starting with https://.") % {"label": label})
    return url


def clean_blocks(raw: Any, *, strict: bool = False) -> list[dict[str, Any]]:
    """Validate and normalise a list of blocks; raise ``ValidationError`` with a message per problem.
    A draft may keep empty blocks; ``strict`` (before sending) refuses them."""
    if not isinstance(raw, list):
        raise ValidationError(_("The blocks must be a list."))
    if len(raw) > MAX_BLOCKS:
        raise ValidationError(_("A campaign has at most %(n)d blocks.") % {"n": MAX_BLOCKS})
    offered = {value for value, _label in block_types()}
    cleaned: list[dict[str, Any]] = []
    errors: list[str] = []
    for position, block in enumerate(raw, start=1):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in offered:
            errors.append(_("Block %(n)d: unknown block type.") % {"n": position})
            continue
        label = _("Block %(n)d") % {"n": position}
        try:
            if kind == BlockType.TEXT:
                item = {
                    "type": kind,
                    **{f"text_{lang}": str(block.get(f"text_{lang}") or "")[:20000] for lang in LANGUAGES},
                }
                if strict and not any(item[f"text_{lang}"].strip() for lang in LANGUAGES):
                    raise ValidationError(_("%(label)s: write the text.") % {"label": label})
            elif kind == BlockType.IMAGE:
                item = {
                    "type": kind,
                    "url": _http_url(block.get("url"), label, strict),
                    **{f"alt_{lang}": str(block.get(f"alt_{lang}") or "")[:200] for lang in LANGUAGES},
                }
            elif kind == BlockType.BUTTON:
                item = {
                    "type": kind,
                    "url": _http_url(block.get("url"), label, strict),
                    **{f"label_{lang}": str(block.get(f"label_{lang}") or "")[:80] for lang in LANGUAGES},
                }
                if strict and not any(item[f"label_{lang}"].strip() for lang in LANGUAGES):
                    raise ValidationError(_("%(label)s: write the button's label.") % {"label": label})
            else:
                try:
                    count = int(block.get("count") or 3)
                except (TypeError, ValueError):
                    raise ValidationError(
                        _("%(label)s: the number of posts must be a whole number.") % {"label": label}
                    ) from None
                if not 1 <= count <= MAX_POSTS:
                    raise ValidationError(
                        _("%(label)s: show between 1 and %(max)d posts.") % {"label": label, "max": MAX_POSTS}
                    )
                key = "post_ids" if kind == BlockType.POSTS else "event_ids"
                ids = block.get(key) or []
                if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
                    raise ValidationError(_("%(label)s: the chosen items are not valid.") % {"label": label})
                item = {"type": kind, "count": count, key: ids[:MAX_POSTS]}
        except ValidationError as error:
            errors.extend(error.messages)
            continue
        cleaned.append(item)
    if errors:
        raise ValidationError(errors)
    return cleaned


def texts_of(campaign: Campaign) -> list[str]:
    """Every text a member reads, where placeholders may appear."""
    texts = [getattr(campaign, f"{name}_{lang}") for name in ("subject", "preheader") for lang in LANGUAGES]
    for block in campaign.blocks or []:
        texts += [str(v) for k, v in block.items() if k.startswith(("text_", "label_", "alt_"))]
    return texts


def check_content(campaign: Campaign) -> None:
    """Refuse a campaign that cannot be sent as written: no language, no block, unknown placeholders."""
    errors: dict[str, list[str]] = {}
    if not campaign.languages():
        errors["subject_fr"] = [_("Write the subject in French, in English or in both.")]
    if not campaign.blocks:
        errors.setdefault("__all__", []).append(_("Add at least one block to the email."))
    try:
        clean_blocks(campaign.blocks or [], strict=True)
    except ValidationError as error:
        errors.setdefault("__all__", []).extend(error.messages)
    try:
        rendering.check_placeholders(texts_of(campaign), PLACEHOLDERS)
    except rendering.PlaceholderError as error:
        errors.setdefault("__all__", []).extend(error.messages)
    for lang in campaign.languages():
        if not any(_block_has_language(b, lang) for b in campaign.blocks or []):
            errors.setdefault("__all__", []).append(
                _("The %(language)s version has a subject but no text.") % {"language": _language_name(lang)}
            )
    if errors:
        raise ValidationError(errors)


def _language_name(lang: str) -> str:
    return _("French") if lang == "fr" else _("English")


def _block_has_language(block: dict[str, Any], lang: str) -> bool:
    if block["type"] == BlockType.TEXT:
        return bool(block.get(f"text_{lang}", "").strip())
    return block["type"] != BlockType.IMAGE


def _pick(block: dict[str, Any], key: str, lang: str) -> str:
    """The block's text in ``lang``, or in the other language when it has none."""
    value = block.get(f"{key}_{lang}", "")
    if value.strip():
        return value
    return next((block.get(f"{key}_{other}", "") for other in LANGUAGES if block.get(f"{key}_{other}", "").strip()), "")


# --------------------------------------------------------------------------- posts


def posts_for(block: dict[str, Any]) -> list[Any]:
    if not apps.is_installed("tribu.feed"):
        return []
    from tribu.feed.models import Post

    live = Post.objects.filter(status="published", deleted_at__isnull=True)  # no drafts nor deleted posts
    qs = live.select_related("author").filter(group__isnull=True)
    if block.get("post_ids"):
        chosen = {p.pk: p for p in live.select_related("author").filter(pk__in=block["post_ids"])}
        return [chosen[i] for i in block["post_ids"] if i in chosen]
    return list(qs.order_by("-created_at", "-id")[: block.get("count", 3)])


def events_for(block: dict[str, Any]) -> list[Any]:
    """The chosen events, or the next published community events."""
    if not apps.is_installed("tribu.events"):
        return []
    from django.utils import timezone

    from tribu.events.models import Event

    if block.get("event_ids"):
        chosen = {e.pk: e for e in Event.objects.filter(pk__in=block["event_ids"], status="published")}
        return [chosen[i] for i in block["event_ids"] if i in chosen]
    return list(
        Event.objects.filter(status="published", group__isnull=True, starts_at__gte=timezone.now()).order_by(
            "starts_at", "id"
        )[: block.get("count", 3)]
    )


def event_url(event: Any) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return settings.SITE_URL + reverse("events:detail", args=[event.slug])
    except NoReverseMatch:
        return settings.SITE_URL + "/"


def post_url(post: Any) -> str:
    if hasattr(post, "get_absolute_url"):
        url = post.get_absolute_url()
        return url if url.startswith("http") else settings.SITE_URL + url
    return settings.SITE_URL + "/"


def excerpt(text: str, length: int = 280) -> str:
    plain = rendering.markdown_to_text(text).strip()
    return plain if len(plain) <= length else plain[: length - 1].rsplit(" ", 1)[0] + "…"


# --------------------------------------------------------------------------- compiling


@dataclass
class Compiled:
    """One language's message with markers: ``TRIBUPH<name>X`` placeholders, ``TRIBULINK<id>X`` tracked
    links, ``TRIBUPIXELX``, ``TRIBUUNSUBX``, ``TRIBUPREFSX``."""

    language: str
    subject: str
    text: str
    html: str
    links: list[str] = field(default_factory=list)


def _events_html(events: list[Any]) -> tuple[str, str]:
    from django.utils import formats, timezone

    title = _("Upcoming events")
    items_html, items_text = [], [title, "-" * len(title)]
    for event in events:
        when = formats.date_format(timezone.localtime(event.starts_at), "DATETIME_FORMAT")
        url = event_url(event)
        items_html.append(
            f'<li style="margin:0 0 12px"><strong>{html.escape(event.title)}</strong><br>{html.escape(when)}'
            f'<br><a href="{html.escape(url)}">{html.escape(_("See the event"))}</a></li>'
        )
        items_text.append(f"* {event.title} ({when})\n  {url}")
    return (
        f'<h2 style="font-size:18px;margin:24px 0 8px">{html.escape(title)}</h2>'
        f'<ul style="padding-left:18px;margin:0 0 16px">{"".join(items_html)}</ul>',
        "\n".join(items_text),
    )


def compile_message(campaign: Campaign, lang: str, *, posts_cache: dict[int, list[Any]] | None = None) -> Compiled:
    """Render ``campaign`` in ``lang`` once. Links are listed in ``links`` (the caller maps them to
    ``Link`` rows and replaces ``TRIBULINKURL<n>`` by the tracked marker)."""
    lang = campaign.language_for(lang)
    context = {name: _marker(name) for name in PLACEHOLDERS}
    text_parts: list[str] = []
    html_parts: list[str] = []
    with translation.override(lang):
        for index, block in enumerate(campaign.blocks or []):
            kind = block["type"]
            if kind == BlockType.TEXT:
                source = _pick(block, "text", lang)
                if not source.strip():
                    continue
                text, inner = rendering.markdown_to_parts(source, context, allowed=PLACEHOLDERS)
                text_parts.append(text.strip())
                html_parts.append(f'<div style="margin:0 0 16px">{inner}</div>')
            elif kind == BlockType.IMAGE:
                alt = rendering.substitute(_pick(block, "alt", lang), context, PLACEHOLDERS)
                html_parts.append(
                    f'<p style="margin:0 0 16px"><img src="{html.escape(block["url"])}" alt="{html.escape(alt)}" '
                    'style="max-width:100%;height:auto;border:0;display:block"></p>'
                )
                if alt:
                    text_parts.append(f"[{alt}]")
            elif kind == BlockType.BUTTON:
                label = rendering.substitute(_pick(block, "label", lang), context, PLACEHOLDERS)
                html_parts.append(
                    f'<p style="margin:0 0 20px"><a href="{html.escape(block["url"])}" style="display:inline-block;'
                    "background:#1f5fbf;color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none;"
                    f'font-weight:bold">{html.escape(label)}</a></p>'
                )
                text_parts.append(f"{label}: {block['url']}")
            elif kind == BlockType.EVENTS:
                events = (
                    posts_cache.get(index) if posts_cache is not None and index in posts_cache else events_for(block)
                )
                if posts_cache is not None:
                    posts_cache[index] = events
                if events:
                    block_html, block_text = _events_html(events)
                    html_parts.append(block_html)
                    text_parts.append(block_text)
            elif kind == BlockType.POSTS:
                posts = posts_cache.get(index) if posts_cache is not None and index in posts_cache else posts_for(block)
                if posts_cache is not None:
                    posts_cache[index] = posts
                if not posts:
                    continue
                title = _("Latest posts")
                items_html, items_text = [], [title, "-" * len(title)]
                for post in posts:
                    url = post_url(post)
                    author = post.author.name if post.author else _("The community")
                    body = excerpt(post.body)
                    items_html.append(
                        f'<li style="margin:0 0 12px"><strong>{html.escape(author)}</strong><br>'
                        f'{html.escape(body)}<br><a href="{html.escape(url)}">'
                        f"{html.escape(_('Read the post'))}</a></li>"
                    )
                    items_text.append(f"* {author}: {body}\n  {url}")
                html_parts.append(
                    f'<h2 style="font-size:18px;margin:24px 0 8px">{html.escape(title)}</h2>'
                    f'<ul style="padding-left:18px;margin:0 0 16px">{"".join(items_html)}</ul>'
                )
                text_parts.append("\n".join(items_text))
        subject = rendering.substitute(getattr(campaign, f"subject_{lang}"), context, PLACEHOLDERS)
        preheader = rendering.substitute(getattr(campaign, f"preheader_{lang}"), context, PLACEHOLDERS)
        inner = "\n".join(html_parts)
        links = list(dict.fromkeys(html.unescape(u) for u in _HREF.findall(inner)))
        document = rendering.wrap_html(
            inner,
            language=lang,
            preheader=preheader,
            unsubscribe_url="TRIBUUNSUBX",
            preferences_url="TRIBUPREFSX",
            subject=subject,
        )
        pixel = (
            '<img src="TRIBUPIXELX" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">'
        )
        document = document.replace("</body>", pixel + "</body>", 1) if "</body>" in document else document + pixel
        text = (
            "\n\n".join(text_parts)
            + "\n"
            + rendering.text_footer(unsubscribe_url="TRIBUUNSUBX", preferences_url="TRIBUPREFSX")
        )
    return Compiled(language=lang, subject=subject, text=text, html=document, links=links)


def track_links(compiled: Compiled, link_ids: dict[str, int]) -> Compiled:
    """Point every content link at its tracked marker (HTML hrefs and the text part's URLs)."""

    def href(match: re.Match[str]) -> str:
        url = html.unescape(match.group(1))
        return f'href="TRIBULINK{link_ids[url]}X"' if url in link_ids else match.group(0)

    document = _HREF.sub(href, compiled.html)
    text = compiled.text
    for url in sorted(link_ids, key=len, reverse=True):
        text = re.sub(re.escape(url) + r"(?=[\s)]|$)", f"TRIBULINK{link_ids[url]}X", text)
    return Compiled(compiled.language, compiled.subject, text, document, compiled.links)


def personalise(compiled: Compiled, values: dict[str, str]) -> tuple[str, str, str]:
    """``(subject, text, html)`` for one recipient. ``values`` maps marker names (``PHfirst_name``,
    ``PIXEL``, ``UNSUB``, ``PREFS``, ``LINK<id>``) to raw values; HTML gets them escaped."""
    escaped = {k: html.escape(v, quote=True) for k, v in values.items()}
    subject = MARKER.sub(lambda m: values.get(m.group(1), ""), compiled.subject)
    text = MARKER.sub(lambda m: values.get(m.group(1), ""), compiled.text)
    document = MARKER.sub(lambda m: escaped.get(m.group(1), ""), compiled.html)
    return subject, text, document


def placeholder_values(user: Any, email: str) -> dict[str, str]:
    first = getattr(user, "first_name", "") or ""
    name = user.name if user is not None else email.split("@")[0]
    return {
        "PHfirst_name": first or name.split(" ")[0],
        "PHlast_name": getattr(user, "last_name", "") or "",
        "PHname": name,
        "PHemail": email,
    }
