"""Turning an email into what is sent: Markdown with ``{{ placeholders }}`` into a plain-text part and
an HTML fragment, and the branded HTML layout every email is wrapped in (logo, colours, footer)."""

from __future__ import annotations

import datetime
import functools
import html
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template import Context, Variable, VariableDoesNotExist
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from tribu.core.markdown import render_markdown

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*\}\}")
# Anything that looks like template syntax but is not a plain placeholder: refused too.
TEMPLATE_SYNTAX = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


class PlaceholderError(ValidationError):
    """A placeholder the email does not know; the message lists the ones it does."""

    def __init__(self, unknown: Iterable[str], allowed: Iterable[str]) -> None:
        self.unknown = sorted(set(unknown))
        self.allowed = sorted(set(allowed))
        message = _("Unknown placeholder %(unknown)s. You can use: %(allowed)s.") % {
            "unknown": ", ".join("{{ " + p + " }}" for p in self.unknown),
            "allowed": ", ".join("{{ " + p + " }}" for p in self.allowed) or "—",
        }
        super().__init__(message, code="unknown_placeholder")


def find_placeholders(text: str) -> list[str]:
    """The placeholder names used in ``text``, in order of first use."""
    seen: dict[str, None] = {}
    for match in PLACEHOLDER.finditer(text or ""):
        seen.setdefault(match.group(1), None)
    return list(seen)


def malformed_tags(text: str) -> list[str]:
    """``{{ … }}`` or ``{% … %}`` pieces that are not plain placeholders (filters, tags)."""
    return [m.group(0) for m in TEMPLATE_SYNTAX.finditer(text or "") if not PLACEHOLDER.fullmatch(m.group(0))]


def check_placeholders(texts: Iterable[str], allowed: Iterable[str]) -> None:
    """Raise ``PlaceholderError`` when ``texts`` use a placeholder outside ``allowed`` (or template tags)."""
    allowed_set = set(allowed)
    unknown: list[str] = []
    for text in texts:
        unknown += [p for p in find_placeholders(text) if p not in allowed_set]
        unknown += [m.strip("{}% ").strip() for m in malformed_tags(text)]
    if unknown:
        raise PlaceholderError(unknown, allowed_set)


def flat_names(context: Mapping[str, Any]) -> list[str]:
    """The placeholders a context offers on its own: its keys holding plain values."""
    return sorted(k for k, v in context.items() if isinstance(v, str | int | float | Decimal | datetime.date))


def resolve(path: str, context: Mapping[str, Any]) -> Any:
    """The value of ``path`` (``user.name``) in ``context``, the way a Django template reads it."""
    try:
        return Variable(path).resolve(Context(dict(context)))
    except (VariableDoesNotExist, AttributeError, TypeError, KeyError, IndexError):
        raise KeyError(path) from None


def format_value(value: Any) -> str:
    """A placeholder's value as text in the active language (dates, times and numbers localised)."""
    if value is None:
        return ""
    if callable(value) and not isinstance(value, str):
        value = value()
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float | Decimal):
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    return str(value)


def substitute(text: str, context: Mapping[str, Any], allowed: Iterable[str] | None = None) -> str:
    """Replace every placeholder of ``text`` by its raw (unescaped) value."""
    values = _values(text, context, allowed)
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text or "")


def _values(text: str, context: Mapping[str, Any], allowed: Iterable[str] | None) -> dict[str, str]:
    names = find_placeholders(text)
    allowed_set = set(allowed) if allowed is not None else None
    if allowed_set is not None:
        check_placeholders([text], allowed_set)
    values: dict[str, str] = {}
    missing: list[str] = []
    for name in names:
        try:
            values[name] = format_value(resolve(name, context))
        except KeyError:
            if allowed_set is not None and name in allowed_set:
                values[name] = ""  # allowed but absent from this message's data: left empty
            else:
                missing.append(name)
    bad = malformed_tags(text)
    if missing or bad:
        offered = allowed_set if allowed_set is not None else flat_names(context)
        raise PlaceholderError(missing + [b.strip("{}% ").strip() for b in bad], offered)
    return values


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


def markdown_to_text(markdown: str) -> str:
    """A readable plain-text version of Markdown: links as ``label (url)``, emphasis marks dropped."""

    def link(match: re.Match[str]) -> str:
        label, url = match.group(1).strip(), match.group(2)
        if not label or label == url:
            return url
        return f"{label} ({url})"

    text = _MD_LINK.sub(link, markdown or "")
    text = _MD_EMPHASIS.sub(r"\2", text)
    return text.strip() + "\n"


@functools.lru_cache(maxsize=64)
def _render_marked(marked: str) -> str:
    """The sanitised HTML of a body whose placeholders are markers: the same for every recipient of a
    campaign, so Markdown runs once per body, not once per message."""
    return str(render_markdown(marked))


def markdown_to_parts(
    markdown: str, context: Mapping[str, Any], *, allowed: Iterable[str] | None = None
) -> tuple[str, str]:
    """``(text, inner_html)`` for a Markdown body with ``{{ placeholders }}`` filled from ``context``.

    A placeholder that ``context`` cannot fill (or outside ``allowed`` when given) raises
    ``PlaceholderError`` listing the ones it can. Values are inserted after the Markdown is rendered
    and sanitised, HTML-escaped, so a member's name can never inject markup or Markdown."""
    values = _values(markdown, context, allowed)
    text = markdown_to_text(PLACEHOLDER.sub(lambda m: values[m.group(1)], markdown or ""))
    # Render with neutral markers in place of the values, then put the escaped values in.
    markers = {name: f"tribuph{index}x" for index, name in enumerate(values)}
    marked = PLACEHOLDER.sub(lambda m: markers[m.group(1)], markdown or "")
    inner = _render_marked(marked)
    for name, marker in sorted(markers.items(), key=lambda item: -len(item[1])):
        inner = inner.replace(marker, html.escape(values[name], quote=True))
    return text, inner


def text_footer(*, unsubscribe_url: str = "", preferences_url: str = "") -> str:
    """The plain-text counterpart of the HTML footer's links (empty for transactional mail)."""
    lines = []
    if unsubscribe_url:
        lines.append(_("Unsubscribe: %(url)s") % {"url": unsubscribe_url})
    if preferences_url:
        lines.append(_("Choose which emails you receive: %(url)s") % {"url": preferences_url})
    return ("\n-- \n" + "\n".join(lines) + "\n") if lines else ""


def logo_url(community: Any) -> str:
    if not getattr(community, "logo", None):
        return ""
    url = community.logo.url
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url


def wrap_html(
    inner_html: str,
    *,
    language: str,
    preheader: str = "",
    unsubscribe_url: str = "",
    preferences_url: str = "",
    subject: str = "",
) -> str:
    """The branded HTML document around ``inner_html``: the community's logo and colours, an optional
    preheader (the preview line of inboxes), and a footer with the unsubscribe and preferences links
    when they are given (non-transactional mail). Styles are inline: mail clients drop ``<style>``."""
    from tribu.core.community import get_community

    community = get_community()
    context = {
        "community": community,
        "logo_url": logo_url(community),
        "site_url": settings.SITE_URL,
        "primary": community.primary_colour or "#1f5fbf",
        "secondary": community.secondary_colour or "#e8590c",
        "inner_html": inner_html,
        "preheader": preheader,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": preferences_url,
        "subject": subject,
        "language": language,
    }
    with translation.override(language):
        return render_to_string("mailing/email_layout.html", context)


def already_wrapped(html_part: str) -> bool:
    return 'data-tribu-layout="1"' in (html_part or "")


def body_of(html_document: str) -> str:
    """The inside of ``<body>`` of a full HTML document (or the text unchanged when it is a fragment)."""
    match = re.search(r"<body[^>]*>(.*)</body>", html_document or "", re.S | re.I)
    return match.group(1).strip() if match else (html_document or "")
