"""Campaign pages (team only) and the public tracking addresses (signed, no login)."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST

from tribu.core.decorators import allowed_if
from tribu.core.forms import add_action_errors

from . import actions, audience, content, policies, queries, tracking
from .forms import CampaignForm, NewsletterForm, ScheduleForm, blocks_from_post
from .models import LANGUAGES, Status

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
manage = allowed_if(policies.can_manage_campaigns)


def _errors(error: ValidationError) -> list[str]:
    return error.messages


@manage
def index(request: HttpRequest) -> HttpResponse:
    page = queries.page_of(queries.campaign_list(), request.GET.get("page"))
    return render(request, "campaigns/index.html", {"page": page})


@manage
def create(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None, initial={"rate_per_second": 20})
    if request.method == "POST" and form.is_valid():
        try:
            campaign = actions.create_campaign(request.user, **form.values())
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("The campaign was created: now write its content."))
            return redirect("campaigns:edit", pk=campaign.pk)
    return render(request, "campaigns/create.html", {"form": form}, status=400 if form.errors else 200)


def _edit_page(
    request: HttpRequest,
    campaign: Any,
    form: Any,
    blocks: list[dict[str, Any]],
    block_errors: list[str],
    status: int = 200,
) -> HttpResponse:
    counts = audience.counts(campaign) if audience.has_audience(campaign) else None
    return render(
        request,
        "campaigns/edit.html",
        {
            "campaign": campaign,
            "form": form,
            "blocks": list(enumerate(blocks)),
            "block_errors": block_errors,
            "block_types": content.block_types(),
            "counts": counts,
            "schedule_form": ScheduleForm(),
            "placeholders": content.PLACEHOLDERS,
        },
        status=status,
    )


@manage
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = queries.campaign_or_404(pk)
    if not campaign.is_editable:
        return redirect("campaigns:stats", pk=campaign.pk)
    if request.method != "POST":
        return _edit_page(request, campaign, CampaignForm(instance=campaign), campaign.blocks, [])
    form = CampaignForm(request.POST, instance=queries.campaign_or_404(pk))
    blocks = blocks_from_post(request.POST)
    block_errors: list[str] = []
    if form.is_valid():
        try:
            campaign = actions.update_campaign(request.user, campaign, {**form.values(), "blocks": blocks})
        except ValidationError as error:
            if hasattr(error, "error_dict") and "blocks" in error.error_dict:
                block_errors = error.message_dict.pop("blocks")
                error = ValidationError(error.message_dict) if error.message_dict else None
            if error is not None:
                add_action_errors(form, error)
        else:
            if not request.POST.get("add") and not request.POST.get("move"):
                messages.success(request, _("The campaign was saved."))
            return redirect("campaigns:edit", pk=campaign.pk)
    return _edit_page(request, campaign, form, blocks, block_errors, status=400)


@manage
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = queries.campaign_or_404(pk)
    languages = campaign.languages() or ["fr"]
    lang = request.GET.get("lang") if request.GET.get("lang") in languages else languages[0]
    width = "phone" if request.GET.get("width") == "phone" else "desktop"
    return render(
        request,
        "campaigns/preview.html",
        {
            "campaign": campaign,
            "lang": lang,
            "languages": [(code, dict(LANGUAGE_NAMES)[code]) for code in languages],
            "width": width,
        },
    )


LANGUAGE_NAMES = (("fr", "Français"), ("en", "English"))


@never_cache
@xframe_options_sameorigin
@csp_override(
    {
        "default-src": [CSP.NONE],
        "img-src": ["*", "data:"],
        "style-src": [CSP.UNSAFE_INLINE],
        "frame-ancestors": [CSP.SELF],
        "base-uri": [CSP.NONE],
        "form-action": [CSP.NONE],
    }
)
@manage
def preview_html(request: HttpRequest, pk: int) -> HttpResponse:
    """The email as a member gets it (sample values), framed by the preview page."""
    campaign = queries.campaign_or_404(pk)
    compiled = content.compile_message(
        campaign, request.GET.get("lang", "fr") if request.GET.get("lang") in LANGUAGES else "fr"
    )
    values = content.placeholder_values(request.user, request.user.email)
    values.update({"PIXEL": "data:image/gif;base64,R0lGODlhAQABAAAAACw=", "UNSUB": "#", "PREFS": "#"})
    _subject, _text, html = content.personalise(compiled, values)
    return HttpResponse(html)


@require_POST
@manage
def send_test(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = queries.campaign_or_404(pk)
    try:
        address = actions.send_test(request.user, campaign, request.POST.get("lang"))
    except ValidationError as error:
        for message in _errors(error):
            messages.error(request, message)
        return (
            redirect("campaigns:edit", pk=campaign.pk) if campaign.is_editable else redirect("campaigns:stats", pk=pk)
        )
    messages.success(request, _("A test was sent to %(email)s.") % {"email": address})
    return redirect("campaigns:edit", pk=campaign.pk) if campaign.is_editable else redirect("campaigns:stats", pk=pk)


@require_POST
@manage
def schedule(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = queries.campaign_or_404(pk)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            campaign = actions.schedule_campaign(request.user, campaign, form.cleaned_data["scheduled_at"])
        except ValidationError as error:
            for message in _errors(error):
                messages.error(request, message)
        else:
            if campaign.status == Status.SCHEDULED:
                messages.success(request, _("The campaign is scheduled."))
            else:
                messages.success(request, _("Sending has started."))
            return redirect("campaigns:stats", pk=campaign.pk)
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    response = _edit_page(
        request, queries.campaign_or_404(pk), CampaignForm(instance=campaign), campaign.blocks, [], status=400
    )
    return response


def _transition(action: Any, success: str) -> Any:
    @require_POST
    @manage
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        campaign = queries.campaign_or_404(pk)
        try:
            action(request.user, campaign)
        except ValidationError as error:
            for message in _errors(error):
                messages.error(request, message)
            return redirect("campaigns:stats", pk=pk)
        messages.success(request, str(success))
        return redirect("campaigns:stats", pk=pk)

    return view


pause = _transition(actions.pause_campaign, gettext_lazy("Sending is paused."))
resume = _transition(actions.resume_campaign, gettext_lazy("Sending has resumed."))
cancel = _transition(actions.cancel_campaign, gettext_lazy("The campaign is cancelled: nobody else will receive it."))
unschedule = _transition(actions.unschedule_campaign, gettext_lazy("The campaign is back to draft."))


@require_POST
@manage
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = queries.campaign_or_404(pk)
    try:
        actions.delete_campaign(request.user, campaign)
    except ValidationError as error:
        for message in _errors(error):
            messages.error(request, message)
        return redirect("campaigns:stats", pk=pk)
    messages.success(request, _("The draft was deleted."))
    return redirect("campaigns:index")


SHOW_LABELS = {
    "queued": gettext_lazy("Waiting"),
    "sent": gettext_lazy("Sent"),
    "failed": gettext_lazy("Failed"),
    "skipped": gettext_lazy("Skipped"),
    "cancelled": gettext_lazy("Cancelled"),
    "opened": gettext_lazy("Opened"),
    "clicked": gettext_lazy("Clicked"),
    "bounced": gettext_lazy("Bounced"),
    "complaints": gettext_lazy("Complaints"),
    "unsubscribed": gettext_lazy("Unsubscribed"),
}


@manage
def stats(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = queries.campaign_or_404(pk)
    which = request.GET.get("show", "")
    recipient_page = None
    if which in queries.RECIPIENT_FILTERS:
        recipient_page = queries.page_of(queries.recipients(campaign, which), request.GET.get("page"))
    return render(
        request,
        "campaigns/stats.html",
        {
            "campaign": campaign,
            "stats": queries.statistics(campaign),
            "show": which,
            "page": recipient_page,
            "show_label": SHOW_LABELS.get(which, ""),
            "now": timezone.now(),
        },
    )


@manage
def newsletter(request: HttpRequest) -> HttpResponse:
    form = NewsletterForm(request.POST or request.GET or None)
    proposal = None
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["period_start"], form.cleaned_data["period_end"]
        proposal = queries.newsletter_proposal(start, end)
        if request.method == "POST":
            try:
                campaign = actions.create_newsletter(
                    request.user, start=start, end=end, name=form.cleaned_data["name"], proposal=proposal
                )
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("The newsletter draft is ready: edit it before sending."))
                return redirect("campaigns:edit", pk=campaign.pk)
    return render(
        request,
        "campaigns/newsletter.html",
        {"form": form, "proposal": proposal},
        status=400 if form.is_bound and form.errors else 200,
    )


# --------------------------------------------------------------------------- tracking (public)


@never_cache
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    found = tracking.read(token)
    if found is not None and found[1] == 0:
        actions.record_open(found[0])
    return HttpResponse(PIXEL, content_type="image/gif")


@never_cache
def click(request: HttpRequest, token: str) -> HttpResponse:
    found = tracking.read(token)
    if found is None or found[1] == 0:
        raise Http404(_("This link is not valid."))
    url = actions.record_click(*found)
    if url is None:
        raise Http404(_("This link is not valid."))
    return HttpResponseRedirect(url)
