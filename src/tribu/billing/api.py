"""API v1 of billing (mounted at ``/api/v1/`` by ``tribu.api.main``).

- ``GET /billing/documents/mine?page=&page_size=`` — the caller's documents (and their company's for a
  company contact), each with its download address;
- ``GET /billing/documents/{id}/pdf`` — a document's PDF: its member, the company's contacts, the team;
  404 for anyone else;
- ``GET /billing/documents?kind=&q=&page=&page_size=`` — every document (the team);
- ``GET /billing/renewals?status=due|overdue|lapsed&days=30&tier=&holder=member|company&q=`` — memberships to
  renew with their last reminder (the team).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from tribu.api.errors import ApiError
from tribu.api.pagination import _page_url, max_page_size
from tribu.api.schemas import ErrorOut

from . import pdf, policies, queries
from .models import Document, DocumentKind

router = Router(tags=["billing"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class DocumentOut(Schema):
    id: int
    number: str
    kind: str = Field(description="invoice, receipt, credit_note or tax_receipt")
    issued_at: datetime
    total_cents: int
    currency: str
    payment_reference: str
    original_number: str | None = Field(description="For a credit note: the document it corrects.")
    buyer_name: str
    download_url: str


class DocumentPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[DocumentOut]


class RenewalOut(Schema):
    membership_id: int
    holder: str = Field(description="member or company")
    user_id: int | None
    company_id: int | None
    name: str
    email: str
    tier: str
    status: str = Field(description="The membership's status: active, grace or expired.")
    situation: str = Field(description="due, overdue or lapsed")
    ends_on: date | None
    price_cents: int
    currency: str
    last_reminder_at: datetime | None


class RenewalPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[RenewalOut]


class Paging(Schema):
    page: int = Field(1, ge=1)
    page_size: int | None = Field(None, ge=1, description="Items per page (capped by the server).")


class DocumentFilters(Paging):
    kind: str = Field("", pattern="^(|invoice|receipt|credit_note|tax_receipt)$")
    q: str = Field("", max_length=100)


class RenewalFilterIn(Paging):
    status: str = Field("", pattern="^(|due|overdue|lapsed)$")
    days: int = Field(30, ge=1, le=366, description="Due within this many days.")
    tier: int | None = None
    holder: str = Field("", pattern="^(|member|company)$")
    q: str = Field("", max_length=100)


def _slice(request: HttpRequest, rows: QuerySet, paging: Paging) -> tuple[dict[str, Any], list[Any]]:
    size = min(paging.page_size or max_page_size(), max_page_size())
    count = rows.count()
    last = max(1, -(-count // size))
    if paging.page > last:
        raise ApiError(404, "invalid_page")
    start = (paging.page - 1) * size
    meta = {
        "count": count,
        "next": _page_url(request, paging.page + 1, size) if paging.page < last else None,
        "previous": _page_url(request, paging.page - 1, size) if paging.page > 1 else None,
    }
    return meta, list(rows[start : start + size])


def _document_out(request: HttpRequest, d: Document) -> dict[str, Any]:
    return {
        "id": d.pk, "number": d.number, "kind": d.kind, "issued_at": d.issued_at, "total_cents": d.total_cents,
        "currency": d.currency, "payment_reference": d.payment_reference,
        "original_number": d.original.number if d.original_id else None,
        "buyer_name": (d.buyer or {}).get("name", ""),
        "download_url": request.build_absolute_uri(reverse("api_v1:billing_document_pdf", args=[d.pk])),
    }


@router.get("/billing/documents/mine", response={200: DocumentPage, **ERRORS}, summary="My documents")
def my_documents(request: HttpRequest, paging: Query[Paging]) -> dict[str, Any]:
    if not policies.can_view_own_billing(request.user):
        raise ApiError(403)
    meta, rows = _slice(request, queries.my_documents(request.user), paging)
    return {**meta, "results": [_document_out(request, d) for d in rows]}


@router.get("/billing/documents/{document_id}/pdf", response={200: None, **ERRORS}, url_name="billing_document_pdf",
            summary="Download a document (PDF)")
def document_pdf(request: HttpRequest, document_id: int) -> HttpResponse:
    doc = Document.objects.select_related("original").filter(pk=document_id).first()
    if doc is None or not policies.can_view_document(request.user, doc):
        raise ApiError(404)
    response = HttpResponse(pdf.render(doc), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{doc.filename}"'
    return response


@router.get("/billing/documents", response={200: DocumentPage, 422: ErrorOut, **ERRORS}, summary="All documents")
def all_documents(request: HttpRequest, filters: Query[DocumentFilters]) -> dict[str, Any]:
    if not policies.can_manage_billing(request.user):
        raise ApiError(403)
    kind = filters.kind if filters.kind in DocumentKind.values else ""
    meta, rows = _slice(request, queries.documents(kind=kind, q=" ".join(filters.q.split())), filters)
    return {**meta, "results": [_document_out(request, d) for d in rows]}


@router.get("/billing/renewals", response={200: RenewalPage, 422: ErrorOut, **ERRORS}, summary="Memberships to renew")
def renewals_due(request: HttpRequest, filters: Query[RenewalFilterIn]) -> dict[str, Any]:
    if not policies.can_manage_billing(request.user):
        raise ApiError(403)
    wanted = queries.RenewalFilters(status=filters.status, days=filters.days, tier_id=filters.tier,
                                    holder=filters.holder, q=" ".join(filters.q.split()))
    meta, rows = _slice(request, queries.renewals(wanted), filters)
    queries.attach_last_reminders(rows)
    return {**meta, "results": [{
        "membership_id": m.pk, "holder": "member" if m.user_id else "company", "user_id": m.user_id,
        "company_id": m.company_id, "name": m.user.name if m.user_id else m.company.name,
        "email": m.user.email if m.user_id else "", "tier": m.tier.name, "status": m.status,
        "situation": m.renewal_state, "ends_on": m.ends_on, "price_cents": m.tier.price_cents,
        "currency": m.tier.currency, "last_reminder_at": m.last_reminder.sent_at if m.last_reminder else None,
    } for m in rows]}
