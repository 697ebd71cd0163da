"""Content that admins write in both languages (a tier's name, a custom field's label) is stored in
two columns, ``<base>_fr`` and ``<base>_en``; pages show the one of the active language, falling back
to the other when it is empty."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language

LANGS = ("fr", "en")


def localized(obj: Any, base: str, language: str | None = None) -> str:
    lang = (language or get_language() or "fr")[:2]
    order = [lang] + [code for code in LANGS if code != lang]
    for code in order:
        value = getattr(obj, f"{base}_{code}", "") or ""
        if value:
            return str(value)
    return ""
