"""``{{ n|grouped }}``: a member count with the reader's thousands separator (« 29 212 », "29,212")."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def grouped(value: Any) -> str:
    try:
        return number_format(int(value), force_grouping=True)
    except (TypeError, ValueError):
        return ""
