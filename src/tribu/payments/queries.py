"""Read side of payments: the member's payments, the team's filtered list, totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from .models import OFFLINE_METHODS, Payment, PaymentMethod, PaymentPurpose, PaymentStatus

PAGE_SIZE = 50


def my_payments(user: Any) -> QuerySet[Payment]:
    return Payment.objects.filter(user=user).select_related("tier").order_by("-created_at", "-id")


def with_documents(rows: QuerySet[Payment]) -> QuerySet[Payment]:
    """Each payment with its receipts and credit notes (billing's documents), in one more query."""
    from django.db.models import Prefetch

    from tribu.billing.models import Document

    return rows.prefetch_related(Prefetch("documents", queryset=Document.objects.order_by("issued_at", "pk")))


def pending_offline(user: Any) -> list[Payment]:
    """Transfers and cheques the member announced and the team has not recorded yet."""
    return list(my_payments(user).filter(status=PaymentStatus.PENDING, method__in=OFFLINE_METHODS))


def company_payments(company: Any) -> QuerySet[Payment]:
    """What the company paid or owes (its dues), newest first, for its contacts' membership page."""
    return Payment.objects.filter(company=company, user__isnull=True).select_related("tier").order_by(
        "-created_at", "-id")


def pending_company_offline(company: Any) -> list[Payment]:
    """The company's transfers and cheques announced and not recorded yet (usually one)."""
    return list(company_payments(company).filter(status=PaymentStatus.PENDING, method__in=OFFLINE_METHODS))


def company_card_state(company: Any) -> tuple[bool, bool]:
    """(the company's membership renews by a card subscription, it has a Stripe customer), one query."""
    from django.db.models import Count

    card = Payment.objects.filter(company=company, user__isnull=True).exclude(stripe_customer="")
    counts = card.aggregate(customer=Count("pk"), subscribed=Count("pk", filter=Q(
        recurring=True, status=PaymentStatus.SUCCEEDED) & ~Q(stripe_subscription="")))
    return bool(counts["subscribed"]), bool(counts["customer"])


def has_subscription(user: Any) -> bool:
    return Payment.objects.filter(user=user, recurring=True, status=PaymentStatus.SUCCEEDED).exclude(
        stripe_subscription="").exists()


def has_stripe_customer(user: Any) -> bool:
    return Payment.objects.filter(user=user).exclude(stripe_customer="").exists()


@dataclass
class Filters:
    q: str = ""
    status: str = ""
    method: str = ""
    purpose: str = ""
    since: date | None = None
    until: date | None = None
    errors: list[str] = field(default_factory=list)

    def as_params(self) -> dict[str, str]:
        out = {"q": self.q, "status": self.status, "method": self.method, "purpose": self.purpose,
               "since": self.since.isoformat() if self.since else "",
               "until": self.until.isoformat() if self.until else ""}
        return {k: v for k, v in out.items() if v}


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def parse_filters(data: Any) -> Filters:
    """Unknown values are ignored (the list shows everything), never an error page."""
    status = data.get("status", "")
    method = data.get("method", "")
    purpose = data.get("purpose", "")
    return Filters(
        q=(data.get("q") or "").strip()[:100],
        status=status if status in PaymentStatus.values else "",
        method=method if method in PaymentMethod.values else "",
        purpose=purpose if purpose in PaymentPurpose.values else "",
        since=_date(data.get("since", "")),
        until=_date(data.get("until", "")),
    )


def payments(filters: Filters) -> QuerySet[Payment]:
    rows = with_documents(Payment.objects.select_related("user", "company", "tier", "recorded_by")
                          .order_by("-created_at", "-id"))
    if filters.q:
        q = filters.q
        rows = rows.filter(Q(reference__icontains=q) | Q(user__email__icontains=q)
                           | Q(user__display_name__icontains=q) | Q(company__name__icontains=q)
                           | Q(external_reference__icontains=q))
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.method:
        rows = rows.filter(method=filters.method)
    if filters.purpose:
        rows = rows.filter(purpose=filters.purpose)
    if filters.since:
        rows = rows.filter(created_at__date__gte=filters.since)
    if filters.until:
        rows = rows.filter(created_at__date__lte=filters.until)
    return rows


def page_of(rows: QuerySet, number: Any, size: int = PAGE_SIZE) -> Page:
    return Paginator(rows, size).get_page(number)


def pending_count() -> int:
    return Payment.objects.filter(status=PaymentStatus.PENDING, method__in=OFFLINE_METHODS).count()


@dataclass
class BankDetails:
    payee: str
    iban: str
    bic: str
    bank_name: str
    cheque_address: str
    cheques_accepted: bool

    @property
    def transfer_ready(self) -> bool:
        return bool(self.payee and self.iban)

    @property
    def cheque_ready(self) -> bool:
        return bool(self.cheques_accepted and self.payee and self.cheque_address)


def bank_details() -> BankDetails:
    """What transfer and cheque instructions print: the organisation's legal details (billing app)
    and the payment settings."""
    from tribu.billing.models import Organisation

    from .models import PaymentSettings

    org = Organisation.get()
    conf = PaymentSettings.load()
    return BankDetails(payee=org.legal_name, iban=org.iban, bic=org.bic, bank_name=conf.bank_name,
                       cheque_address=org.address, cheques_accepted=conf.cheques_accepted)
