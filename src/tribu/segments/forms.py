"""The segment builder's form: rows of ``rule-<n>-field``, ``rule-<n>-op`` and ``rule-<n>-value``
(``rule-<n>-verb``/``-min``/``-days`` for activity counts) turned into a filters document, and back
into rows to render. Values are converted to the type their operator takes; what cannot be converted
is passed on as typed so ``filters.validate`` explains what is wrong with it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import filters as F

MAX_ROWS = F.MAX_RULES
ROW_RE = re.compile(r"^rule-(\d{1,3})-field$")


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), max_length=300, required=False,
        help_text=_("What the segment is for, for the rest of the team."),
    )
    match = forms.ChoiceField(
        label=_("Members must match"),
        choices=[("all", _("all the rules")), ("any", _("at least one rule"))],
        initial="all", widget=forms.RadioSelect,
    )


class DeleteForm(forms.Form):
    """Nothing to fill: the confirmation button."""


@dataclass
class Row:
    """One rule as the builder shows it."""

    index: int
    field_key: str = ""
    spec: F.FieldSpec | None = None
    op: F.Op | None = None
    value: Any = None
    error: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)

    @property
    def value_kind(self) -> str:
        return self.op.value if self.op else F.NONE

    @property
    def selected(self) -> set[str]:
        if isinstance(self.value, list):
            return {str(v) for v in self.value}
        return {str(self.value)} if self.value not in (None, "") else set()

    @property
    def activity(self) -> dict[str, Any]:
        value = self.value if isinstance(self.value, dict) else {}
        return {"verb": value.get("verb", ""), "min": value.get("min", 1), "days": value.get("days")}

    @property
    def incomplete(self) -> bool:
        """A field is chosen but not its value yet: left out of the live count, refused on save."""
        return self.spec is not None and self.value in (None, "", []) and self.value_kind != F.NONE

    @property
    def value_text(self) -> str:
        """The value in words, for the segment page."""
        kind = self.value_kind
        labels = dict(self.options)
        if kind == F.NONE:
            return ""
        if kind in (F.IDS, F.CHOICES, F.CHOICE):
            items = self.value if isinstance(self.value, list) else [self.value]
            return ", ".join(labels.get(str(v), str(v)) for v in items)
        if kind == F.BOOL:
            return str(_("Yes")) if self.value else str(_("No"))
        if kind == F.DAYS:
            return ngettext("%(n)d day", "%(n)d days", int(self.value or 0)) % {"n": int(self.value or 0)}
        if kind == F.DATE and isinstance(self.value, str):
            try:
                return date_format(dt.date.fromisoformat(self.value), "DATE_FORMAT")
            except ValueError:
                return self.value
        if kind == F.ACTIVITY:
            act = self.activity
            what = labels.get(act["verb"], act["verb"]) if act["verb"] else str(_("any act"))
            times = ngettext("%(n)d time", "%(n)d times", int(act["min"] or 0)) % {"n": int(act["min"] or 0)}
            if act["days"]:
                return str(_("%(act)s, %(times)s, within %(days)d days")) % {
                    "act": what, "times": times, "days": act["days"]
                }
            return str(_("%(act)s, %(times)s, ever")) % {"act": what, "times": times}
        if kind == F.NUMBER and isinstance(self.value, int | float):
            return number_format(self.value)
        return str(self.value)

    def as_rule(self) -> dict[str, Any] | None:
        if self.spec is None or self.op is None:
            return None
        return {"field": self.field_key, "op": self.op.key, "value": self.value}


def _to_int(raw: str) -> Any:
    raw = (raw or "").strip()
    if re.fullmatch(r"-?\d{1,12}", raw):
        return int(raw)
    return raw or None


def _to_number(raw: str) -> Any:
    raw = (raw or "").strip().replace(",", ".")
    try:
        number = float(raw)
    except ValueError:
        return raw or None
    return int(number) if number.is_integer() and abs(number) < 1e15 else number


def _value_from(data: QueryDict, prefix: str, kind: str) -> Any:
    if kind == F.NONE:
        return None
    if kind == F.IDS:
        return [_to_int(v) for v in data.getlist(f"{prefix}-value") if v != ""]
    if kind == F.CHOICES:
        return [v for v in data.getlist(f"{prefix}-value") if v != ""]
    if kind == F.DAYS:
        return _to_int(data.get(f"{prefix}-value", ""))
    if kind == F.NUMBER:
        return _to_number(data.get(f"{prefix}-value", ""))
    if kind == F.BOOL:
        return {"true": True, "false": False}.get(data.get(f"{prefix}-value", ""), data.get(f"{prefix}-value"))
    if kind == F.ACTIVITY:
        days = data.get(f"{prefix}-days", "").strip()
        return {
            "verb": data.get(f"{prefix}-verb", "").strip(),
            "min": _to_int(data.get(f"{prefix}-min", "")),
            "days": _to_int(days) if days else None,
        }
    return data.get(f"{prefix}-value", "")


def _options(spec: F.FieldSpec | None) -> list[tuple[str, str]]:
    if spec is None or spec.options is None:
        return []
    return [(str(v), str(label)) for v, label in spec.options()]


def rows_from_post(data: QueryDict) -> list[Row]:
    """The rows the builder posted, with "add a rule" and "remove" applied."""
    indexes = sorted({int(m[1]) for key in data for m in [ROW_RE.match(key)] if m})
    remove = data.get("remove_rule")
    rows: list[Row] = []
    specs: dict[str, F.FieldSpec | None] = {}
    for index in indexes[:MAX_ROWS]:
        if remove is not None and str(index) == remove:
            continue
        prefix = f"rule-{index}"
        key = data.get(f"{prefix}-field", "")
        if key not in specs:
            specs[key] = F.spec_for(key) if key else None
        spec = specs[key]
        row = Row(index=len(rows), field_key=key if spec else "", spec=spec)
        if spec is not None:
            op_key = data.get(f"{prefix}-op", "")
            row.op = spec.ops.get(op_key) or next(iter(spec.ops.values()))
            # a value typed for another operator is dropped rather than misread
            same_kind = (
                op_key in spec.ops
                and data.get(f"{prefix}-kind", row.op.value) == row.op.value
                and data.get(f"{prefix}-was", key) == key
            )
            row.value = _value_from(data, prefix, row.op.value) if same_kind else None
        rows.append(row)
    if "add_rule" in data and len(rows) < MAX_ROWS:
        rows.append(Row(index=len(rows)))
    return rows


def rows_from_filters(filters: dict[str, Any]) -> list[Row]:
    rows = []
    for index, rule in enumerate((filters or {}).get("rules") or []):
        spec = F.spec_for(rule.get("field"))
        row = Row(index=index, field_key=rule.get("field", "") if spec else "", spec=spec)
        if spec is not None:
            row.op = spec.ops.get(rule.get("op")) or next(iter(spec.ops.values()))
            row.value = rule.get("value")
        else:
            row.error = str(_("This rule uses a field that is no longer offered: it matches no one."))
        rows.append(row)
    return rows


def check_rows(rows: list[Row], *, show_incomplete: bool) -> list[dict[str, Any]]:
    """Per-row validation: each faulty row gets its message; returns the valid rules."""
    rules = []
    for row in rows:
        rule = row.as_rule()
        if rule is None:
            continue
        if row.incomplete and not show_incomplete:
            continue
        cleaned, problem = F.check_rule(rule)
        if problem:
            row.error = problem
        else:
            rules.append(cleaned)
    return rules


def fill_options(rows: list[Row]) -> list[Row]:
    cache: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        if row.spec is None:
            continue
        if row.spec.key not in cache:
            cache[row.spec.key] = _options(row.spec)
        row.options = list(cache[row.spec.key])
        verb = row.activity["verb"] if row.value_kind == F.ACTIVITY else ""
        if verb and verb not in {v for v, _label in row.options}:
            row.options.append((verb, verb))  # an act no app describes (yet): kept as it was saved
    return rows


def field_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The field select's options grouped by category."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for spec in F.available_fields():
        groups.setdefault(str(spec.category), []).append((spec.key, str(spec.label)))
    return list(groups.items())


def rows_to_filters(match: str, rows: list[Row]) -> dict[str, Any]:
    """Every row that names a field, as submitted (for ``validate``)."""
    return {
        "match": match if match in ("all", "any") else "all",
        "rules": [r for r in (row.as_rule() for row in rows) if r is not None],
    }
