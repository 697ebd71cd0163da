"""The member's personal data page and the team's erasure requests (thin: actions and policies decide)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tribu.core.decorators import allowed_if

from . import actions, policies, queries
from .forms import ConsentsForm, EraseAccountForm, ErasureRequestForm
from .models import ErasureRequest, ErasureStatus


def _mine_context(request: HttpRequest, **extra: object) -> dict:
    current = queries.current_consents(request.user)
    initial = {kind: bool(current.get(kind) and current[kind].granted) for kind in queries.TOGGLE_KINDS}
    return {
        "consents_form": ConsentsForm(initial=initial),
        "erase_form": EraseAccountForm(user=request.user),
        "history": queries.consent_history(request.user)[:50],
        "pending": queries.pending_request_of(request.user),
        "can_erase": policies.can_erase_self(request.user),
        **extra,
    }


@allowed_if(policies.can_use_privacy_page)
def mine(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/mine.html", _mine_context(request))


@allowed_if(policies.can_use_privacy_page)
def download(request: HttpRequest) -> HttpResponse:
    archive = actions.export_my_data(request.user)
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="my-data-{timezone.localdate():%Y-%m-%d}.zip"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@allowed_if(policies.can_use_privacy_page)
def consents(request: HttpRequest) -> HttpResponse:
    form = ConsentsForm(request.POST)
    form.is_valid()  # two optional checkboxes: always valid
    actions.set_consents(request.user, {k: form.cleaned_data.get(k, False) for k in queries.TOGGLE_KINDS})
    messages.success(request, _("Your choices were saved."))
    return redirect("privacy:mine")


@require_POST
@allowed_if(policies.can_use_privacy_page)
def request_erasure(request: HttpRequest) -> HttpResponse:
    try:
        actions.request_erasure(request.user, request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Your request was sent to the community team."))
    return redirect("privacy:mine")


@require_POST
@allowed_if(policies.can_use_privacy_page)
def erase(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = EraseAccountForm(request.POST, user=user)
    if not form.is_valid():
        return render(request, "privacy/mine.html", _mine_context(request, erase_form=form), status=400)
    try:
        actions.erase_own_account(user, form.cleaned_data["password"])
    except PermissionDenied as exc:
        form.add_error(None, str(exc) or _("You cannot delete this account."))
        return render(request, "privacy/mine.html", _mine_context(request, erase_form=form), status=403)
    logout(request)
    messages.success(request, _("Your account and your personal data have been deleted."))
    return redirect("home")


@allowed_if(policies.can_manage_erasures)
def manage(request: HttpRequest) -> HttpResponse:
    form = ErasureRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.request_erasure(request.user, form.member, form.cleaned_data["note"])
            except (ValidationError, PermissionDenied) as exc:
                form.add_error("email", getattr(exc, "messages", [_("You cannot do this.")])[0])
            else:
                messages.success(request, _("The request was recorded."))
                return redirect("privacy:manage")
        status = 400
    page = Paginator(queries.erasure_requests(), 50).get_page(request.GET.get("page"))
    return render(request, "privacy/manage.html", {"form": form, "page": page}, status=status)


@require_POST
@allowed_if(policies.can_manage_erasures)
def manage_erase(request: HttpRequest, pk: int) -> HttpResponse:
    erasure = get_object_or_404(ErasureRequest.objects.select_related("user"), pk=pk, status=ErasureStatus.PENDING)
    if erasure.user is None or not request.POST.get("confirm"):
        messages.error(request, _("Tick the box to confirm the deletion."))
        return redirect("privacy:manage")
    actions.erase_member(request.user, erasure.user)
    messages.success(request, _("The member's personal data have been deleted."))
    return redirect("privacy:manage")


@require_POST
@allowed_if(policies.can_manage_erasures)
def manage_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    erasure = get_object_or_404(ErasureRequest, pk=pk, status=ErasureStatus.PENDING)
    actions.cancel_erasure_request(request.user, erasure)
    messages.success(request, _("The request was cancelled."))
    return redirect("privacy:manage")
