"""Views (thin adapters around actions, queries and policies).

- ``memberships:mine`` — the member's own membership, its history, their company's, tiers to choose;
- ``memberships:choose`` — POST: choose a self-selectable tier;
- ``memberships:manage_tiers`` (+ ``tier_create``, ``tier_edit``, ``tier_move``, ``tier_archive``,
  ``tier_restore``, ``areas``) — the tiers admin (the team reads, admins write);
- ``memberships:manage_memberships`` — the team's list with filters;
- ``memberships:manage_member`` / ``manage_company`` — one holder's memberships, history and forms;
- ``memberships:act`` — POST: grant / extend / change tier / cancel / activate, a reason required.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tribu.accounts.models import User
from tribu.core.decorators import allowed_if

from . import actions, policies, queries
from .forms import AreaForm, ChangeTierForm, ExtendForm, GrantForm, ReasonForm, TierForm, apply_errors
from .models import CURRENT_STATUSES, Area, Membership, MembershipStatus, Tier

# --- the member -----------------------------------------------------------------------------------------


@allowed_if(policies.can_view_own_membership)
def mine(request: HttpRequest) -> HttpResponse:
    overview = queries.overview(request.user)
    choosable = [] if overview.current else list(queries.selectable_tiers())
    return render(request, "memberships/mine.html", {
        "overview": overview,
        "choosable": choosable,
        "other_tiers": [] if not overview.current else list(
            queries.selectable_tiers().exclude(pk=overview.current.tier_id)
        ),
    })


@require_POST
@allowed_if(policies.can_view_own_membership)
def choose(request: HttpRequest, tier_id: int) -> HttpResponse:
    tier = get_object_or_404(Tier, pk=tier_id, active=True)
    if not policies.can_choose_tier(request.user, tier):
        raise PermissionDenied
    try:
        membership = actions.choose_tier(request.user, tier)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return render(request, "memberships/refused.html", {"errors": exc.messages}, status=400)
    if membership.status == MembershipStatus.PENDING:
        messages.success(request, _("Your request is recorded. The community team will activate it once your "
                                    "dues are paid (online payment is coming)."))
    else:
        messages.success(request, _("Your « %(tier)s » membership is active.") % {"tier": tier.name})
    return redirect("memberships:mine")


# --- tiers admin ----------------------------------------------------------------------------------------


@allowed_if(policies.can_view_tiers_admin)
def manage_tiers(request: HttpRequest) -> HttpResponse:
    can_edit = policies.can_manage_tiers(request.user)
    restrictions = queries.area_restrictions()
    forms = []
    for area in Area.values:
        row = restrictions.get(area)
        initial = {"required_tiers": list(row.required_tiers.all()) if row else [],
                   "mode": row.restriction_mode if row else "teaser"}
        forms.append(AreaForm(area=area, initial=initial))
    return render(request, "memberships/manage_tiers.html", {
        "tiers": list(queries.tiers(include_archived=True)),
        "can_edit": can_edit,
        "area_forms": forms,
    })


def _tier_form(request: HttpRequest, tier: Tier | None) -> HttpResponse:
    form = TierForm(request.POST or None, instance=tier)
    if request.method == "POST" and form.is_valid():
        try:
            if tier is None:
                saved = actions.create_tier(request.user, **form.values())
            else:
                saved = actions.update_tier(request.user, get_object_or_404(Tier, pk=tier.pk), **form.values())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The tier « %(name)s » is saved.") % {"name": saved.name})
            return redirect("memberships:manage_tiers")
    status = 400 if request.method == "POST" else 200
    return render(request, "memberships/tier_form.html", {"form": form, "tier": tier}, status=status)


@allowed_if(policies.can_manage_tiers)
def tier_create(request: HttpRequest) -> HttpResponse:
    return _tier_form(request, None)


@allowed_if(policies.can_manage_tiers)
def tier_edit(request: HttpRequest, tier_id: int) -> HttpResponse:
    return _tier_form(request, get_object_or_404(Tier, pk=tier_id))


@require_POST
@allowed_if(policies.can_manage_tiers)
def tier_move(request: HttpRequest, tier_id: int, direction: str) -> HttpResponse:
    try:
        actions.move_tier(request.user, get_object_or_404(Tier, pk=tier_id), direction)
    except ValidationError:
        raise Http404 from None
    return redirect("memberships:manage_tiers")


@require_POST
@allowed_if(policies.can_manage_tiers)
def tier_archive(request: HttpRequest, tier_id: int) -> HttpResponse:
    tier = actions.archive_tier(request.user, get_object_or_404(Tier, pk=tier_id))
    messages.success(request, _("The tier « %(name)s » is archived: no new memberships, the current ones run on.")
                     % {"name": tier.name})
    return redirect("memberships:manage_tiers")


@require_POST
@allowed_if(policies.can_manage_tiers)
def tier_restore(request: HttpRequest, tier_id: int) -> HttpResponse:
    tier = actions.restore_tier(request.user, get_object_or_404(Tier, pk=tier_id))
    messages.success(request, _("The tier « %(name)s » is available again.") % {"name": tier.name})
    return redirect("memberships:manage_tiers")


@require_POST
@allowed_if(policies.can_manage_tiers)
def areas(request: HttpRequest, area: str) -> HttpResponse:
    if area not in Area.values:
        raise Http404
    form = AreaForm(request.POST, area=area)
    if not form.is_valid():
        return render(request, "memberships/refused.html",
                      {"errors": [e for errs in form.errors.values() for e in errs]}, status=400)
    actions.set_area_restriction(request.user, area, list(form.cleaned_data["required_tiers"]),
                                 form.cleaned_data["mode"])
    messages.success(request, _("Access to the « %(area)s » is saved.") % {"area": Area(area).label})
    return redirect("memberships:manage_tiers")


# --- memberships (the team) -----------------------------------------------------------------------------


@allowed_if(policies.can_manage_memberships)
def manage_memberships(request: HttpRequest) -> HttpResponse:
    filters = queries.parse_filters(request.GET)
    page = queries.page_of(queries.memberships(filters), request.GET.get("page"))
    params = filters.as_params()
    return render(request, "memberships/manage_memberships.html", {
        "filters": filters,
        "page": page,
        "tiers": list(queries.tiers(include_archived=True)),
        "statuses": MembershipStatus.choices,
        "query": urlencode(params),
        "without": queries.members_without_membership(filters.q),
        "params": params,
    })


def _holder_page(request: HttpRequest, *, user: Any = None, company: Any = None, forms: dict | None = None,
                 status: int = 200) -> HttpResponse:
    rows = queries.holder_memberships(user=user, company=company)
    current = next((m for m in rows if m.status in CURRENT_STATUSES), None)
    forms = forms or {}
    is_company = company is not None
    context = {
        "holder": user or company,
        "holder_user": user,
        "holder_company": company,
        "memberships": rows,
        "current": current,
        "history": queries.history([m.pk for m in rows]),
        "grant_form": forms.get("grant") or (None if current else GrantForm(company=is_company, prefix="grant")),
        "extend_form": current and (forms.get("extend") or ExtendForm(prefix="extend")),
        "change_form": current and (forms.get("change") or ChangeTierForm(company=is_company, prefix="change")),
        "cancel_form": current and (forms.get("cancel") or ReasonForm(prefix="cancel")),
        "activate_form": current and current.status == MembershipStatus.PENDING and (
            forms.get("activate") or ReasonForm(prefix="activate")
        ),
        # errors of a form that is no longer shown (the membership it acted on is over)
        "errors": [e for key, f in forms.items() if (key == "grant") == bool(current) for e in f.non_field_errors()],
    }
    return render(request, "memberships/holder.html", context, status=status)


@allowed_if(policies.can_manage_memberships)
def manage_member(request: HttpRequest, user_id: int) -> HttpResponse:
    return _holder_page(request, user=get_object_or_404(User, pk=user_id))


@allowed_if(policies.can_manage_memberships)
def manage_company(request: HttpRequest, company_id: int) -> HttpResponse:
    from tribu.companies.models import Company

    return _holder_page(request, company=get_object_or_404(Company, pk=company_id))


def _holder_url(user: Any, company: Any) -> str:
    if user is not None:
        return reverse("memberships:manage_member", args=[user.pk])
    return reverse("memberships:manage_company", args=[company.pk])


@require_POST
@allowed_if(policies.can_manage_memberships)
def grant(request: HttpRequest, kind: str, holder_id: int) -> HttpResponse:
    from tribu.companies.models import Company

    user = get_object_or_404(User, pk=holder_id) if kind == "member" else None
    company = get_object_or_404(Company, pk=holder_id) if kind == "company" else None
    if user is None and company is None:
        raise Http404
    form = GrantForm(request.POST, company=company is not None, prefix="grant")
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.grant(request.user, tier=data["tier"], reason=data["reason"], user=user, company=company,
                          starts_on=data["starts_on"], ends_on=data["ends_on"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The membership is granted."))
            return redirect(_holder_url(user, company))
    return _holder_page(request, user=user, company=company, forms={"grant": form}, status=400)


ACTS = {"extend", "change", "cancel", "activate"}


@require_POST
@allowed_if(policies.can_manage_memberships)
def act(request: HttpRequest, membership_id: int, what: str) -> HttpResponse:
    if what not in ACTS:
        raise Http404
    membership = get_object_or_404(Membership.objects.select_related("tier", "user", "company"), pk=membership_id)
    is_company = membership.company_id is not None
    form: Any
    if what == "extend":
        form = ExtendForm(request.POST, prefix="extend")
    elif what == "change":
        form = ChangeTierForm(request.POST, company=is_company, prefix="change")
    else:
        form = ReasonForm(request.POST, prefix=what)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if what == "extend":
                actions.extend(request.user, membership, reason=data["reason"], to=data["to"])
                messages.success(request, _("The membership is extended."))
            elif what == "change":
                actions.change_tier(request.user, membership, tier=data["tier"], reason=data["reason"],
                                    ends_on=data["ends_on"])
                messages.success(request, _("The tier is changed."))
            elif what == "cancel":
                actions.cancel(request.user, membership, reason=data["reason"])
                messages.success(request, _("The membership is cancelled."))
            else:
                actions.activate(request.user, membership, reason=data["reason"])
                messages.success(request, _("The membership is active."))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect(_holder_url(membership.user, membership.company))
    return _holder_page(request, user=membership.user, company=membership.company, forms={what: form}, status=400)
