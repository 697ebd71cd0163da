"""``{% load media_tags %}``: ``attachments|pictures``, ``attachments|documents``, ``{% rich text %}`` and
``{% link_card url %}`` (one query per call: on list pages use ``links.cards_for`` and the include)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from ..links import card_for
from ..rich import render_rich

register = template.Library()


@register.filter
def pictures(attachments: list[Any] | None) -> list[Any]:
    return [a for a in attachments or [] if a.is_image]


@register.filter
def documents(attachments: list[Any] | None) -> list[Any]:
    return [a for a in attachments or [] if not a.is_image]


@register.simple_tag
def rich(text: str) -> SafeString:
    return render_rich(text)


@register.inclusion_tag("media/_link_card.html")
def link_card(url: str) -> dict[str, Any]:
    return {"card": card_for(url) if url else None}
