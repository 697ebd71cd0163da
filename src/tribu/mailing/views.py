"""Pages of the mailing app: unsubscribe (RFC 8058) and the preference centre, which work without
logging in through signed links; the email templates and the suppression list for the team."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from tribu.accounts.models import User
from tribu.core.decorators import allowed_if

from . import actions, consent, policies, queries, registry
from .forms import OverrideForm, PreferencesForm, SuppressForm

logger = logging.getLogger(__name__)


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "core/error.html", {"status": status, "title": title, "message": message}, status=status)


def _bad_link(request: HttpRequest) -> HttpResponse:
    return _error(
        request, 400, _("This link does not work"),
        _("The link is incomplete or was changed. Use the link of a recent email, or log in to choose "
          "which emails you receive."),
    )


def _gone_member(request: HttpRequest) -> HttpResponse:
    return _error(request, 404, _("No such member"), _("The account this link was made for no longer exists."))


def _member(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()


# --- Unsubscribe (RFC 8058) -------------------------------------------------------------------------


@csrf_exempt  # mail clients POST "List-Unsubscribe=One-Click" without a session; the token is the proof
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with a button (link scanners unsubscribe nobody). POST: unsubscribes."""
    parsed = consent.read_unsubscribe_token(token)
    if parsed is None:
        return _bad_link(request)
    user = _member(parsed[0])
    if user is None:
        return _gone_member(request)
    topic = consent.check_topic(parsed[1])
    context = {"topic": topic, "member": user, "token": token,
               "preferences_url": consent.preferences_url(user), "masked_email": _mask(user.email)}
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        actions.unsubscribe(user, topic.code, source="one_click" if one_click else "confirmation_page")
        return render(request, "mailing/unsubscribed.html", context)
    return render(request, "mailing/unsubscribe.html", context)


def _mask(email: str) -> str:
    """``m***@example.org``: enough to recognise one's address, not to read someone else's."""
    local, _sep, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


# --- Preference centre ------------------------------------------------------------------------------


def _preferences(request: HttpRequest, user: User, *, signed_token: str = "") -> HttpResponse:
    current = consent.subscriptions(user)
    if request.method == "POST":
        form = PreferencesForm(request.POST, initial_values=current)
        if form.is_valid():
            changed = actions.update_subscriptions(
                user, form.wanted(), source="signed_link" if signed_token else "preferences"
            )
            if changed:
                messages.success(request, _("Your choices are saved."))
            else:
                messages.info(request, _("Nothing changed."))
            target = (reverse("mailing:preferences_signed", args=[signed_token]) if signed_token
                      else reverse("mailing:preferences"))
            return redirect(target)
    else:
        form = PreferencesForm(initial_values=current)
    suppression = consent.suppression_for(user.email)
    return render(
        request,
        "mailing/preferences.html",
        {"form": form, "signed": bool(signed_token), "member": user, "suppression": suppression,
         "masked_email": _mask(user.email)},
        status=400 if form.is_bound and form.errors else 200,
    )


@never_cache
@allowed_if(policies.can_use_preferences)
def preferences(request: HttpRequest) -> HttpResponse:
    return _preferences(request, request.user)  # type: ignore[arg-type]


@never_cache
@require_http_methods(["GET", "POST"])
def preferences_signed(request: HttpRequest, token: str) -> HttpResponse:
    user_id = consent.read_preferences_token(token)
    if user_id is None:
        return _bad_link(request)
    user = _member(user_id)
    if user is None:
        return _gone_member(request)
    return _preferences(request, user, signed_token=token)


# --- Email templates (team) -------------------------------------------------------------------------


@allowed_if(policies.can_view_templates)
def manage(request: HttpRequest) -> HttpResponse:
    return render(request, "mailing/manage.html", {
        "rows": queries.templates_with_overrides(),
        "languages": settings.LANGUAGES,
        "can_edit": policies.can_edit_templates(request.user),
    })


def _template_or_404(key: str, language: str) -> registry.EmailTemplate:
    template = registry.get(key)
    if template is None or language not in dict(settings.LANGUAGES):
        raise Http404(_("There is no such email."))
    return template


PREVIEW_TTL = 600


def _store_preview(request: HttpRequest, html: str) -> str:
    preview_id = uuid.uuid4().hex
    cache.set(f"tribu:mailing:preview:{request.user.pk}:{preview_id}", html, PREVIEW_TTL)
    return preview_id


def _add_form_error(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


@never_cache
@allowed_if(policies.can_view_templates)
def edit(request: HttpRequest, language: str, key: str) -> HttpResponse:
    """One email in one language: the admins' version (or the default), with its preview."""
    from . import composer

    template = _template_or_404(key, language)
    can_edit = policies.can_edit_templates(request.user)
    override = composer.override_for(key, language)
    status = 200
    draft: dict[str, str] | None = None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        intent = request.POST.get("intent", "save")
        if intent == "reset":
            if actions.reset_override(request.user, key, language):
                messages.success(request, _("The email is back to the default version."))
            return redirect("mailing:edit", language=language, key=key)
        form = OverrideForm(request.POST)
        if form.is_valid():
            subject, body = form.cleaned_data["subject"], form.cleaned_data["body"]
            try:
                if intent == "test":
                    actions.send_test(request.user, key, language, subject=subject, body=body)
                    messages.success(request, _("A test was sent to %(email)s.") % {"email": request.user.email})
                    draft = {"subject": subject, "body": body}
                elif intent == "preview":
                    draft = {"subject": subject, "body": body}
                else:
                    actions.save_override(request.user, key, language, subject, body)
                    messages.success(request, _("The email is saved: members receive this version from now on."))
                    return redirect("mailing:edit", language=language, key=key)
            except ValidationError as error:
                _add_form_error(form, error)
        if form.errors:
            status = 400
    else:
        initial = {"subject": override.subject, "body": override.body} if override else _starting_point(template)
        form = OverrideForm(initial=initial)
    preview_id = ""
    preview_subject = ""
    if not form.errors:
        try:
            if draft is not None:
                parts = actions.preview_parts(
                    request.user, key, language, subject=draft["subject"], body=draft["body"]
                )
            else:
                parts = actions.preview_parts(request.user, key, language)
        except ValidationError as error:
            _add_form_error(form, error)
            status = 400
        except Exception:  # a default template that sample data cannot fill: say so, not a 500
            logger.exception("No preview for %s [%s]", key, language)
            preview_subject = _("This email cannot be previewed with sample data.")
        else:
            preview_id = _store_preview(request, parts["html"])
            preview_subject = parts["subject"]
    return render(request, "mailing/edit.html", {
        "template": template, "language": language, "language_name": dict(settings.LANGUAGES)[language],
        "form": form, "override": override, "can_edit": can_edit, "preview_id": preview_id,
        "preview_subject": preview_subject, "draft": draft is not None,
        "other_languages": [(code, name) for code, name in settings.LANGUAGES if code != language],
    }, status=status)


def _starting_point(template: registry.EmailTemplate) -> dict[str, str]:
    """What the form shows before an admin writes anything: an example in the email's spirit."""
    return {"subject": "", "body": _("Hello {{ first_name }},\n\n…\n\nThe {{ community_name }} team")}


@never_cache
@xframe_options_sameorigin
@csp_override({
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "https:", "http:"],
    "frame-ancestors": [CSP.SELF],
    "sandbox": True,
})
@allowed_if(policies.can_view_templates)
def preview_frame(request: HttpRequest, preview_id: str) -> HttpResponse:
    """The rendered email alone, for the preview frames (sandboxed, no scripts)."""
    html = cache.get(f"tribu:mailing:preview:{request.user.pk}:{preview_id}")
    if html is None:
        return _error(request, 404, _("Preview expired"), _("Reload the email's page to see its preview again."))
    return HttpResponse(html)


# --- Suppression list (team) ------------------------------------------------------------------------


@never_cache
@allowed_if(policies.can_manage_suppressions)
def suppressions(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    show_lifted = request.GET.get("lifted") == "1"
    status = 200
    if request.method == "POST":
        form = SuppressForm(request.POST)
        if form.is_valid():
            try:
                row = actions.suppress(form.cleaned_data["email"], SuppressForm.reason,
                                       detail=form.cleaned_data["detail"], source="staff", actor=request.user)
            except ValidationError as error:
                _add_form_error(form, error)
            else:
                if row is None:
                    messages.info(request, _("This address was already on the list."))
                else:
                    messages.success(request, _("%(email)s receives no more email.") % {"email": row.email})
                return redirect("mailing:suppressions")
        status = 400
    else:
        form = SuppressForm()
    page = queries.page_of(queries.suppressions(q, include_lifted=show_lifted), request.GET.get("page"))
    return render(request, "mailing/suppressions.html", {
        "page": page, "q": q, "show_lifted": show_lifted, "form": form, "skipped": queries.recent_skipped(),
    }, status=status)


@require_POST
@allowed_if(policies.can_manage_suppressions)
def lift(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        row = actions.lift_suppression(request.user, pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("mailing:suppressions")
    messages.success(request, _("%(email)s can receive email again.") % {"email": row.email})
    return redirect("mailing:suppressions")
