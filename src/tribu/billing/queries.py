"""Read side of billing: the renewals lists (due, overdue, lapsed), documents, a member's payment
history. Each returns what a page needs with its joins, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from tribu.memberships.models import CURRENT_STATUSES, Membership, MembershipStatus

from .models import Document, RenewalReminder

PAGE_SIZE = 50
LAPSED_WINDOW_DAYS = 90
STATUSES = ("due", "overdue", "lapsed")


@dataclass
class RenewalFilters:
    status: str = ""  # "", due, overdue, lapsed
    days: int = 30
    tier_id: int | None = None
    holder: str = ""  # "", member, company
    q: str = ""

    def as_query(self) -> str:
        params = [(k, v) for k, v in (("status", self.status), ("days", str(self.days) if self.days != 30 else ""),
                                      ("tier", str(self.tier_id or "")), ("holder", self.holder), ("q", self.q)) if v]
        return urlencode(params)


def _newer_current() -> tuple[Q, dict[str, Any]]:
    newer_user = Membership.objects.filter(user_id=OuterRef("user_id"), status__in=CURRENT_STATUSES)
    newer_company = Membership.objects.filter(company_id=OuterRef("company_id"), status__in=CURRENT_STATUSES)
    return Q(user__isnull=False, has_newer_user=True) | Q(company__isnull=False, has_newer_company=True), {
        "has_newer_user": Exists(newer_user), "has_newer_company": Exists(newer_company)}


def _state_q(today: date, days: int) -> dict[str, Q]:
    return {
        "due": Q(status=MembershipStatus.ACTIVE, is_trial=False, ends_on__gte=today,
                 ends_on__lte=today + timedelta(days=days)),
        "overdue": Q(status=MembershipStatus.GRACE),
        "lapsed": Q(status=MembershipStatus.EXPIRED, is_trial=False,
                    ends_on__gte=today - timedelta(days=LAPSED_WINDOW_DAYS)),
    }


def renewals(filters: RenewalFilters, today: date | None = None) -> QuerySet[Membership]:
    """Memberships to renew: due within ``days``, overdue (in grace), lapsed (expired in the last 90 days,
    holder without a newer membership)."""
    today = today or timezone.localdate()
    states = _state_q(today, filters.days)
    chosen = [states[filters.status]] if filters.status in states else list(states.values())
    condition = chosen[0]
    for extra in chosen[1:]:
        condition |= extra
    newer, annotations = _newer_current()
    rows = (
        Membership.objects.filter(condition).annotate(**annotations)
        .exclude(Q(status=MembershipStatus.EXPIRED) & newer)
        .select_related("tier", "user", "company")
    )
    if filters.tier_id:
        rows = rows.filter(tier_id=filters.tier_id)
    if filters.holder == "member":
        rows = rows.filter(user__isnull=False)
    elif filters.holder == "company":
        rows = rows.filter(company__isnull=False)
    if filters.q:
        rows = rows.filter(Q(user__email__icontains=filters.q) | Q(user__display_name__icontains=filters.q)
                           | Q(company__name__icontains=filters.q))
    return rows.order_by("ends_on", "pk")


def renewal_counts(days: int, today: date | None = None) -> dict[str, int]:
    """How many are due, overdue and lapsed: one query."""
    today = today or timezone.localdate()
    states = _state_q(today, days)
    newer, annotations = _newer_current()
    any_state = states["due"] | states["overdue"] | states["lapsed"]  # narrows the scan to the index on status
    rows = Membership.objects.filter(any_state).annotate(**annotations).exclude(
        Q(status=MembershipStatus.EXPIRED) & newer)
    return rows.aggregate(**{name: Count("pk", filter=q) for name, q in states.items()})


def state_of(membership: Membership) -> str:
    if membership.status == MembershipStatus.GRACE:
        return "overdue"
    if membership.status == MembershipStatus.EXPIRED:
        return "lapsed"
    return "due"


def attach_last_reminders(memberships: Any) -> None:
    """Set ``last_reminder`` on each membership of the page (one query)."""
    rows = list(memberships)
    ids = [m.pk for m in rows]
    last: dict[int, RenewalReminder] = {}
    for reminder in RenewalReminder.objects.filter(membership_id__in=ids).order_by("membership_id", "-sent_at", "-pk"):
        last.setdefault(reminder.membership_id, reminder)
    for m in rows:
        m.last_reminder = last.get(m.pk)
        m.renewal_state = state_of(m)


def page_of(rows: QuerySet, number: Any, size: int = PAGE_SIZE) -> Page:
    return Paginator(rows, size).get_page(number)


def urlencode_params(**params: str) -> str:
    return urlencode([(k, v) for k, v in params.items() if v])


def documents(*, kind: str = "", q: str = "", start: date | None = None, end: date | None = None) -> QuerySet[Document]:
    rows = Document.objects.select_related("user", "company", "original").order_by("-issued_at", "-pk")
    if kind:
        rows = rows.filter(kind=kind)
    if q:
        rows = rows.filter(Q(number__icontains=q) | Q(payment_reference__icontains=q) | Q(user__email__icontains=q)
                           | Q(user__display_name__icontains=q) | Q(company__name__icontains=q))
    if start:
        rows = rows.filter(issued_at__date__gte=start)
    if end:
        rows = rows.filter(issued_at__date__lte=end)
    return rows


def contact_company_id(user: Any) -> int | None:
    from .policies import _contact_company_id

    return _contact_company_id(user)


def my_documents(user: Any) -> QuerySet[Document]:
    """The member's documents and, for a company contact, the company's."""
    condition = Q(user_id=user.pk)
    company_id = contact_company_id(user)
    if company_id:
        condition |= Q(company_id=company_id)
    return Document.objects.filter(condition).select_related("original").order_by("-issued_at", "-pk")


def payment_history(user: Any, limit: int = 50) -> list[Any]:
    """The member's payments (and their company's when they are a contact), newest first, each with
    its documents: two queries."""
    from tribu.payments.models import Payment

    condition = Q(user_id=user.pk)
    company_id = contact_company_id(user)
    if company_id:
        condition |= Q(company_id=company_id)
    return list(
        Payment.objects.filter(condition).select_related("tier", "company")
        .prefetch_related(Prefetch("documents", queryset=Document.objects.order_by("issued_at", "pk")))
        .order_by("-created_at", "-pk")[:limit]
    )


def pending_company_invoices(company: Any) -> list[Document]:
    """Invoices of the company's dues still awaiting payment (one query)."""
    return list(Document.objects.filter(company=company, kind="invoice", payment__status="pending")
                .select_related("payment").order_by("-issued_at"))
