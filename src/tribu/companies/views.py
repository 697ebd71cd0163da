"""Pages of member companies and partners (thin adapters around actions, queries and policies)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tribu.accounts.models import User
from tribu.core.decorators import allowed_if
from tribu.core.forms import add_action_errors
from tribu.core.markdown import render_markdown
from tribu.core.policies import is_member_area_allowed
from tribu.memberships.access import check_area, tier_page

from . import actions, policies, queries
from .forms import AttachForm, CompanyForm, DeleteForm, InviteForm, PartnerLevelForm
from .models import CompanyMember, PageVisibility, PartnerLevel


def _guard(request: HttpRequest, allowed: bool) -> HttpResponse | None:
    """Anonymous visitors log in first; signed-in people who are refused get a 403."""
    if allowed:
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied


def _status(form: Any) -> int:
    return 400 if form.is_bound and form.errors else 200


# ---------------------------------------------------------------- directory, partners, company page


@tier_page
@allowed_if(policies.can_browse_directory)
def index(request: HttpRequest) -> HttpResponse:
    check_area(request.user, "companies")
    filters = queries.parse_filters(request.GET)
    page = queries.page_of(queries.directory(filters), request.GET.get("page"))
    params = filters.as_params()
    without_sort = [(k, v) for k, v in params if k != "sort"]
    context = {
        "filters": filters,
        "page": page,
        "facets": queries.facets(filters),
        "query": urlencode(params),
        "sorts": [
            {"value": value, "label": label, "selected": value == filters.sort,
             "url": "?" + urlencode([*without_sort, *([("sort", value)] if value != "name" else [])])}
            for value, label in queries.SORTS.items()
        ],
        "can_manage": policies.can_manage_companies(request.user),
    }
    return render(request, "companies/index.html", context)


def partners(request: HttpRequest) -> HttpResponse:
    groups = queries.partners()
    signed_in = is_member_area_allowed(request.user)
    for group in groups:
        for company in group["companies"]:
            company.linked = signed_in or company.page_visibility == PageVisibility.PUBLIC
    return render(request, "companies/partners.html", {"groups": groups})


@tier_page
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    company = queries.company_or_404(slug)
    user = request.user
    denied = _guard(request, policies.can_view_company(user, company))
    if denied:
        return denied
    if company.page_visibility == PageVisibility.MEMBERS and not (
        policies.can_manage_people(user, company) or policies.is_attached_to(user, company)
    ):
        check_area(user, "companies")
    rows = queries.attachments(company) if is_member_area_allowed(user) else []
    members = queries.visible_members(user, company, rows)
    context = {
        "company": company,
        "description": render_markdown(company.description),
        "members": [m for m in members if not m.is_contact],
        "contacts": [m for m in members if m.is_contact],
        "can_edit": policies.can_edit_company(user, company),
        "can_manage_people": policies.can_manage_people(user, company),
        "can_manage": policies.can_manage_companies(user),
        "seats": queries.seats(company) if policies.can_see_membership(user, company) else None,
        "is_mine": policies.is_attached_to(user, company),
    }
    return render(request, "companies/detail.html", context)


# ---------------------------------------------------------------- editing


def edit(request: HttpRequest, slug: str) -> HttpResponse:
    company = queries.company_or_404(slug)
    denied = _guard(request, policies.can_edit_company(request.user, company))
    if denied:
        return denied
    contact_only = not policies.can_set_partner_level(request.user)
    form = CompanyForm(request.POST or None, request.FILES or None, instance=company, contact_only=contact_only)
    if request.method == "POST" and form.is_valid():
        values = form.changed_values()
        company.refresh_from_db()  # the form wrote into the instance; the action compares and saves
        try:
            actions.update_company(request.user, company, values)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("The company profile was saved."))
            return redirect("companies:detail", slug=company.slug)
    return render(
        request, "companies/form.html",
        {"form": form, "company": company, "admin_nav": policies.can_manage_companies(request.user)},
        status=_status(form),
    )


@allowed_if(policies.can_manage_companies)
def create(request: HttpRequest) -> HttpResponse:
    form = CompanyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data.get(name) for name in form.fields}
        if not values.get("logo"):
            values.pop("logo", None)
        try:
            company = actions.create_company(request.user, **values)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("The company %(name)s was created.") % {"name": company.name})
            return redirect("companies:people", slug=company.slug)
    return render(
        request, "companies/form.html", {"form": form, "company": None, "admin_nav": True}, status=_status(form)
    )


@allowed_if(policies.can_manage_companies)
def delete(request: HttpRequest, slug: str) -> HttpResponse:
    company = queries.company_or_404(slug)
    form = DeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.delete_company(request.user, company)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("The company %(name)s was deleted.") % {"name": company.name})
            return redirect("companies:manage")
    return render(request, "companies/delete.html", {"form": form, "company": company}, status=_status(form))


@allowed_if(policies.can_manage_companies)
def manage(request: HttpRequest) -> HttpResponse:
    q = " ".join(request.GET.get("q", "").split())[:100]
    page = queries.page_of(queries.manage_list(q), request.GET.get("page"), 50)
    return render(request, "companies/manage.html", {"page": page, "q": q, "levels": queries.partner_levels()})


@allowed_if(policies.can_manage_companies)
def levels(request: HttpRequest, level_id: int | None = None) -> HttpResponse:
    level = get_object_or_404(PartnerLevel, pk=level_id) if level_id else None
    form = PartnerLevelForm(request.POST or None, instance=level)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_partner_level(request.user, form.instance)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("The partner level was saved."))
            return redirect("companies:levels")
    return render(
        request, "companies/levels.html", {"form": form, "level": level, "levels": queries.partner_levels()},
        status=_status(form),
    )


@require_POST
@allowed_if(policies.can_manage_companies)
def level_delete(request: HttpRequest, level_id: int) -> HttpResponse:
    level = get_object_or_404(PartnerLevel, pk=level_id)
    actions.delete_partner_level(request.user, level)
    messages.success(request, _("The partner level was deleted; its companies no longer have a level."))
    return redirect("companies:levels")


# ---------------------------------------------------------------- people, seats, invitations


def _people_page(request: HttpRequest, company: Any, *, invite_form: Any = None, attach_form: Any = None,
                 status: int = 200) -> HttpResponse:
    user = request.user
    rows = queries.attachments(company)
    context = {
        "company": company,
        "rows": [
            {"attachment": m, "can_remove": policies.can_remove_member(user, company, m)} for m in rows
        ],
        "seats": queries.seats(company),
        "invitations": list(queries.pending_invitations(company)),
        "invite_form": invite_form or InviteForm(),
        "attach_form": attach_form or (AttachForm() if policies.can_attach_members(user) else None),
        "can_set_contact": policies.can_set_contact(user),
        "invitations_left": actions.invitations_left_today(user),
    }
    return render(request, "companies/people.html", context, status=status)


def people(request: HttpRequest, slug: str) -> HttpResponse:
    company = queries.company_or_404(slug)
    denied = _guard(request, policies.can_manage_people(request.user, company))
    if denied:
        return denied
    return _people_page(request, company)


@require_POST
def invite(request: HttpRequest, slug: str) -> HttpResponse:
    company = queries.company_or_404(slug)
    denied = _guard(request, policies.can_invite(request.user, company))
    if denied:
        return denied
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            sent = actions.invite_colleagues(request.user, company, form.cleaned_data["emails"])
        except actions.InvitationsRateLimited as limited:
            form.add_error(
                "emails",
                _("You have sent the %(n)d invitations allowed today: try again tomorrow.") % {"n": limited.limit},
            )
            return _people_page(request, company, invite_form=form, status=429)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(
                request,
                _("Invitation sent to %(emails)s.") % {"emails": ", ".join(i.email for i in sent)},
            )
            return redirect("companies:people", slug=company.slug)
    return _people_page(request, company, invite_form=form, status=400)


@require_POST
def revoke(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    company = queries.company_or_404(slug)
    denied = _guard(request, policies.can_invite(request.user, company))
    if denied:
        return denied
    try:
        invitation = actions.revoke_invitation(request.user, company, invitation_id)
    except actions.CompanyInvitation.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email})
    return redirect("companies:people", slug=company.slug)


@require_POST
def remove(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    company = queries.company_or_404(slug)
    denied = _guard(request, policies.can_manage_people(request.user, company))
    if denied:
        return denied
    try:
        actions.remove_member(request.user, company, user_id)
    except CompanyMember.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The member was removed from the company."))
    return redirect("companies:people", slug=company.slug)


@require_POST
@allowed_if(policies.can_attach_members)
def attach(request: HttpRequest, slug: str) -> HttpResponse:
    company = queries.company_or_404(slug)
    form = AttachForm(request.POST)
    if form.is_valid():
        member = User.objects.filter(email__iexact=form.cleaned_data["email"]).first()
        if member is None:
            form.add_error("email", _("No member has this email address: invite them instead."))
        else:
            try:
                actions.attach_member(request.user, company, member, is_contact=form.cleaned_data["is_contact"])
            except ValidationError as error:
                form.add_error("email", " ".join(error.messages))
            else:
                messages.success(
                    request,
                    _("%(name)s is now attached to %(company)s.") % {"name": member.name, "company": company.name},
                )
                return redirect("companies:people", slug=company.slug)
    return _people_page(request, company, attach_form=form, status=400)


@require_POST
@allowed_if(policies.can_set_contact)
def set_contact(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    company = queries.company_or_404(slug)
    try:
        actions.set_contact(request.user, company, user_id, request.POST.get("is_contact") == "1")
    except CompanyMember.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The company contacts were updated."))
    return redirect("companies:people", slug=company.slug)


@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("home"))
    try:
        actions.leave_company(request.user)
    except CompanyMember.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("You are no longer attached to a company."))
    return redirect("home")


def accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation link: a signed-in member joins with one click; anyone else signs up (or logs
    in) first and comes back here."""
    invitation = actions.find_invitation(token)
    refusal = actions.refusal_for(invitation)
    if refusal is not None:
        return render(request, "companies/invitation_refused.html", {"refusal": refusal}, status=refusal.status)
    assert invitation is not None
    company = invitation.company
    here = request.get_full_path()
    if not request.user.is_authenticated:
        signup = reverse("account_signup") + "?" + urlencode({"next": here})
        login = reverse("account_login") + "?" + urlencode({"next": here})
        return render(request, "companies/accept.html",
                      {"invitation": invitation, "company": company, "signup_url": signup, "login_url": login})
    current = policies.attachment_of(request.user)
    if request.method == "POST":
        try:
            actions.accept_invitation(request.user, token)
        except actions.InvitationRefused as refused:
            return render(request, "companies/invitation_refused.html", {"refusal": refused}, status=refused.status)
        except ValidationError as error:
            return render(
                request, "companies/accept.html",
                {"invitation": invitation, "company": company, "error": " ".join(error.messages), "current": current},
                status=400,
            )
        messages.success(request, _("Welcome: you are now attached to %(company)s.") % {"company": company.name})
        return redirect("companies:detail", slug=company.slug)
    return render(request, "companies/accept.html", {"invitation": invitation, "company": company, "current": current})


# ---------------------------------------------------------------- the company's membership and its dues


def _company_payer(request: HttpRequest, slug: str) -> tuple[Any, HttpResponse | None]:
    from tribu.payments import policies as payment_policies

    company = queries.company_or_404(slug)
    return company, _guard(request, payment_policies.can_pay_for_company(request.user, company))


def membership(request: HttpRequest, slug: str) -> HttpResponse:
    """The company's membership for its contacts (and the team): tier, status, seats, next due date,
    payments with their invoices and receipts, and "pay / renew now" by card or transfer/cheque."""
    from tribu.payments import gateway
    from tribu.payments import policies as payment_policies
    from tribu.payments import queries as payment_queries
    from tribu.payments.actions import RECURRING_PERIODS
    from tribu.payments.forms import OfflineChoiceForm
    from tribu.payments.views import _allow_checkout_form

    company, denied = _company_payer(request, slug)
    if denied:
        return denied
    overview = queries.membership_overview(company)
    payments = payment_queries.company_payments(company)
    session = request.GET.get("session", "")[:255]
    bank = payment_queries.bank_details()
    return _allow_checkout_form(render(request, "companies/membership.html", {
        "company": company, **overview,
        "page": payment_queries.page_of(payment_queries.with_documents(payments), request.GET.get("page")),
        "returned": payments.filter(stripe_checkout_session=session).first() if session else None,
        "card": gateway.is_configured(), "bank": bank, "offline_form": OfflineChoiceForm(bank=bank),
        "offline_ready": bank.transfer_ready or bank.cheque_ready,
        "recurring_periods": list(RECURRING_PERIODS),
        "can_record": payment_policies.can_manage_payments(request.user),
    }))


def _payment_refused(request: HttpRequest, company: Any, errors: list[str]) -> HttpResponse:
    return render(request, "payments/refused.html", {
        "errors": errors, "back": reverse("companies:membership", args=[company.slug])}, status=400)


def _payer_and_tier(request: HttpRequest, slug: str) -> tuple[Any, Any, HttpResponse | None]:
    """The company whose dues the request pays, the tier posted, or the answer refusing it."""
    from tribu.memberships.models import Tier

    company, denied = _company_payer(request, slug)
    if denied:
        return company, None, denied
    raw = request.POST.get("tier", "")
    tier = Tier.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    if tier is None:
        return company, None, _payment_refused(request, company, [_("Choose your company's tier.")])
    return company, tier, None


@require_POST
def membership_card(request: HttpRequest, slug: str) -> HttpResponse:
    """Pay the company's dues by card: off to Stripe Checkout (the same session for a second click)."""
    import logging

    from tribu.payments import actions as payment_actions
    from tribu.payments import gateway

    company, tier, refused = _payer_and_tier(request, slug)
    if refused:
        return refused
    back = request.build_absolute_uri(reverse("companies:membership", args=[company.slug]))
    try:
        payment = payment_actions.start_company_checkout(
            request.user, company, tier, recurring=request.POST.get("recurring") == "1",
            success_url=f"{back}?session={{CHECKOUT_SESSION_ID}}", cancel_url=f"{back}?cancelled=1")
    except ValidationError as exc:
        return _payment_refused(request, company, exc.messages)
    except gateway.StripeUnavailable as exc:
        logging.getLogger(__name__).warning("Stripe unavailable during a company checkout: %s", exc)
        return render(request, "payments/unavailable.html", status=503)
    return redirect(payment.checkout_url)


@require_POST
def membership_offline(request: HttpRequest, slug: str) -> HttpResponse:
    """Pay the company's dues by transfer or cheque: the instructions and the invoice, with the reference."""
    from tribu.payments import actions as payment_actions
    from tribu.payments import queries as payment_queries
    from tribu.payments.forms import OfflineChoiceForm

    company, tier, refused = _payer_and_tier(request, slug)
    if refused:
        return refused
    form = OfflineChoiceForm(request.POST, bank=payment_queries.bank_details())
    if not form.is_valid():
        return _payment_refused(request, company, [e for errs in form.errors.values() for e in errs])
    try:
        payment = payment_actions.start_company_offline(request.user, company, tier,
                                                        method=form.cleaned_data["method"])
    except ValidationError as exc:
        return _payment_refused(request, company, exc.messages)
    messages.success(request, _("Your payment %(ref)s is expected: the instructions and the invoice are below "
                                "and in your mailbox.") % {"ref": payment.reference})
    return redirect("companies:membership", slug=company.slug)


def membership_portal(request: HttpRequest, slug: str) -> HttpResponse:
    """Stripe's customer portal for the company's card and subscription (its contacts and the team)."""
    from tribu.payments import actions as payment_actions
    from tribu.payments import gateway

    company, denied = _company_payer(request, slug)
    if denied:
        return denied
    back = request.build_absolute_uri(reverse("companies:membership", args=[company.slug]))
    try:
        url = payment_actions.portal_url(request.user, back, company=company)
    except ValidationError as exc:
        return _payment_refused(request, company, exc.messages)
    except gateway.StripeUnavailable:
        return render(request, "payments/unavailable.html", status=503)
    return redirect(url)
