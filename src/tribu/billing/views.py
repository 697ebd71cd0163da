"""Billing pages (thin adapters around actions, queries and policies).

- ``billing:document`` — a document's PDF: its member, the company's contacts and the team (404 for others);
- ``billing:manage`` — the team's renewals page: due, overdue (grace), lapsed, with one-click reminders;
- ``billing:manage_documents`` — every document issued, filtered by kind, year and text;
- ``billing:export`` — the accounting export (CSV) over a date range;
- ``billing:organisation`` — the organisation's legal details and the reminder schedule;
- ``billing:remind`` — POST: send a renewal reminder now (at most one a day per membership).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tribu.core.decorators import allowed_if
from tribu.memberships.models import Membership

from . import actions, exports, pdf, policies, queries
from .forms import ExportForm, OrganisationForm, RenewalFilterForm
from .models import Document, DocumentKind


def document(request: HttpRequest, document_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    doc = Document.objects.select_related("original").filter(pk=document_id).first()
    if doc is None or not policies.can_view_document(request.user, doc):
        raise Http404
    response = HttpResponse(pdf.render(doc), content_type="application/pdf")
    disposition = "inline" if request.GET.get("inline") else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{doc.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def company_renew(request: HttpRequest) -> HttpResponse:
    """A company contact renews the company's membership for every seat: an invoice to pay by transfer."""
    from tribu.memberships.access import seat_holders

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    company_id = queries.contact_company_id(request.user)
    if company_id is None:
        raise Http404
    company = request.user.company_attachment.company
    if not policies.can_renew_company(request.user, company):
        raise Http404
    if request.method == "POST":
        try:
            doc = actions.request_company_renewal(request.user, company)
        except ValidationError as error:
            return render(request, "billing/company_renew.html", {
                "company": company, "membership": actions.company_renewal_target(company),
                "errors": error.messages}, status=409)
        messages.success(request, _("Your invoice %(number)s is on its way by email. Pay it by bank transfer "
                                    "quoting the reference %(reference)s.") % {
            "number": doc.number, "reference": doc.payment_reference})
        return redirect("billing:company_renew")
    membership = actions.company_renewal_target(company)
    covered = []
    if membership is not None and membership.tier.seats:
        covered = seat_holders([company.pk], {company.pk: membership.tier.seats}).get(company.pk, [])
    return render(request, "billing/company_renew.html", {
        "company": company, "membership": membership, "covered": len(covered),
        "pending": queries.pending_company_invoices(company), "bank": actions.seller_snapshot(),
    })


@allowed_if(policies.can_manage_billing)
def manage(request: HttpRequest) -> HttpResponse:
    form = RenewalFilterForm(request.GET or None)
    filters = form.filters()
    rows = queries.renewals(filters)
    page = queries.page_of(rows, request.GET.get("page"))
    queries.attach_last_reminders(page.object_list)
    return render(request, "billing/manage.html", {
        "form": form, "page": page, "filters": filters, "counts": queries.renewal_counts(filters.days),
        "query": filters.as_query(),
    })


@require_POST
@allowed_if(policies.can_manage_billing)
def remind(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(Membership, pk=membership_id)
    try:
        actions.send_manual_reminder(request.user, membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return render(request, "billing/refused.html", {"errors": error.messages}, status=409)
    messages.success(request, _("The reminder is on its way."))
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/billing/manage/") else "billing:manage")


@allowed_if(policies.can_manage_billing)
def manage_documents(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    kind = kind if kind in DocumentKind.values else ""
    q = " ".join(request.GET.get("q", "").split())[:100]
    page = queries.page_of(queries.documents(kind=kind, q=q), request.GET.get("page"))
    return render(request, "billing/documents.html", {
        "page": page, "kind": kind, "q": q, "kinds": DocumentKind.choices,
        "query": queries.urlencode_params(kind=kind, q=q),
    })


@allowed_if(policies.can_export_accounting)
def export(request: HttpRequest) -> HttpResponse:
    form = ExportForm(request.GET or None)
    if request.GET and form.is_valid():
        data = form.cleaned_data
        return exports.csv_response(data["start"], data["end"], data["language"], data["dialect"])
    return render(request, "billing/export.html", {"form": form}, status=400 if form.errors else 200)


@allowed_if(policies.can_manage_billing)
def organisation(request: HttpRequest) -> HttpResponse:
    from .models import Organisation

    org = Organisation.get()
    form = OrganisationForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        org.refresh_from_db()
        try:
            actions.update_organisation(request.user, form.values())
        except ValidationError as error:
            for field, errs in error.message_dict.items() if hasattr(error, "error_dict") else [(None, error.messages)]:
                for message in errs:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("The legal details were saved."))
            return redirect("billing:organisation")
    return render(request, "billing/organisation.html", {"form": form},
                  status=400 if form.is_bound and form.errors else 200)
