"""Accounting export (CSV): one row per money movement over a date range, so the columns add up.

- a payment received (``paid_at`` in the range): gross = amount, fees = the processor's fee, net = gross − fees;
- a refund (a credit note issued in the range): gross = −amount, fees = 0, net = −amount.

Two fixed formats, documented in ``docs/billing.md``:

- ``fr``: separator ``;``, decimal comma without grouping (``1234,50``), dates ``31/12/2026``, UTF-8
  with a BOM (what French spreadsheet and accounting tools expect);
- ``en``: separator ``,``, decimal point (``1234.50``), ISO dates ``2026-12-31``, UTF-8.

The headers are in French or English independently of the number format.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tribu.memberships.money import ZERO_DECIMALS

from .models import Document, DocumentKind


class _Echo:
    def write(self, value: str) -> str:
        return value


def headers() -> list[str]:
    return [_("Date"), _("Type"), _("Payment reference"), _("Document"), _("Payer"), _("Description"),
            _("Method"), _("Gross"), _("Fees"), _("Net"), _("Currency")]


def decimal(cents: int, currency: str, dialect: str) -> str:
    negative = cents < 0
    units, rest = divmod(abs(int(cents)), 100)
    text = str(units) if currency in ZERO_DECIMALS else f"{units}{',' if dialect == 'fr' else '.'}{rest:02d}"
    return f"-{text}" if negative else text


def _day(value: datetime | None, dialect: str) -> str:
    if value is None:
        return ""
    day = timezone.localtime(value).date()
    return day.strftime("%d/%m/%Y") if dialect == "fr" else day.isoformat()


def _payer(payment: Any) -> str:
    if payment.company_id and payment.company is not None:
        return payment.company.name
    if payment.user_id and payment.user is not None:
        return f"{payment.user.name} <{payment.user.email}>"
    return ""


def labels() -> dict[str, Any]:
    """The words of the rows, in the active language (read once, before streaming)."""
    from tribu.payments.models import PaymentMethod, PaymentPurpose

    return {"payment": _("Payment"), "refund": _("Refund"),
            "methods": {k: str(v) for k, v in PaymentMethod.choices},
            "purposes": {k: str(v) for k, v in PaymentPurpose.choices}}


def _description(p: Any, words: dict[str, Any]) -> str:
    if p.description:
        return p.description
    if p.tier_id and p.tier is not None:
        return (p.tier.name_en or p.tier.name_fr) if words.get("lang") == "en" else p.tier.name_fr
    return words["purposes"].get(p.purpose, p.purpose)


def rows(start: date, end: date, dialect: str, words: dict[str, Any]) -> Iterator[list[str]]:
    """The data rows, oldest first: payments then refunds, streamed from the database."""
    from tribu.payments.models import Payment, PaymentStatus

    methods = words["methods"]
    paid = (
        Payment.objects.filter(
            status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED],
            paid_at__date__gte=start, paid_at__date__lte=end,
        ).select_related("user", "company", "tier").order_by("paid_at", "pk")
    )
    receipts = dict(
        Document.objects.filter(payment__in=paid.values("pk"), kind__in=[DocumentKind.RECEIPT,
                                                                         DocumentKind.TAX_RECEIPT])
        .values_list("payment_id", "number")
    )
    for p in paid.iterator(chunk_size=500):
        yield [
            _day(p.paid_at, dialect), words["payment"], p.reference, receipts.get(p.pk, ""), _payer(p),
            _description(p, words),
            str(methods.get(p.method, p.method)), decimal(p.amount_cents, p.currency, dialect),
            decimal(p.fee_cents, p.currency, dialect), decimal(p.amount_cents - p.fee_cents, p.currency, dialect),
            p.currency,
        ]
    refunds = (
        Document.objects.filter(kind=DocumentKind.CREDIT_NOTE, issued_at__date__gte=start, issued_at__date__lte=end)
        .select_related("payment", "payment__user", "payment__company", "payment__tier").order_by("issued_at", "pk")
    )
    for d in refunds.iterator(chunk_size=500):
        p = d.payment
        yield [
            _day(d.issued_at, dialect), words["refund"], p.reference, d.number, _payer(p),
            _description(p, words),
            str(methods.get(p.method, p.method)), decimal(-d.total_cents, d.currency, dialect),
            decimal(0, d.currency, dialect), decimal(-d.total_cents, d.currency, dialect), d.currency,
        ]


def stream(start: date, end: date, language: str, dialect: str) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=";" if dialect == "fr" else ",", lineterminator="\r\n")
    with translation.override(language):
        head, words = headers(), {**labels(), "lang": language}
    if dialect == "fr":
        yield "\ufeff"
    yield writer.writerow(head)
    for row in rows(start, end, dialect, words):
        yield writer.writerow(row)


def csv_response(start: date, end: date, language: str, dialect: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(stream(start, end, language, dialect), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="accounting-{start.isoformat()}-{end.isoformat()}.csv"'
    return response
