"""Notification pages: the centre, the preferences, the badge fragment and the "stop these" page of
emails. Thin: reads come from ``queries``, writes go through ``actions``, access is decided by
``policies`` (the stop page needs no login: its signed token is the proof)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tribu.core.decorators import allowed_if
from tribu.core.emails import language_for
from tribu.core.models import DigestFrequency

from . import actions, policies, queries
from .forms import PreferencesForm
from .kinds import render_text

PAGE_SIZE = 30


@require_GET
@allowed_if(policies.can_view_notifications)
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("filter") == "unread"
    rows = queries.notifications_for(request.user, unread_only=unread_only)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    items = [(n, render_text(n)) for n in page.object_list]
    return render(
        request, "core/notifications/list.html", {"page": page, "items": items, "unread_only": unread_only}
    )


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
    digest = queries.digest_choice(request.user)
    if request.method == "POST":
        form = PreferencesForm(rows, digest, request.POST)
        if form.is_valid():
            with transaction.atomic():
                for kind, channel in form.changed_preferences().items():
                    actions.set_preference(request.user, kind, channel)
                chosen = form.digest_choice(digest)
                if chosen != digest:
                    actions.set_digest_frequency(request.user, *chosen)
            messages.success(request, _("Your notification preferences were saved."))
            return redirect("core:notification_preferences")
        messages.error(request, _("Some choices are not valid. Pick one of the options offered for each kind."))
        status = 400
    else:
        form = PreferencesForm(rows, digest)
        status = 200
    return render(request, "core/notifications/preferences.html", {"form": form}, status=status)


# --- "Stop these" (signed link of every notification and digest email) ----------------------------


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "core/error.html", {"status": status, "title": title, "message": message}, status=status)


def _mask(email: str) -> str:
    local, _sep, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


@csrf_exempt  # mail clients POST "List-Unsubscribe=One-Click" without a session; the token is the proof
@never_cache
@require_http_methods(["GET", "POST"])
def stop(request: HttpRequest, token: str) -> HttpResponse:
    """GET: what will stop, and a button (link scanners stop nothing). POST: stops it."""
    parsed = queries.read_stop_token(token)
    if parsed is None:
        return _error(
            request, 400, _("This link does not work"),
            _("The link is incomplete or was changed. Use the link of a recent email, or log in and "
              "choose your notifications on the preferences page."),
        )
    user_id, topic = parsed
    member = queries.active_member(user_id)
    if member is None:
        return _error(request, 404, _("No such member"), _("The account this link was made for no longer exists."))
    with translation.override(language_for(member)):  # the page speaks the member's language
        return _stop_page(request, member, topic, token)


def _stop_page(request: HttpRequest, member: object, topic: str, token: str) -> HttpResponse:
    context = {
        "label": queries.stop_label(topic),
        "is_digest": queries.is_digest_topic(topic),
        "masked_email": _mask(getattr(member, "email", "")),
        "token": token,
    }
    if request.method == "POST":
        try:
            actions.stop(member, topic, source="one_click" if request.POST.get("List-Unsubscribe") else "stop_page")
        except ValidationError as error:
            return _error(request, 400, _("This link does not work"), " ".join(error.messages))
        return render(request, "core/notifications/stopped.html", context)
    context["never"] = DigestFrequency.NEVER
    return render(request, "core/notifications/stop.html", context)
