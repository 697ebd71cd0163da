"""API v1: payments, with the pages' permissions and validation.

- ``GET /me/payments`` — your payments, newest first (paginated);
- ``POST /me/payments/checkout`` — ``{tier_id, recurring}``: a Stripe Checkout Session for your dues;
  answers its ``checkout_url`` (503 when Stripe cannot be reached: retry, it is not charged twice);
- ``POST /me/payments/offline`` — ``{tier_id, method: transfer|cheque}``: instructions and reference;
- ``GET /payments?q=&status=&method=&purpose=&since=&until=&page=&page_size=`` — the team;
- ``POST /payments/{id}/record`` — the team records a pending offline payment (409 when already recorded);
- ``POST /payments`` — the team records a payment nobody announced: a member's (``user_id``) or a
  company's dues for every seat (``company_id``, a company tier; 409 when it is already recorded).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from tribu.accounts.models import User
from tribu.api.errors import ApiError
from tribu.api.pagination import _page_url, max_page_size
from tribu.api.schemas import ErrorOut
from tribu.memberships.models import Tier
from tribu.memberships.money import format_money

from . import actions, gateway, policies, queries
from .models import Payment, PaymentStatus

router = Router(tags=["payments"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class PaymentOut(Schema):
    id: int
    reference: str
    purpose: str
    user_id: int | None
    company_id: int | None
    tier_id: int | None
    membership_id: int | None
    amount_cents: int
    refunded_cents: int
    currency: str
    amount: str = Field(description="The amount written for the reader's language (« 60,00 € », €60.00).")
    method: str
    status: str
    recurring: bool
    period_start: date | None
    period_end: date | None
    paid_at: datetime | None
    created_at: datetime
    checkout_url: str | None = Field(description="A card payment in progress: where to finish it.")
    url: str


def _out(p: Payment) -> dict[str, Any]:
    return {
        "id": p.pk, "reference": p.reference, "purpose": p.purpose, "user_id": p.user_id,
        "company_id": p.company_id, "tier_id": p.tier_id, "membership_id": p.membership_id,
        "amount_cents": p.amount_cents, "refunded_cents": p.refunded_cents, "currency": p.currency,
        "amount": format_money(p.amount_cents, p.currency), "method": p.method, "status": p.status,
        "recurring": p.recurring, "period_start": p.period_start, "period_end": p.period_end, "paid_at": p.paid_at,
        "created_at": p.created_at,
        "checkout_url": p.checkout_url if p.status == PaymentStatus.PENDING and p.checkout_url else None,
        "url": reverse("payments:detail", args=[p.reference]),
    }


class PaymentPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[PaymentOut]


def _paginate(request: HttpRequest, rows: Any, page: int, page_size: int | None) -> dict[str, Any]:
    size = min(page_size or max_page_size(), max_page_size())
    count = rows.count()
    last = max(1, -(-count // size))
    if page > last:
        raise ApiError(404, "invalid_page", _("This page does not exist."))
    start = (page - 1) * size
    return {
        "count": count,
        "next": _page_url(request, page + 1, size) if page < last else None,
        "previous": _page_url(request, page - 1, size) if page > 1 else None,
        "results": [_out(p) for p in rows[start:start + size]],
    }


class PageIn(Schema):
    page: int = Field(1, ge=1)
    page_size: int | None = Field(None, ge=1)


@router.get("/me/payments", response={200: PaymentPage, **ERRORS}, summary="Your payments")
def my_payments(request: HttpRequest, paging: Query[PageIn]) -> dict[str, Any]:
    if not policies.can_view_own_payments(request.user):
        raise ApiError(403)
    return _paginate(request, queries.my_payments(request.user), paging.page, paging.page_size)


class CheckoutIn(Schema):
    tier_id: int
    recurring: bool = Field(False, description="A subscription renewing automatically (monthly or yearly tiers).")


def _payable_tier(request: HttpRequest, tier_id: int) -> Tier:
    from tribu.memberships.actions import current_membership

    tier = get_object_or_404(Tier, pk=tier_id, active=True)
    if not policies.can_pay_for_tier(request.user, tier, current_membership(user=request.user)):
        raise ApiError(403)
    return tier


@router.post("/me/payments/checkout", response={201: PaymentOut, 422: ErrorOut, 503: ErrorOut, **ERRORS},
             summary="Start a card payment (Stripe Checkout)")
def checkout(request: HttpRequest, payload: CheckoutIn) -> Status[dict[str, Any]]:
    tier = _payable_tier(request, payload.tier_id)
    mine = request.build_absolute_uri(reverse("payments:mine"))
    try:
        payment = actions.start_checkout(request.user, tier, recurring=payload.recurring,
                                         success_url=f"{mine}?session={{CHECKOUT_SESSION_ID}}",
                                         cancel_url=f"{mine}?cancelled=1")
    except gateway.StripeUnavailable:
        raise ApiError(503, "stripe_unavailable", _("The payment service cannot be reached right now. Nothing was "
                                                    "charged: try again in a few minutes.")) from None
    return Status(201, _out(payment))


class OfflineIn(Schema):
    tier_id: int
    method: str = Field(..., description="transfer or cheque")


@router.post("/me/payments/offline", response={201: PaymentOut, 422: ErrorOut, **ERRORS},
             summary="Pay by bank transfer or cheque")
def offline(request: HttpRequest, payload: OfflineIn) -> Status[dict[str, Any]]:
    tier = _payable_tier(request, payload.tier_id)
    return Status(201, _out(actions.start_offline(request.user, tier, method=payload.method)))


class PaymentFilters(PageIn):
    q: str = Field("", max_length=100)
    status: str = ""
    method: str = ""
    purpose: str = ""
    since: date | None = None
    until: date | None = None


def _staff(request: HttpRequest) -> None:
    if not policies.can_manage_payments(request.user):
        raise ApiError(403)


@router.get("/payments", response={200: PaymentPage, **ERRORS}, summary="Payments (the team)")
def list_payments(request: HttpRequest, filters: Query[PaymentFilters]) -> dict[str, Any]:
    _staff(request)
    rows = queries.payments(queries.parse_filters(request.GET))
    return _paginate(request, rows, filters.page, filters.page_size)


class RecordIn(Schema):
    method: str = Field(..., description="transfer, cheque, cash or other")
    amount_cents: int | None = Field(None, ge=1, le=1_000_000_000, description="Empty: the amount expected.")
    paid_on: date | None = None
    external_reference: str = Field("", max_length=100)
    note: str = Field("", max_length=2000)


@router.post("/payments/{payment_id}/record", response={200: PaymentOut, 409: ErrorOut, 422: ErrorOut, **ERRORS},
             summary="Record a pending offline payment")
def record(request: HttpRequest, payment_id: int, payload: RecordIn) -> dict[str, Any]:
    _staff(request)
    payment = get_object_or_404(Payment, pk=payment_id)
    if payment.status != PaymentStatus.PENDING:
        raise ApiError(409, "already_recorded", _("This payment is already recorded (%(status)s).")
                       % {"status": payment.get_status_display()})
    from django.core.exceptions import ValidationError

    try:
        done = actions.record_offline(request.user, payment, method=payload.method, amount_cents=payload.amount_cents,
                                      paid_on=payload.paid_on, external_reference=payload.external_reference,
                                      note=payload.note)
    except ValidationError as exc:
        payment.refresh_from_db()
        if payment.status != PaymentStatus.PENDING:
            raise ApiError(409, "already_recorded", " ".join(exc.messages)) from None
        raise
    return _out(done)


class NewPaymentIn(RecordIn):
    user_id: int | None = Field(None, description="The member who paid; or company_id.")
    company_id: int | None = Field(None, description="The company whose dues (every seat) were paid; or user_id.")
    purpose: str = Field("membership", description="membership or donation")
    tier_id: int | None = None
    amount_cents: int | None = Field(None, ge=1, le=1_000_000_000, description="Empty: the tier's price.")
    currency: str = Field("EUR", max_length=3)


@router.post("/payments", response={201: PaymentOut, 409: ErrorOut, 422: ErrorOut, **ERRORS},
             summary="Record a payment")
def create(request: HttpRequest, payload: NewPaymentIn) -> Status[dict[str, Any]]:
    from tribu.companies.models import Company

    _staff(request)
    user = get_object_or_404(User, pk=payload.user_id) if payload.user_id is not None else None
    company = get_object_or_404(Company, pk=payload.company_id) if payload.company_id is not None else None
    tier = get_object_or_404(Tier, pk=payload.tier_id) if payload.tier_id else None
    try:
        payment = actions.record_payment(request.user, user=user, company=company, purpose=payload.purpose,
                                         method=payload.method, amount_cents=payload.amount_cents, tier=tier,
                                         currency=payload.currency, external_reference=payload.external_reference,
                                         note=payload.note, paid_on=payload.paid_on)
    except actions.AlreadyRecorded as exc:
        raise ApiError(409, "already_recorded", " ".join(exc.messages)) from None
    return Status(201, _out(payment))
