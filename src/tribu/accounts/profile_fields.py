"""The standard profile fields: their labels, their cleaning rules and their form fields, shared by the
profile edit page, the signup form, the "complete your profile" page and the API (like
``custom_fields`` for the admin-defined ones)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_TAGS = 20
TAG_MAX_LENGTH = 60
SOCIAL_NETWORKS = (
    ("linkedin", "LinkedIn"), ("mastodon", "Mastodon"), ("instagram", "Instagram"),
    ("facebook", "Facebook"), ("github", "GitHub"), ("x", "X"),
)
# Spoken languages, each named in itself (so no translation is needed).
LANGUAGE_CHOICES = (
    ("fr", "Français"), ("en", "English"), ("br", "Brezhoneg"), ("de", "Deutsch"), ("es", "Español"),
    ("it", "Italiano"), ("pt", "Português"), ("nl", "Nederlands"), ("ca", "Català"), ("eu", "Euskara"),
    ("oc", "Occitan"), ("pl", "Polski"), ("ro", "Română"), ("ar", "العربية"), ("zh", "中文"), ("uk", "Українська"),
)


@dataclass(frozen=True)
class Standard:
    name: str
    label: Promise
    kind: str  # text, markdown, tags, url, languages, social
    max_length: int = 0
    on_signup: bool = True  # may be put on the signup form


STANDARD_FIELDS: dict[str, Standard] = {
    s.name: s
    for s in (
        Standard("job_title", gettext_lazy("Job title"), "text", 120),
        Standard("organisation", gettext_lazy("Organisation"), "text", 160),
        Standard("bio", gettext_lazy("About you"), "markdown", 5000),
        Standard("skills", gettext_lazy("Skills"), "tags"),
        Standard("interests", gettext_lazy("Interests"), "tags"),
        Standard("city", gettext_lazy("City"), "text", 100),
        Standard("region", gettext_lazy("Region"), "text", 100),
        Standard("country", gettext_lazy("Country"), "text", 100),
        Standard("languages", gettext_lazy("Languages you speak"), "languages"),
        Standard("website", gettext_lazy("Website"), "url", 200),
        Standard("social_links", gettext_lazy("Social networks"), "social", 200, on_signup=False),
    )
}
SIGNUP_STANDARD = [name for name, spec in STANDARD_FIELDS.items() if spec.on_signup]


def label_of(name: str) -> str:
    spec = STANDARD_FIELDS.get(name)
    if spec is not None:
        return str(spec.label)
    return {"photo": _("Photo"), "company": _("Company"), "display_name": _("Your name")}.get(name, name)


def clean_url(raw: Any, limit: int = 200) -> str:
    text = str(raw or "").strip()
    if not text:
        return ""
    if "://" not in text:
        text = "https://" + text
    if len(text) > limit:
        raise ValidationError(_("This web address is too long."), code="max_length")
    try:
        URLValidator(schemes=["http", "https"])(text)
    except ValidationError:
        raise ValidationError(_("Enter a valid web address."), code="invalid") from None
    return text


def split_tags(raw: Any) -> list[str]:
    if raw is None:
        return []
    items = raw if isinstance(raw, list | tuple) else re.split(r"[,;\n]", str(raw))
    return [" ".join(str(item).split()) for item in items if str(item).strip()]


def clean_tags(raw: Any) -> list[str]:
    """Tag names, stripped and without duplicates (compared by slug); at most ``MAX_TAGS``."""
    if isinstance(raw, dict) or (isinstance(raw, list | tuple) and any(isinstance(i, dict | list) for i in raw)):
        raise ValidationError(_("Give a list of words."), code="invalid")
    names: list[str] = []
    slugs: set[str] = set()
    for name in split_tags(raw):
        if len(name) > TAG_MAX_LENGTH:
            raise ValidationError(
                _("« %(tag)s… » is too long: %(max)d characters at most.") % {"tag": name[:20], "max": TAG_MAX_LENGTH},
                code="max_length",
            )
        slug = slugify(name)
        if not slug:
            raise ValidationError(_("« %(tag)s » needs at least one letter or digit.") % {"tag": name}, code="invalid")
        if slug not in slugs:
            slugs.add(slug)
            names.append(name)
    if len(names) > MAX_TAGS:
        raise ValidationError(_("Choose at most %(max)d.") % {"max": MAX_TAGS}, code="too_many")
    return names


def clean_standard(name: str, raw: Any, *, required: bool = False) -> Any:
    """The value to store for a standard field, or a translated ``ValidationError``."""
    spec = STANDARD_FIELDS[name]
    if spec.kind == "tags":
        value: Any = clean_tags(raw)
    elif spec.kind == "languages":
        items = raw if isinstance(raw, list | tuple) else split_tags(raw)
        known = dict(LANGUAGE_CHOICES)
        value = []
        for code in items:
            code = str(code).strip().lower()
            if code not in known:
                raise ValidationError(_("Unknown language « %(code)s ».") % {"code": code[:20]}, code="invalid")
            if code not in value:
                value.append(code)
    elif spec.kind == "social":
        if raw in (None, ""):
            raw = {}
        if not isinstance(raw, dict):
            raise ValidationError(_("Give one web address per network."), code="invalid")
        known = dict(SOCIAL_NETWORKS)
        value = {}
        for network, address in raw.items():
            if network not in known:
                raise ValidationError(_("Unknown network « %(name)s ».") % {"name": str(network)[:20]}, code="invalid")
            cleaned = clean_url(address, spec.max_length)
            if cleaned:
                value[network] = cleaned
    elif spec.kind == "url":
        value = clean_url(raw, spec.max_length)
    else:
        if isinstance(raw, dict | list):
            raise ValidationError(_("Enter text."), code="invalid")
        value = str(raw or "").strip().replace("\x00", "")
        if len(value) > spec.max_length:
            raise ValidationError(
                _("Keep it under %(limit)d characters (it has %(length)d).")
                % {"limit": spec.max_length, "length": len(value)},
                code="max_length",
            )
    if required and not value:
        raise ValidationError(_("This field is required."), code="required")
    return value


class StandardField(forms.Field):
    """A form field cleaned by ``clean_standard``."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        self.standard = name
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        if STANDARD_FIELDS[self.standard].kind == "tags" and isinstance(value, str):
            value = split_tags(value)
        return clean_standard(self.standard, value)

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")

    def prepare_value(self, value: Any) -> Any:
        if STANDARD_FIELDS[self.standard].kind == "tags" and isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value


def form_field(name: str, *, required: bool = False) -> forms.Field:
    spec = STANDARD_FIELDS[name]
    common: dict[str, Any] = {"label": spec.label, "required": required}
    if spec.kind == "markdown":
        widget: forms.Widget = forms.Textarea(attrs={"rows": 6, "maxlength": spec.max_length})
        common["help_text"] = _("Markdown: *italics*, **bold**, lists, links.")
    elif spec.kind == "tags":
        widget = forms.TextInput(
            attrs={
                "data-tag-input": name[:-1] if name.endswith("s") else name,
                "autocomplete": "off",
                "list": f"{name}-suggestions",
            }
        )
        common["help_text"] = _(
            "Separate them with commas (%(max)d at most); new ones are created as you type them."
        ) % {"max": MAX_TAGS}
    elif spec.kind == "languages":
        widget = forms.CheckboxSelectMultiple(choices=LANGUAGE_CHOICES)
    elif spec.kind == "url":
        widget = forms.URLInput(attrs={"placeholder": "https://", "maxlength": spec.max_length})
    else:
        widget = forms.TextInput(attrs={"maxlength": spec.max_length})
        if name == "job_title":
            widget.attrs["autocomplete"] = "organization-title"
        elif name == "organisation":
            widget.attrs["autocomplete"] = "organization"
        elif name == "city":
            widget.attrs["autocomplete"] = "address-level2"
        elif name == "region":
            widget.attrs["autocomplete"] = "address-level1"
        elif name == "country":
            widget.attrs["autocomplete"] = "country-name"
    return StandardField(name, widget=widget, **common)
