"""Views (thin adapters around actions, queries and policies).

The payer: ``payments:mine`` (my payments, pending transfer/cheque instructions, "renew now"),
``payments:pay`` (how to pay a tier) → ``payments:card`` / ``payments:offline`` (POST),
``payments:detail`` (one payment and its instructions), ``payments:portal`` (Stripe's customer portal),
``payments:donate``. The team: ``payments:manage`` (list and filters), ``payments:record`` (a pending
payment arrived), ``payments:record_new`` (a payment nobody announced), ``payments:record_company`` (a
company's dues, every seat), ``payments:settings``.
Stripe: ``payments:stripe_webhook`` (``/payments/stripe/webhook/``).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tribu.core.decorators import allowed_if
from tribu.memberships import actions as m_actions
from tribu.memberships import queries as m_queries
from tribu.memberships.models import Tier

from . import actions, gateway, policies, queries, webhook_http
from .forms import (
    CompanyPaymentForm,
    DonationForm,
    NewPaymentForm,
    OfflineChoiceForm,
    RecordForm,
    SettingsForm,
    apply_errors,
)
from .models import Payment, PaymentMethod, PaymentSettings, PaymentStatus

log = logging.getLogger(__name__)


def _allow_checkout_form(response: HttpResponse) -> HttpResponse:
    """The card forms POST here and are redirected to Stripe Checkout: the page's CSP ``form-action``
    must allow Checkout's origin too (browsers check it on the redirect), and nothing else changes."""
    if gateway.is_configured():
        config = dict(settings.SECURE_CSP)
        config["form-action"] = [*config.get("form-action", []), gateway.checkout_origin()]
        response._csp_config = config  # type: ignore[attr-defined]  (what django's csp_override sets)
    return response


def _unavailable(request: HttpRequest) -> HttpResponse:
    return render(request, "payments/unavailable.html", status=503)


def _refused(request: HttpRequest, errors: list[str], back: str) -> HttpResponse:
    return render(request, "payments/refused.html", {"errors": errors, "back": back}, status=400)


# --- the payer ------------------------------------------------------------------------------------------


@allowed_if(policies.can_view_own_payments)
def mine(request: HttpRequest) -> HttpResponse:
    current = m_actions.current_membership(user=request.user)
    page = queries.page_of(queries.with_documents(queries.my_payments(request.user)), request.GET.get("page"))
    session = request.GET.get("session", "")[:255]
    returned = queries.my_payments(request.user).filter(stripe_checkout_session=session).first() if session else None
    tiers = [t for t in m_queries.selectable_tiers() if policies.can_pay_for_tier(request.user, t, current)]
    renew_tier = current.tier if current and policies.can_pay_for_tier(request.user, current.tier, current) else None
    return render(request, "payments/mine.html", {
        "current": current,
        "page": page,
        "pending": queries.pending_offline(request.user),
        "returned": returned,
        "renew_tier": renew_tier,
        "tiers": [] if current and current.status == "pending" else [t for t in tiers if not current
                                                                       or t.pk != current.tier_id],
        "portal": gateway.is_configured() and queries.has_stripe_customer(request.user),
        "subscribed": queries.has_subscription(request.user),
        "conf": PaymentSettings.load(),
        "bank": queries.bank_details(),
    })


def _tier_for(request: HttpRequest, tier_id: int) -> tuple[Tier, object]:
    tier = get_object_or_404(Tier, pk=tier_id, active=True)
    current = m_actions.current_membership(user=request.user)
    if not policies.can_pay_for_tier(request.user, tier, current):
        raise PermissionDenied
    return tier, current


@allowed_if(policies.can_view_own_payments)
def pay(request: HttpRequest, tier_id: int) -> HttpResponse:
    tier, current = _tier_for(request, tier_id)
    bank = queries.bank_details()
    return _allow_checkout_form(render(request, "payments/pay.html", {
        "tier": tier, "current": current, "card": gateway.is_configured(),
        "recurring": tier.period in actions.RECURRING_PERIODS, "bank": bank,
        "offline_form": OfflineChoiceForm(bank=bank), "offline_ready": bank.transfer_ready or bank.cheque_ready,
    }))


def _urls(request: HttpRequest) -> tuple[str, str]:
    """Where Stripe Checkout sends the payer back (Stripe fills in the session id)."""
    mine_url = request.build_absolute_uri(reverse("payments:mine"))
    return f"{mine_url}?session={{CHECKOUT_SESSION_ID}}", f"{mine_url}?cancelled=1"


@require_POST
@allowed_if(policies.can_view_own_payments)
def card(request: HttpRequest, tier_id: int) -> HttpResponse:
    tier, _current = _tier_for(request, tier_id)
    success, cancel = _urls(request)
    try:
        payment = actions.start_checkout(request.user, tier, recurring=request.POST.get("recurring") == "1",
                                         success_url=success, cancel_url=cancel)
    except ValidationError as exc:
        return _refused(request, exc.messages, reverse("payments:pay", args=[tier.pk]))
    except gateway.StripeUnavailable as exc:
        log.warning("Stripe unavailable during checkout: %s", exc)
        return _unavailable(request)
    return redirect(payment.checkout_url)


@require_POST
@allowed_if(policies.can_view_own_payments)
def offline(request: HttpRequest, tier_id: int) -> HttpResponse:
    tier, _current = _tier_for(request, tier_id)
    form = OfflineChoiceForm(request.POST, bank=queries.bank_details())
    if not form.is_valid():
        return _refused(request, [e for errs in form.errors.values() for e in errs],
                        reverse("payments:pay", args=[tier.pk]))
    try:
        payment = actions.start_offline(request.user, tier, method=form.cleaned_data["method"])
    except ValidationError as exc:
        return _refused(request, exc.messages, reverse("payments:pay", args=[tier.pk]))
    messages.success(request, _("Your payment is expected: follow the instructions below."))
    return redirect("payments:detail", reference=payment.reference)


@allowed_if(policies.can_view_own_payments)
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    rows = Payment.objects.select_related("user", "company", "tier", "recorded_by")
    payment = get_object_or_404(queries.with_documents(rows), reference=reference)
    if not policies.can_view_payment(request.user, payment):
        raise Http404
    return render(request, "payments/detail.html", {
        "payment": payment, "bank": queries.bank_details(),
        "can_record": policies.can_manage_payments(request.user) and payment.status == PaymentStatus.PENDING,
    })


@allowed_if(policies.can_view_own_payments)
def portal(request: HttpRequest) -> HttpResponse:
    try:
        url = actions.portal_url(request.user, request.build_absolute_uri(reverse("payments:mine")))
    except ValidationError as exc:
        return _refused(request, exc.messages, reverse("payments:mine"))
    except gateway.StripeUnavailable:
        return _unavailable(request)
    return redirect(url)


@allowed_if(policies.can_donate)
def donate(request: HttpRequest) -> HttpResponse:
    conf = PaymentSettings.load()
    if not conf.donations_enabled:
        raise Http404
    form = DonationForm(request.POST or None, card=gateway.is_configured(), bank=queries.bank_details())
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            success, cancel = _urls(request)
            try:
                payment = actions.start_donation(request.user, amount_cents=form.cleaned_data["amount"],
                                                 method=form.cleaned_data["method"], success_url=success,
                                                 cancel_url=cancel)
            except ValidationError as exc:
                apply_errors(form, exc)
            except gateway.StripeUnavailable:
                return _unavailable(request)
            else:
                if payment.method == PaymentMethod.CARD:
                    return redirect(payment.checkout_url)
                messages.success(request, _("Thank you! Your donation is expected: follow the instructions below."))
                return redirect("payments:detail", reference=payment.reference)
    return _allow_checkout_form(render(request, "payments/donate.html", {"form": form, "conf": conf}, status=status))


# --- the team --------------------------------------------------------------------------------------------


@allowed_if(policies.can_manage_payments)
def manage(request: HttpRequest) -> HttpResponse:
    from .models import PaymentMethod as M
    from .models import PaymentPurpose
    from .models import PaymentStatus as S

    filters = queries.parse_filters(request.GET)
    page = queries.page_of(queries.payments(filters), request.GET.get("page"))
    return render(request, "payments/manage.html", {
        "filters": filters, "page": page, "query": urlencode(filters.as_params()),
        "statuses": S.choices, "methods": M.choices, "purposes": PaymentPurpose.choices,
        "stripe": gateway.is_configured(), "webhook": gateway.webhook_configured(),
        "webhook_url": request.build_absolute_uri(reverse("payments:stripe_webhook")),
        "bank": queries.bank_details(), "pending": queries.pending_count(),
        "can_edit_settings": policies.can_edit_payment_settings(request.user),
    })


@allowed_if(policies.can_manage_payments)
def record(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_object_or_404(Payment.objects.select_related("user", "tier"), pk=pk)
    if payment.status != PaymentStatus.PENDING:
        messages.info(request, _("This payment is already recorded (%(status)s).")
                      % {"status": payment.get_status_display()})
        return redirect("payments:detail", reference=payment.reference)
    initial = {"method": payment.method if payment.method != PaymentMethod.CARD else PaymentMethod.TRANSFER}
    form = RecordForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.record_offline(request.user, payment, method=data["method"],
                                       external_reference=data["external_reference"], note=data["note"],
                                       paid_on=data["paid_on"], amount_cents=data["amount"])
            except ValidationError as exc:
                apply_errors(form, exc)
                status = 409 if payment.status != PaymentStatus.PENDING or not form.errors.get("__all__") else 400
            else:
                messages.success(request, _("The payment %(ref)s is recorded.") % {"ref": payment.reference})
                return redirect("payments:manage")
    return render(request, "payments/record.html", {"form": form, "payment": payment}, status=status)


def _record(request: HttpRequest, form: Any, record: Any) -> tuple[Any, int]:
    """Run ``record(cleaned_data)`` for a posted, valid form: (the payment, 200), or (None, the status)
    with the refusal on the form — 409 when it is already recorded, 400 for bad input."""
    if request.method != "POST":
        return None, 200
    if not form.is_valid():
        return None, 400
    try:
        return record(form.cleaned_data), 200
    except actions.AlreadyRecorded as exc:
        apply_errors(form, exc)
        return None, 409
    except ValidationError as exc:
        apply_errors(form, exc)
        return None, 400


@allowed_if(policies.can_manage_payments)
def record_new(request: HttpRequest) -> HttpResponse:
    form = NewPaymentForm(request.POST or None, initial={"user": request.GET.get("user")})
    payment, status = _record(request, form, lambda data: actions.record_payment(
        request.user, user=data["user"], purpose=data["purpose"], method=data["method"],
        amount_cents=data["amount"], tier=data["tier"], external_reference=data["external_reference"],
        note=data["note"], paid_on=data["paid_on"],
        currency=data["tier"].currency if data.get("tier") else PaymentSettings.load().donation_currency,
    ))
    if payment is not None:
        messages.success(request, _("The payment %(ref)s is recorded.") % {"ref": payment.reference})
        return redirect("payments:manage")
    return render(request, "payments/record_new.html", {"form": form}, status=status)


@allowed_if(policies.can_manage_payments)
def record_company(request: HttpRequest) -> HttpResponse:
    """A company's dues the team received: its membership starts or runs on, and every seat with it."""
    from tribu.companies.models import Company

    initial = {}
    if request.method != "POST" and request.GET.get("company"):
        company = Company.objects.filter(slug=request.GET["company"][:180]).first()
        if company is not None:
            _membership, tiers = actions.company_tiers(company)
            initial = {"company": company.pk, **({"tier": tiers[0].pk} if tiers else {})}
    form = CompanyPaymentForm(request.POST or None, initial=initial)
    payment, status = _record(request, form, lambda data: actions.record_company_payment(
        request.user, company=data["company"], tier=data["tier"], method=data["method"],
        amount_cents=data["amount"], external_reference=data["external_reference"], note=data["note"],
        paid_on=data["paid_on"],
    ))
    if payment is not None:
        company = form.cleaned_data["company"]
        messages.success(request, _("The payment %(ref)s is recorded: the membership of %(company)s is "
                                    "renewed for every seat.") % {"ref": payment.reference, "company": company.name})
        return redirect("companies:membership", slug=company.slug)
    return render(request, "payments/record_company.html", {"form": form}, status=status)


@allowed_if(policies.can_manage_payments)
def settings_view(request: HttpRequest) -> HttpResponse:
    can_edit = policies.can_edit_payment_settings(request.user)
    conf = PaymentSettings.load()
    form = SettingsForm(request.POST or None, instance=conf)
    if not can_edit:
        for f in form.fields.values():
            f.disabled = True
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        status = 400
        if form.is_valid():
            try:
                actions.update_settings(request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("The payment settings are saved."))
                return redirect("payments:manage")
    return render(request, "payments/settings.html", {"form": form, "can_edit": can_edit}, status=status)


# --- Stripe ---------------------------------------------------------------------------------------------


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's events. A bad signature or a stale timestamp (over 5 minutes): 400, nothing changed.
    Otherwise 200 with ``applied``, ``queued``, ``duplicate`` or ``ignored``."""
    # Verified with the library, stored, then applied by a task (``webhooks``): Stripe gets its answer
    # without waiting for the effect. ``tribu.asgi`` answers the same address before Django, the same way.
    status, content_type, content = webhook_http.answer(request.body, request.headers.get("Stripe-Signature"))
    return HttpResponse(content, status=status, content_type=content_type)
