"""Everything that depends on a custom field's kind, in one place.

- ``clean_value(field, raw, *, current=None, required=False)``: the JSON value stored in
  ``CustomFieldValue.value`` for a raw answer (a form string, a CSV cell, an API JSON value), or a
  translated ``ValidationError``. Pages, the signup form, the API and the CSV import all call it.
- ``form_field(field, *, current=None, required=None)``: the Django form field for a custom field.
- ``display(field, value, language=None)``: the stored value as text in the active language.
- ``validate_upload(uploaded)``: the file kind's checks (size, extension, content).
- ``parse_choices(text)`` / ``choices_text(choices)``: the admin's "value | Libellé | Label" lines.

Stored shapes: text and URLs are strings, numbers are ints or floats, dates ISO strings
("2024-05-31"), yes/no a bool, a single choice its value, a multiple choice a list of values, a file
``{"name": ..., "size": ...}`` (the file itself in ``CustomFieldValue.file``). ``None`` means no answer.

A choice that an admin removes is kept in members' answers: ``display`` shows its value as it is
and the member's form still offers it (marked as no longer offered) until they pick another one.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import formats
from django.utils.dateparse import parse_date
from django.utils.text import slugify
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from .models import CustomFieldKind as Kind

SHORT_TEXT_MAX = 300
LONG_TEXT_MAX = 5000
NUMBER_LIMIT = 10**12
CHOICE_KINDS = {Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE}
MAX_FILE_BYTES = int(getattr(settings, "TRIBU_MAX_FILE_BYTES", 5 * 1024 * 1024))
# Extension → what the first bytes must look like ("pdf", "image", "zip" for OOXML/ODF, "ole", "text").
ALLOWED_FILES = {
    "pdf": "pdf", "png": "image", "jpg": "image", "jpeg": "image", "gif": "image", "webp": "image",
    "docx": "zip", "xlsx": "zip", "pptx": "zip", "odt": "zip", "ods": "zip", "odp": "zip",
    "doc": "ole", "xls": "ole", "ppt": "ole", "txt": "text", "csv": "text",
}
TRUE_WORDS = {"yes", "oui", "true", "vrai", "1", "y", "o", "on"}
FALSE_WORDS = {"no", "non", "false", "faux", "0", "n", "off"}


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _required() -> ValidationError:
    return ValidationError(_("This field is required."), code="required")


# --- choices ------------------------------------------------------------------------------------


def choice_label(choice: dict[str, Any], language: str | None = None) -> str:
    lang = (language or get_language() or "fr")[:2]
    other = "en" if lang == "fr" else "fr"
    return str(choice.get(f"label_{lang}") or choice.get(f"label_{other}") or choice.get("value", ""))


def offered_values(field: Any) -> list[str]:
    return [str(c.get("value")) for c in field.choices or [] if c.get("value") not in (None, "")]


def parse_choices(text: str) -> list[dict[str, str]]:
    """One choice per line: ``value | Libellé | Label`` (the labels are optional; a line with only
    a label gets a value made from it). Raises a translated ``ValidationError``."""
    choices: list[dict[str, str]] = []
    seen: set[str] = set()
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) > 3:
            raise ValidationError(
                _("Line %(line)d: write at most « value | Libellé | Label ».") % {"line": number}
            )
        value = parts[0]
        label_fr = parts[1] if len(parts) > 1 else ""
        label_en = parts[2] if len(parts) > 2 else ""
        if len(parts) == 1:
            label_fr = value
            value = slugify(value) or value
        if not value:
            raise ValidationError(_("Line %(line)d: the value is empty.") % {"line": number})
        if len(value) > 100 or len(label_fr) > 120 or len(label_en) > 120:
            raise ValidationError(_("Line %(line)d is too long.") % {"line": number})
        if value in seen:
            raise ValidationError(_("The value « %(value)s » is listed twice.") % {"value": value})
        seen.add(value)
        choices.append({"value": value, "label_fr": label_fr or value, "label_en": label_en})
    if len(choices) > 200:
        raise ValidationError(_("Offer at most 200 choices."))
    return choices


def choices_text(choices: list[dict[str, Any]]) -> str:
    lines = []
    for c in choices or []:
        lines.append(" | ".join([str(c.get("value", "")), str(c.get("label_fr", "")), str(c.get("label_en", ""))]))
    return "\n".join(lines)


def removed_values(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    keep = {str(c.get("value")) for c in new or []}
    return [str(c.get("value")) for c in old or [] if str(c.get("value")) not in keep]


def _match_choice(field: Any, item: Any, allowed_extra: set[str]) -> str:
    text = str(item).strip()
    offered = field.choices or []
    for c in offered:
        if text == str(c.get("value")):
            return text
    if text in allowed_extra:
        return text
    folded = text.casefold()
    for c in offered:
        if folded in {str(c.get("value", "")).casefold(), str(c.get("label_fr", "")).casefold(),
                      str(c.get("label_en", "")).casefold()}:
            return str(c["value"])
    raise ValidationError(
        _("« %(value)s » is not one of the choices offered.") % {"value": text[:80]}, code="invalid_choice"
    )


def _legacy(current: Any) -> set[str]:
    if current is None:
        return set()
    if isinstance(current, list):
        return {str(v) for v in current}
    return {str(current)}


# --- cleaning -----------------------------------------------------------------------------------


def _clean_number(raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise ValidationError(_("Enter a number."), code="invalid")
    if isinstance(raw, int | float):
        number = Decimal(str(raw))
    else:
        text = str(raw).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError(_("Enter a number."), code="invalid") from None
    if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
        raise ValidationError(_("Enter a number."), code="invalid")
    if number == number.to_integral_value():
        return int(number)
    return float(number)


def _clean_date(raw: Any) -> str:
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    text = str(raw).strip()
    try:
        parsed = parse_date(text)
    except ValueError:
        parsed = None
    if parsed is None:
        match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
        if match:
            try:
                parsed = dt.date(int(match[3]), int(match[2]), int(match[1]))
            except ValueError:
                parsed = None
    if parsed is None or not 1800 <= parsed.year <= 2200:
        raise ValidationError(_("Enter a valid date."), code="invalid")
    return parsed.isoformat()


def _clean_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().casefold()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValidationError(_("Answer yes or no."), code="invalid")


def _clean_url(raw: Any) -> str:
    text = str(raw).strip()
    if text and "://" not in text:
        text = "https://" + text
    if len(text) > 500:
        raise ValidationError(_("This web address is too long."), code="max_length")
    try:
        URLValidator(schemes=["http", "https"])(text)
    except ValidationError:
        raise ValidationError(_("Enter a valid web address."), code="invalid") from None
    return text


def _clean_text(raw: Any, limit: int) -> str:
    if isinstance(raw, dict | list):
        raise ValidationError(_("Enter text."), code="invalid")
    text = str(raw).strip().replace("\x00", "")
    if len(text) > limit:
        raise ValidationError(
            _("Keep it under %(limit)d characters (it has %(length)d).") % {"limit": limit, "length": len(text)},
            code="max_length",
        )
    return text


def clean_value(field: Any, raw: Any, *, current: Any = None, required: bool = False) -> Any:
    """The value to store for ``raw`` (``None`` when empty), or a translated ``ValidationError``.

    ``current`` is the member's stored value: a choice no longer offered stays acceptable for them.
    For the file kind, ``raw`` is an uploaded file (validated and returned as is) or empty."""
    if isinstance(raw, str):
        raw = raw.strip()
    if isinstance(raw, list | tuple) and field.kind != Kind.MULTIPLE_CHOICE:
        raw = raw[0] if len(raw) == 1 else raw
    if is_empty(raw):
        if required:
            raise _required()
        return None
    kind = field.kind
    if kind == Kind.SHORT_TEXT:
        value: Any = _clean_text(raw, SHORT_TEXT_MAX)
    elif kind == Kind.LONG_TEXT:
        value = _clean_text(raw, LONG_TEXT_MAX)
    elif kind == Kind.NUMBER:
        value = _clean_number(raw)
    elif kind == Kind.DATE:
        value = _clean_date(raw)
    elif kind == Kind.BOOLEAN:
        value = _clean_bool(raw)
    elif kind == Kind.URL:
        value = _clean_url(raw)
    elif kind == Kind.SINGLE_CHOICE:
        if isinstance(raw, list | tuple | dict):
            raise ValidationError(_("Pick one choice."), code="invalid")
        value = _match_choice(field, raw, _legacy(current))
    elif kind == Kind.MULTIPLE_CHOICE:
        if isinstance(raw, str):
            items = [p for p in re.split(r"[;,\n]", raw) if p.strip()]
        elif isinstance(raw, list | tuple):
            items = list(raw)
        else:
            raise ValidationError(_("Pick one or more choices."), code="invalid")
        legacy = _legacy(current)
        value = []
        for item in items:
            if isinstance(item, dict | list):
                raise ValidationError(_("Pick one or more choices."), code="invalid")
            matched = _match_choice(field, item, legacy)
            if matched not in value:
                value.append(matched)
    elif kind == Kind.FILE:
        if not hasattr(raw, "read"):
            raise ValidationError(_("Upload this file from the profile page."), code="invalid")
        validate_upload(raw)
        value = raw
    else:  # pragma: no cover - the database constraint lists the kinds
        raise ValidationError(_("Unknown kind of field."))
    if required and is_empty(value):
        raise _required()
    return value


def file_value(uploaded: Any) -> dict[str, Any]:
    """What ``CustomFieldValue.value`` holds next to an uploaded file."""
    return {"name": os.path.basename(str(uploaded.name))[:200], "size": int(uploaded.size or 0)}


# --- uploads ------------------------------------------------------------------------------------


def _looks_like(head: bytes, expected: str, uploaded: Any) -> bool:
    if expected == "pdf":
        return head.startswith(b"%PDF-")
    if expected == "zip":
        return head.startswith(b"PK\x03\x04")
    if expected == "ole":
        return head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    if expected == "text":
        if b"\x00" in head:
            return False
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            return exc.start >= len(head) - 4  # a multi-byte character cut by the sample
        return True
    if expected == "image":
        from .images import ImageRefused, open_image

        try:
            open_image(uploaded, max_bytes=MAX_FILE_BYTES)
        except ImageRefused:
            return False
        return True
    return False


def validate_upload(uploaded: Any) -> None:
    """Refuse files that are too large, of a type not offered, or whose content is not their type."""
    size = int(getattr(uploaded, "size", 0) or 0)
    if size > MAX_FILE_BYTES:
        raise ValidationError(
            _("This file is too large: %(max)s at most.") % {"max": human_size(MAX_FILE_BYTES)}, code="file_too_large"
        )
    if size == 0:
        raise ValidationError(_("This file is empty."), code="empty")
    extension = os.path.splitext(str(uploaded.name))[1].lower().lstrip(".")
    expected = ALLOWED_FILES.get(extension)
    if expected is None:
        raise ValidationError(
            _("This type of file is not accepted. Accepted: %(types)s.") % {"types": ", ".join(sorted(ALLOWED_FILES))},
            code="file_type",
        )
    uploaded.seek(0)
    head = uploaded.read(2048)
    uploaded.seek(0)
    if not _looks_like(head, expected, uploaded):
        raise ValidationError(
            _("The content of this file does not match its « .%(ext)s » extension.") % {"ext": extension},
            code="file_content",
        )
    uploaded.seek(0)


def human_size(n: int) -> str:
    from django.template.defaultfilters import filesizeformat

    return str(filesizeformat(n))


# --- forms --------------------------------------------------------------------------------------


def _choices_for(field: Any, current: Any, blank: bool) -> list[tuple[str, str]]:
    options = [(str(c["value"]), choice_label(c)) for c in field.choices or [] if c.get("value") not in (None, "")]
    offered = {v for v, _label in options}
    for old in sorted(_legacy(current) - offered):
        options.append((old, _("%(value)s (no longer offered)") % {"value": old}))
    if blank:
        options.insert(0, ("", "—"))
    return options


class CustomValueField(forms.Field):
    """A form field whose cleaning is ``clean_value``: the same rules on every page and in the API."""

    def __init__(self, custom_field: Any, *, current: Any = None, **kwargs: Any) -> None:
        self.custom_field = custom_field
        self.current = current
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        return clean_value(self.custom_field, value, current=self.current)

    def validate(self, value: Any) -> None:
        if self.required and is_empty(value):
            raise ValidationError(self.error_messages["required"], code="required")

    def prepare_value(self, value: Any) -> Any:
        if self.custom_field.kind == Kind.BOOLEAN and isinstance(value, bool):
            return "yes" if value else "no"
        if self.custom_field.kind == Kind.NUMBER and isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value


class CustomFileField(forms.FileField):
    def __init__(self, custom_field: Any, **kwargs: Any) -> None:
        self.custom_field = custom_field
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        value = super().clean(data, initial)
        if value and hasattr(value, "read"):
            validate_upload(value)
        return value


def form_field(field: Any, *, current: Any = None, required: bool | None = None, has_file: bool = False) -> forms.Field:
    """The form field asking for ``field`` (``current``: the member's stored value)."""
    needed = field.required if required is None else required
    common: dict[str, Any] = {"label": field.label, "help_text": field.help_text, "required": needed}
    kind = field.kind
    if kind == Kind.FILE:
        accept = ",".join(f".{ext}" for ext in ALLOWED_FILES)
        return CustomFileField(
            field, **{**common, "required": needed and not has_file},
            widget=forms.ClearableFileInput(attrs={"accept": accept}),
        )
    if kind == Kind.SHORT_TEXT:
        widget: forms.Widget = forms.TextInput(attrs={"maxlength": SHORT_TEXT_MAX})
    elif kind == Kind.LONG_TEXT:
        widget = forms.Textarea(attrs={"rows": 4, "maxlength": LONG_TEXT_MAX})
    elif kind == Kind.NUMBER:
        widget = forms.TextInput(attrs={"inputmode": "decimal"})
    elif kind == Kind.DATE:
        widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    elif kind == Kind.BOOLEAN:
        widget = forms.RadioSelect(choices=[("yes", _("Yes")), ("no", _("No"))])
    elif kind == Kind.URL:
        widget = forms.URLInput(attrs={"placeholder": "https://"})
    elif kind == Kind.SINGLE_CHOICE:
        widget = forms.Select(choices=_choices_for(field, current, blank=True))
    else:
        widget = forms.CheckboxSelectMultiple(choices=_choices_for(field, current, blank=False))
    return CustomValueField(field, current=current, widget=widget, **common)


# --- display ------------------------------------------------------------------------------------


def display(field: Any, value: Any, language: str | None = None) -> str:
    """The stored ``value`` as a reader sees it, in the active (or given) language."""
    if is_empty(value):
        return ""
    kind = field.kind
    labels = {str(c.get("value")): choice_label(c, language) for c in field.choices or []}
    if kind == Kind.SINGLE_CHOICE:
        return labels.get(str(value), str(value))
    if kind == Kind.MULTIPLE_CHOICE:
        items = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(str(v), str(v)) for v in items)
    if kind == Kind.BOOLEAN:
        return str(gettext_lazy("Yes") if value else gettext_lazy("No"))
    if kind == Kind.DATE:
        try:
            return str(formats.date_format(dt.date.fromisoformat(str(value)), "DATE_FORMAT"))
        except ValueError:
            return str(value)
    if kind == Kind.NUMBER:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value).replace(".", str(formats.get_format("DECIMAL_SEPARATOR")))
        return str(value)
    if kind == Kind.FILE:
        return str(value.get("name", "")) if isinstance(value, dict) else str(value)
    return str(value)
