from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html

register = template.Library()


@register.filter
def width_class(percent: Any) -> str:
    """A bar's width as a CSS class (inline styles are refused by the page's CSP)."""
    try:
        value = max(0, min(100, int(percent)))
    except (TypeError, ValueError):
        value = 0
    return f"w-{5 * round(value / 5)}"


@register.simple_tag(takes_context=True)
def stat_card(context: Any, show: str, value: int, label: str, rate: Any) -> str:
    campaign = context["campaign"]
    url = reverse("campaigns:stats", args=[campaign.pk]) + f"?show={show}#recipients"
    rate_html = format_html('<span class="stat-label">{}\u00a0%</span>', number_format(rate, 1)) if rate != "" else ""
    return format_html(
        '<a class="stat" href="{}"><span class="stat-value">{}</span><span class="stat-label">{}</span>{}</a>',
        url,
        value,
        label,
        rate_html,
    )
