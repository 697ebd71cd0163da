"""Notification pages: the centre, the preferences and the badge fragment. Thin: reads come from
``queries``, writes go through ``actions``, access is decided by ``policies``."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tribu.core.decorators import allowed_if

from . import actions, policies, queries
from .forms import PreferencesForm
from .kinds import render_text

PAGE_SIZE = 30


@require_GET
@allowed_if(policies.can_view_notifications)
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.notifications_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    items = [(n, render_text(n)) for n in page.object_list]
    return render(request, "core/notifications/list.html", {"page": page, "items": items})


@require_POST
@allowed_if(policies.can_view_notifications)
def mark_all_read(request: HttpRequest) -> HttpResponse:
    if actions.mark_read(request.user, actions.ALL):
        messages.success(request, _("All your notifications are marked as read."))
    return redirect("core:notifications")


@require_POST
@allowed_if(policies.can_view_notifications)
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = queries.own_notification(request.user, notification_id)
    if notification is None:
        raise Http404
    actions.mark_read(request.user, [notification.pk])
    target = notification.url
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("core:notifications")


@require_GET
@allowed_if(policies.can_view_notifications)
def badge(request: HttpRequest) -> HttpResponse:
    response = render(request, "core/notifications/_badge.html", {"unread_count": queries.unread_count(request.user)})
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@allowed_if(policies.can_view_notifications)
def preferences(request: HttpRequest) -> HttpResponse:
    rows = queries.preference_rows(request.user)
    if request.method == "POST":
        form = PreferencesForm(rows, request.POST)
        if form.is_valid():
            with transaction.atomic():
                for kind, channel in form.changed_preferences().items():
                    actions.set_preference(request.user, kind, channel)
            messages.success(request, _("Your notification preferences were saved."))
            return redirect("core:notification_preferences")
        messages.error(request, _("Some choices are not valid. Pick one of the options offered for each kind."))
        status = 400
    else:
        form = PreferencesForm(rows)
        status = 200
    return render(request, "core/notifications/preferences.html", {"form": form}, status=status)
