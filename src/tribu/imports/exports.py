"""Exports of the member list (filtered, chosen columns) and of the companies, as CSV or XLSX.

Rows are read in chunks of ``CHUNK`` members by primary key, each chunk with a fixed number of
queries (members with profile and company, tags, memberships, custom values), so an export of any
size runs a bounded number of queries per chunk and never holds the whole list in memory (CSV is
streamed). Column headers are the import's field names, so an exported file imports back as is.

CSV choice (Excel-friendly): UTF-8 with a BOM (Excel then reads accents right) and `;` as the
separator when the page is in French (Excel in a French locale splits on `;`), `,` in English; the
form lets the admin pick the other one. Cells that a spreadsheet would run as a formula
(starting with ``= + - @``) are prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tribu.accounts.models import CustomField, CustomFieldValue, Role, Tag, User
from tribu.companies.models import Company
from tribu.memberships.models import CURRENT_STATUSES, Membership, MembershipStatus

from .fields import COMPANY_TARGETS, MEMBER_TARGETS

CHUNK = 500
BOM = "\ufeff"
MEMBER_COLUMNS: list[tuple[str, Any]] = [
    *[(t.key, t.label) for t in MEMBER_TARGETS if t.key not in {"tier", "starts_on", "ends_on", "company"}],
    ("tier", gettext_lazy("Membership tier (slug or name)")),
    ("status", gettext_lazy("Membership status")),
    ("starts_on", gettext_lazy("Membership start date")),
    ("ends_on", gettext_lazy("Membership end date")),
    ("company", gettext_lazy("Company (name or SIRET)")),
    ("date_joined", gettext_lazy("Joined on")),
]
DEFAULT_MEMBER_COLUMNS = ["email", "first_name", "last_name", "display_name", "role", "tier", "status", "ends_on",
                          "company"]
COMPANY_COLUMNS: list[tuple[str, Any]] = [
    *[(t.key, t.label) for t in COMPANY_TARGETS],
    ("members", gettext_lazy("Attached members")),
    ("tier", gettext_lazy("Membership tier (slug or name)")),
    ("status", gettext_lazy("Membership status")),
    ("ends_on", gettext_lazy("Membership end date")),
]


def safe_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas; leave numbers and dates alone."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(value.replace(",", "."))
            return value
        except ValueError:
            return "'" + value
    return value


def member_columns(custom_fields: list[CustomField]) -> list[tuple[str, str]]:
    return [(k, str(label)) for k, label in MEMBER_COLUMNS] + [(f"cf:{f.key}", f.label) for f in custom_fields]


def filtered_members(
    *, role: str = "", tier: str = "", status: str = "", company: int | None = None, search: str = ""
) -> QuerySet[User]:
    """The members an export covers (active accounts only), filters combined with AND."""
    qs = User.objects.filter(is_active=True)
    if role in Role.values:
        qs = qs.filter(role=role)
    if tier:
        qs = qs.filter(memberships__tier__slug=tier, memberships__status__in=CURRENT_STATUSES)
    if status == "none":
        qs = qs.exclude(memberships__status__in=CURRENT_STATUSES)
    elif status in MembershipStatus.values:
        qs = qs.filter(memberships__status=status)
    if company:
        qs = qs.filter(company_attachment__company_id=company)
    if search:
        qs = qs.filter(
            Q(email__icontains=search) | Q(display_name__icontains=search) | Q(first_name__icontains=search)
            | Q(last_name__icontains=search) | Q(profile__organisation__icontains=search)
            | Q(profile__city__icontains=search)
        )
    if tier or status or search:
        qs = qs.distinct()
    return qs


def _chunks(qs: QuerySet[User], custom_ids: list[int]) -> Iterator[list[User]]:
    """Members by ascending id, ``CHUNK`` at a time, with everything a row needs prefetched."""
    ids_qs = qs.order_by("pk").values_list("pk", flat=True)
    last = 0
    while True:
        ids = list(ids_qs.filter(pk__gt=last)[:CHUNK])
        if not ids:
            return
        last = ids[-1]
        prefetches: list[Any] = [
            Prefetch("profile__skills", queryset=Tag.objects.order_by("name")),
            Prefetch("profile__interests", queryset=Tag.objects.order_by("name")),
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("tier").order_by("-starts_on", "-id"),
            ),
        ]
        if custom_ids:
            prefetches.append(Prefetch(
                "custom_values", queryset=CustomFieldValue.objects.filter(field_id__in=custom_ids),
                to_attr="export_values",
            ))
        yield list(
            User.objects.filter(pk__in=ids).order_by("pk")
            .select_related("profile", "company_attachment__company").prefetch_related(*prefetches)
        )


def _custom_text(field: CustomField, value: Any) -> Any:
    if value is None:
        return ""
    if field.kind in {"single_choice", "multiple_choice"}:
        labels = {str(c.get("value")): c for c in field.choices or []}

        def label(v: Any) -> str:
            from tribu.core.i18n_fields import localized

            choice = labels.get(str(v))
            return (localized(_Choice(choice), "label") or str(v)) if choice else str(v)

        return label(value) if field.kind == "single_choice" else ", ".join(label(v) for v in value or [])
    if field.kind == "boolean":
        return _("yes") if value else _("no")
    return value


class _Choice:
    def __init__(self, data: dict[str, Any]):
        self.label_fr = data.get("label_fr", "")
        self.label_en = data.get("label_en", "")


def _membership(user: User) -> Membership | None:
    memberships = list(user.memberships.all())
    return next((m for m in memberships if m.status in CURRENT_STATUSES), memberships[0] if memberships else None)


def member_row(user: User, columns: list[str], custom: dict[str, CustomField]) -> list[Any]:
    profile = getattr(user, "profile", None)
    attachment = getattr(user, "company_attachment", None)
    membership = _membership(user)
    values = {v.field_id: v.value for v in getattr(user, "export_values", [])}
    row: list[Any] = []
    for col in columns:
        if col in {"email", "first_name", "last_name", "display_name", "language"}:
            value: Any = getattr(user, col)
        elif col == "role":
            value = user.role
        elif col in {"job_title", "organisation", "city", "region", "country", "website", "bio"}:
            value = getattr(profile, col) if profile else ""
        elif col in {"skills", "interests"}:
            value = ", ".join(t.name for t in getattr(profile, col).all()) if profile else ""
        elif col == "tier":
            value = membership.tier.name if membership else ""
        elif col == "status":
            value = membership.get_status_display() if membership else ""
        elif col in {"starts_on", "ends_on"}:
            day = getattr(membership, col) if membership else None
            value = day.isoformat() if day else ""
        elif col == "company":
            value = attachment.company.name if attachment else ""
        elif col == "date_joined":
            value = date_format(user.date_joined, "Y-m-d")
        elif col.startswith("cf:") and col[3:] in custom:
            field = custom[col[3:]]
            value = _custom_text(field, values.get(field.pk))
        else:
            value = ""
        row.append(safe_cell(str(value) if not isinstance(value, int | float) else value))
    return row


def member_rows(qs: QuerySet[User], columns: list[str]) -> Iterator[list[Any]]:
    custom = {f.key: f for f in CustomField.objects.filter(key__in=[c[3:] for c in columns if c.startswith("cf:")])}
    custom_ids = [f.pk for f in custom.values()]
    for chunk in _chunks(qs, custom_ids):
        for user in chunk:
            yield member_row(user, columns, custom)


def _memberships() -> QuerySet[Membership]:
    return Membership.objects.select_related("tier").order_by("-starts_on", "-id")


def company_queryset(search: str = "") -> QuerySet[Company]:
    qs = Company.objects.annotate(member_count=Count("attachments")).order_by("pk")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(siret__icontains=search) | Q(city__icontains=search))
    return qs


def company_rows(qs: QuerySet[Company], columns: list[str]) -> Iterator[list[Any]]:
    last = 0
    while True:
        chunk = list(
            qs.filter(pk__gt=last).prefetch_related(
                Prefetch("memberships", queryset=_memberships())
            )[:CHUNK]
        )
        if not chunk:
            return
        last = chunk[-1].pk
        for company in chunk:
            memberships = list(company.memberships.all())
            m = next((x for x in memberships if x.status in CURRENT_STATUSES), memberships[0] if memberships else None)
            row: list[Any] = []
            for col in columns:
                if col == "members":
                    value: Any = company.member_count
                elif col == "size":
                    value = company.size
                elif col == "tier":
                    value = m.tier.name if m else ""
                elif col == "status":
                    value = m.get_status_display() if m else ""
                elif col == "ends_on":
                    value = m.ends_on.isoformat() if m and m.ends_on else ""
                else:
                    value = getattr(company, col, "")
                row.append(safe_cell(value if isinstance(value, int) else str(value or "")))
            yield row


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(header: list[str], rows: Iterator[list[Any]], delimiter: str) -> Iterator[bytes]:
    writer = csv.writer(_Echo(), delimiter=delimiter)
    yield (BOM + writer.writerow(header)).encode("utf-8")
    buffer: list[str] = []
    for row in rows:
        buffer.append(writer.writerow(row))
        if len(buffer) >= 200:
            yield "".join(buffer).encode("utf-8")
            buffer = []
    if buffer:
        yield "".join(buffer).encode("utf-8")


def xlsx_bytes(header: list[str], rows: Iterator[list[Any]], title: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
