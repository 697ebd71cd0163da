from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tribu.core import policies
from tribu.core.decorators import allowed_if

from . import actions
from .forms import AccountForm


@allowed_if(policies.is_member_area_allowed)
def account_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = AccountForm(request.POST, instance=request.user)
        if form.is_valid():
            if form.changed_data:
                actions.update_account(form.save(commit=False), form.changed_data)
            messages.success(request, _("Your account settings were saved."))
            return redirect("accounts:settings")
        status = 400
    else:
        form = AccountForm(instance=request.user)
        status = 200
    return render(request, "accounts/settings.html", {"form": form}, status=status)
