"""Rendering a transactional email: the admins' override in the recipient's language when there is
one (subject + Markdown with placeholders), else the template files; always wrapped in the branded
layout, always with a plain-text part. ``tribu.core.emails.render_email`` calls ``render``."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import linebreaks, urlize

from . import registry
from .models import TemplateOverride
from .rendering import (
    PlaceholderError,
    already_wrapped,
    body_of,
    markdown_to_parts,
    substitute,
    text_footer,
    wrap_html,
)

logger = logging.getLogger(__name__)

_MISSING = "-"


def _cache_key(key: str, language: str) -> str:
    return f"tribu:mailing:override:v1:{key}:{language}"


def override_for(key: str, language: str) -> TemplateOverride | None:
    cache_key = _cache_key(key, language)
    cached = cache.get(cache_key)
    if cached == _MISSING:
        return None
    if cached is not None:
        return cached
    override = TemplateOverride.objects.filter(template=key, language=language).first()
    cache.set(cache_key, override if override is not None else _MISSING, 300)
    return override


def forget_override(key: str, language: str) -> None:
    cache.delete(_cache_key(key, language))


class _Site:
    """What allauth's templates read as ``current_site``: the community's name and host."""

    def __init__(self, name: str, domain: str) -> None:
        self.name, self.domain = name, domain

    def __str__(self) -> str:
        return self.name


def current_site(community: Any) -> _Site:
    return _Site(community.name, settings.SITE_URL.split("//", 1)[-1])


def standard_values(context: dict[str, Any]) -> dict[str, Any]:
    """The placeholders every email has, from the recipient (``user``) and the community."""
    user = context.get("user")
    community = context.get("community")
    name = getattr(user, "name", "") if user is not None else ""
    first = (getattr(user, "first_name", "") or (name.split()[0] if name else "")) if user is not None else ""
    return {
        "first_name": first,
        "name": name,
        "email": getattr(user, "email", "") or context.get("email", ""),
        "community_name": getattr(community, "name", ""),
        "site_url": settings.SITE_URL,
    }


def render_override(
    override: TemplateOverride | Any,
    context: dict[str, Any],
    *,
    allowed: set[str],
) -> tuple[str, str, str]:
    """``(subject, text, inner_html)`` of an override (or a form's unsaved subject and body)."""
    merged = {**context, **standard_values(context)}
    subject = substitute(override.subject, merged, allowed).strip().replace("\n", " ")
    text, inner = markdown_to_parts(override.body, merged, allowed=allowed)
    return subject, text, inner


def render_files(template: registry.EmailTemplate | None, key: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """``(subject, text, inner_html)`` from the template files of ``key``."""
    subject_name = template.subject_template if template else f"{key}_subject.txt"
    text_name = template.text_template if template else f"{key}.txt"
    html_name = template.html_template if template else f"{key}.html"
    subject = render_to_string(subject_name, context).strip()
    subject = " ".join(subject.split())
    text = render_to_string(text_name, context).strip() + "\n"
    inner = ""
    if html_name:
        try:
            inner = body_of(render_to_string(html_name, context))
        except TemplateDoesNotExist:
            if template is not None:
                raise
            inner = ""  # an email outside the registry without an HTML file: built from the text
    if not inner:
        inner = text_to_html(text)
    return subject, text, inner


def text_to_html(text: str) -> str:
    """An HTML body for an email that only has a text template: paragraphs, clickable links."""
    return linebreaks(urlize(text.strip(), nofollow=True, autoescape=True), autoescape=False)


def render(
    key: str,
    context: dict[str, Any],
    language: str,
    *,
    unsubscribe_url: str = "",
    preferences_url: str = "",
    preheader: str = "",
    use_override: bool = True,
) -> dict[str, str]:
    """``{"subject", "text", "html"}`` of the email ``key`` for one recipient, in ``language``."""
    from tribu.core.community import get_community

    community = get_community()
    ctx = {"community": community, "site_url": settings.SITE_URL, "current_site": current_site(community), **context}
    template = registry.get(key)
    with translation.override(language):
        parts = None
        override = override_for(key, language) if use_override else None
        if override is not None:
            allowed = template.allowed if template else set(registry.STANDARD_PLACEHOLDERS)
            try:
                parts = render_override(override, ctx, allowed=allowed)
            except PlaceholderError:
                logger.exception("The override of %s [%s] no longer renders; the default is used", key, language)
        if parts is None:
            parts = render_files(template, key, ctx)
        subject, text, inner = parts
        if already_wrapped(inner):
            html = inner
        else:
            html = wrap_html(
                inner,
                language=language,
                preheader=preheader,
                unsubscribe_url=unsubscribe_url,
                preferences_url=preferences_url,
                subject=subject,
            )
        text += text_footer(unsubscribe_url=unsubscribe_url, preferences_url=preferences_url)
    return {"subject": subject, "text": text, "html": html}
