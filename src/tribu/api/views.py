"""The API tokens page under account settings: list, create (secret shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tribu.core.decorators import allowed_if

from . import actions, policies, queries
from .forms import TokenForm

PAGE_SIZE = 50


def _page(request: HttpRequest, form: TokenForm, *, secret: str = "", status: int = 200) -> HttpResponse:
    context = {
        "form": form,
        "page": Paginator(queries.tokens_of(request.user), PAGE_SIZE).get_page(request.GET.get("page")),
        "can_create": policies.can_create_token(request.user),
        "secret": secret,
    }
    response = render(request, "api/tokens.html", context, status=status)
    if secret:
        response["Cache-Control"] = "no-store"
    return response


@allowed_if(policies.can_use_api)
def tokens(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not policies.can_create_token(request.user):
            raise PermissionDenied
        form = TokenForm(request.POST)
        if not form.is_valid():
            return _page(request, form, status=400)
        token, secret = actions.create_token(
            request.user, form.cleaned_data["name"], form.cleaned_data["expires_in_days"]
        )
        messages.success(request, _("Token “%(name)s” created.") % {"name": token.name})
        # The secret is rendered in this response only (never stored, never redirected with).
        return _page(request, TokenForm(), secret=secret)
    return _page(request, TokenForm())


@require_POST
@allowed_if(policies.can_use_api)
def revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = actions.revoke_token(request.user, token_id)
    except actions.TokenNotFound:
        messages.error(request, _("This token does not exist or was already revoked."))
        return _page(request, TokenForm(), status=400)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api:tokens")
