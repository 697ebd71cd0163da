"""The fields an import column can feed, the guess from a header, and the value parsers.

Custom fields appear as ``cf:<key>``. Parsers raise ``ValueError`` with a translated reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

IGNORE = ""


@dataclass(frozen=True)
class Target:
    key: str
    label: str | Promise
    aliases: tuple[str, ...] = ()


MEMBER_TARGETS = [
    Target("email", gettext_lazy("Email"), ("email", "e-mail", "mail", "courriel", "adresse e-mail", "adresse email",
                                            "adresse mail", "email address")),
    Target("first_name", gettext_lazy("First name"), ("prenom", "first name", "firstname", "given name")),
    Target("last_name", gettext_lazy("Last name"), ("nom", "nom de famille", "last name", "lastname", "surname",
                                                    "family name")),
    Target("display_name", gettext_lazy("Display name"), ("nom affiche", "display name", "pseudo", "nom complet",
                                                          "full name", "name")),
    Target("role", gettext_lazy("Role"), ("role",)),
    Target("language", gettext_lazy("Language"), ("langue", "language", "lang")),
    Target("job_title", gettext_lazy("Job title"), ("fonction", "poste", "job title", "job", "title", "titre")),
    Target("organisation", gettext_lazy("Organisation"), ("organisation", "organization", "structure", "employeur",
                                                          "employer")),
    Target("city", gettext_lazy("City"), ("ville", "city", "commune", "town")),
    Target("region", gettext_lazy("Region"), ("region", "departement", "state")),
    Target("country", gettext_lazy("Country"), ("pays", "country")),
    Target("website", gettext_lazy("Website"), ("site web", "site", "site internet", "website", "web", "url")),
    Target("bio", gettext_lazy("Bio"), ("bio", "biographie", "biography", "presentation", "about")),
    Target("skills", gettext_lazy("Skills"), ("competences", "skills", "expertises")),
    Target("interests", gettext_lazy("Interests"), ("centres d'interet", "centres d interet", "interets",
                                                    "interests")),
    Target("tier", gettext_lazy("Membership tier (slug or name)"), ("formule", "formule d'adhesion", "niveau",
                                                                    "tier", "membership tier", "adhesion",
                                                                    "membership", "plan")),
    Target("starts_on", gettext_lazy("Membership start date"), (
        "debut", "date de debut", "debut adhesion", "start", "start date", "starts on", "membership start")),
    Target("ends_on", gettext_lazy("Membership end date"), ("fin", "date de fin", "fin adhesion", "end", "end date",
                                                            "ends on", "expiration", "membership end")),
    Target("company", gettext_lazy("Company (name or SIRET)"), ("societe", "entreprise", "societe adherente",
                                                                "company", "siret", "member company")),
]

COMPANY_TARGETS = [
    Target("name", gettext_lazy("Name"), ("nom", "raison sociale", "name", "company", "societe", "entreprise",
                                          "company name")),
    Target("siret", gettext_lazy("SIRET"), ("siret", "numero siret")),
    Target("sector", gettext_lazy("Sector"), ("secteur", "secteur d'activite", "sector", "industry")),
    Target("size", gettext_lazy("Size"), ("taille", "effectif", "size", "headcount", "employees")),
    Target("address", gettext_lazy("Address"), ("adresse", "address", "street")),
    Target("postcode", gettext_lazy("Postcode"), ("code postal", "cp", "postcode", "zip", "postal code", "zip code")),
    Target("city", gettext_lazy("City"), ("ville", "city", "commune", "town")),
    Target("country", gettext_lazy("Country"), ("pays", "country")),
    Target("website", gettext_lazy("Website"), ("site web", "site", "site internet", "website", "web", "url")),
    Target("description", gettext_lazy("Description"), ("description", "presentation", "about")),
]


def normalise(text: str) -> str:
    """Lower case, no accents, single spaces: « Prénom » → "prenom", "E-Mail " → "e-mail"."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    text = re.sub(r"[_\s]+", " ", text.replace("’", "'")).strip().lower()
    return text.rstrip(" *:")


def header_key(headers: list[str]) -> str:
    joined = "\x1f".join(sorted(normalise(h) for h in headers))
    return hashlib.sha256(joined.encode()).hexdigest()


def targets_for(kind: str, custom_fields: list[Any] = ()) -> list[tuple[str, str]]:
    """``(key, label)`` pairs a column can be mapped to, "ignore" first."""
    base = MEMBER_TARGETS if kind == "members" else COMPANY_TARGETS
    choices = [(IGNORE, _("Ignore this column"))] + [(t.key, str(t.label)) for t in base]
    if kind == "members":
        choices += [(f"cf:{f.key}", f"{f.label} ({_('custom field')})") for f in custom_fields if f.kind != "file"]
    return choices


def guess_mapping(kind: str, headers: list[str], custom_fields: list[Any] = ()) -> dict[str, str]:
    """A column → field guess from the headers: exact alias, then a custom field's key or label."""
    base = MEMBER_TARGETS if kind == "members" else COMPANY_TARGETS
    lookup: dict[str, str] = {}
    for target in base:
        lookup.setdefault(normalise(target.key.replace("_", " ")), target.key)
        lookup.setdefault(normalise(str(target.label)), target.key)
        for alias in target.aliases:
            lookup.setdefault(normalise(alias), target.key)
    if kind == "members":
        for f in custom_fields:
            if f.kind == "file":
                continue
            for name in (f.key, f.key.replace("-", " "), f.label_fr, f.label_en):
                if name:
                    lookup.setdefault(normalise(name), f"cf:{f.key}")
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for index, header in enumerate(headers):
        target = lookup.get(normalise(header), IGNORE)
        if target and target in used:
            target = IGNORE
        used.add(target)
        mapping[str(index)] = target
    return mapping


# --- Value parsers -------------------------------------------------------------------------------

_URL = URLValidator(schemes=["http", "https"])
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")


def parse_email(value: str) -> str:
    email = value.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValueError(_("malformed email address « %(value)s »") % {"value": value}) from None
    return email


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    if re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{4}-\d{1,2}-\d{1,2}", text):
        raise ValueError(_("impossible date « %(value)s »") % {"value": text})
    raise ValueError(_("unreadable date « %(value)s » (use dd/mm/yyyy or yyyy-mm-dd)") % {"value": text})


def parse_url(value: str) -> str:
    url = value.strip()
    if url and "://" not in url:
        url = "https://" + url
    try:
        _URL(url)
    except ValidationError:
        raise ValueError(_("invalid web address « %(value)s »") % {"value": value}) from None
    return url


def split_list(value: str) -> list[str]:
    items = [part.strip() for part in re.split(r"[;,\n]", str(value))]
    seen: dict[str, str] = {}
    for item in items:
        if item and item.lower() not in seen:
            seen[item.lower()] = item[:60]
    return list(seen.values())


def parse_custom(field: Any, value: Any) -> Any:
    """The JSON value stored in ``CustomFieldValue.value`` for one cell, validated by the accounts
    app's per-kind rules (the same as the profile page and the API), the reason naming the field."""
    from tribu.accounts.custom_fields import clean_value

    if field.kind == "file":
        raise ValueError(_("%(field)s: this kind of field cannot be imported") % {"field": field.label})
    try:
        return clean_value(field, value)
    except ValidationError as exc:
        raise ValueError(f"{field.label}: {exc.messages[0]}") from None
