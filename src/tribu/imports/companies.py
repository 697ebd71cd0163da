"""The company import: upsert by SIRET, then by name (case-insensitive). Companies are few (hundreds),
so each row is planned and written on its own, in its own savepoint. An empty cell changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models.functions import Lower
from django.utils.text import slugify
from django.utils.translation import gettext as _

from tribu.companies.models import Company, CompanySize
from tribu.core.activity import record

from . import fields as F
from .members import Counts

TEXT_FIELDS = {"name": 160, "sector": 120, "address": 240, "postcode": 16, "city": 100, "country": 100}
SIZES = {F.normalise(str(label)): value for value, label in CompanySize.choices} | {
    F.normalise(value): value for value in CompanySize.values
} | {"250 +": "250+", "1 a 9": "1-9", "10 a 49": "10-49", "50 a 249": "50-249"}


@dataclass
class CompanyRow:
    line: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    status: str = ""
    changed: list[str] = field(default_factory=list)
    company: Company | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def key(self) -> str:
        return self.values.get("siret") or self.values.get("name", "")


def _size(value: str) -> str:
    text = F.normalise(value).replace(" ", "")
    for key, size in SIZES.items():
        if key.replace(" ", "") == text:
            return size
    if text.isdigit():
        n = int(text)
        return "1-9" if n < 10 else "10-49" if n < 50 else "50-249" if n < 250 else "250+"
    raise ValueError(_("unknown company size « %(value)s »") % {"value": value})


class CompanyImporter:
    def __init__(self, actor: Any, mapping: dict[str, str], *, job_id: int | None = None, invite: bool = False):
        self.actor = actor
        self.job_id = job_id
        self.columns = {int(index): target for index, target in mapping.items() if target}

    def file_errors(self) -> list[str]:
        targets = list(self.columns.values())
        errors = []
        if "name" not in targets and "siret" not in targets:
            errors.append(_("Choose the column that holds the company name or its SIRET."))
        for target in sorted({t for t in targets if targets.count(t) > 1}):
            errors.append(_("Two columns feed the same field « %(field)s ».") % {"field": target})
        return errors

    def validate(self, rows: list[list[Any]], first_line: int = 2) -> list[CompanyRow]:
        seen: dict[str, int] = {}
        result = []
        for offset, cells in enumerate(rows):
            row = CompanyRow(line=first_line + offset)
            for index, target in self.columns.items():
                value = str(cells[index]).strip() if index < len(cells) and cells[index] is not None else ""
                if not value:
                    continue
                try:
                    row.values[target] = self._parse(target, value)
                except ValueError as exc:
                    row.errors.append(str(exc))
            if not row.values.get("name") and not row.values.get("siret") and not row.errors:
                row.errors.append(_("the name or the SIRET is missing"))
            # Same SIRET twice, or a row without SIRET naming a company already in the file: duplicates.
            siret, name = row.values.get("siret", ""), F.normalise(row.values.get("name", ""))
            key = f"siret:{siret}" if siret else f"name:{name}"
            if key in seen and (siret or name):
                row.errors.append(_("duplicate of line %(line)s") % {"line": seen[key]})
            else:
                for k in ([f"siret:{siret}"] if siret else []) + ([f"name:{name}"] if name else []):
                    seen.setdefault(k, row.line)
            if row.errors:
                row.status = "error"
            result.append(row)
        return result

    def _parse(self, target: str, value: str) -> str:
        if target == "siret":
            digits = value.replace(" ", "").replace("\u00a0", "")
            if not (digits.isdigit() and len(digits) == 14):
                raise ValueError(_("a SIRET has 14 digits, not « %(value)s »") % {"value": value})
            return digits
        if target == "size":
            return _size(value)
        if target == "website":
            return F.parse_url(value)
        if target in TEXT_FIELDS and len(value) > TEXT_FIELDS[target]:
            raise ValueError(_("%(field)s is too long") % {"field": target})
        return value

    def _find(self, row: CompanyRow) -> Company | None:
        siret = row.values.get("siret")
        if siret:
            found = Company.objects.filter(siret=siret).first()
            if found is not None:
                return found
        name = row.values.get("name")
        if name:
            return Company.objects.annotate(lname=Lower("name")).filter(lname=name.lower()).order_by("pk").first()
        return None

    def plan(self, rows: list[CompanyRow]) -> None:
        for row in rows:
            if not row.ok:
                continue
            row.company = self._find(row)
            if row.company is None:
                if not row.values.get("name"):
                    row.errors.append(_("no company has this SIRET, and the name is missing to create it"))
                    row.status = "error"
                else:
                    row.status = "create"
                continue
            row.changed = [k for k, v in row.values.items() if getattr(row.company, k) != v]
            row.status = "update" if row.changed else "unchanged"

    def run(self, rows: list[CompanyRow], progress: Callable | None = None) -> tuple[Counts, list[CompanyRow]]:
        counts = Counts()
        for index, row in enumerate(rows, start=1):
            if row.ok:
                try:
                    with transaction.atomic():
                        self.plan([row])
                        self._write(row)
                except DatabaseError as exc:
                    row.errors = [_("the database refused this row: %(error)s") % {"error": str(exc)[:200]}]
                    row.status = "error"
            counts.add([row])
            if progress is not None and (index % 100 == 0 or index == len(rows)):
                progress(index, counts, rows[max(0, index - 100):index])
        return counts, rows

    def _write(self, row: CompanyRow) -> None:
        if row.status == "create":
            company = Company(**row.values)
            company.slug = _unique_slug(row.values["name"])
            company.save()
            record(self.actor, "company.imported", company, job=self.job_id)
        elif row.status == "update" and row.company is not None:
            for name in row.changed:
                setattr(row.company, name, row.values[name])
            row.company.save(update_fields=[*row.changed, "updated_at"])
            record(self.actor, "company.import_updated", row.company, job=self.job_id, fields=sorted(row.changed))


def _unique_slug(name: str) -> str:
    base = (slugify(name) or "company")[:170]
    slug, n = base, 2
    while Company.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug
