"""Pages of events (thin adapters around actions, queries and policies)."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tribu.core.decorators import allowed_if
from tribu.core.forms import add_action_errors
from tribu.core.markdown import render_markdown
from tribu.core.policies import is_member_area_allowed
from tribu.imports.exports import safe_cell
from tribu.memberships.access import Access, decide, tier_page

from . import actions, forms, ics, policies, queries
from .models import Audience, Recurrence, Registration, RegistrationStatus


def _guard(request: HttpRequest, allowed: bool) -> HttpResponse | None:
    if allowed:
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise Http404


def _viewable(request: HttpRequest, slug: str) -> Any:
    event = queries.event_or_404(slug)
    denied = _guard(request, policies.can_view(request.user, event))
    return event, denied


# ---------------------------------------------------------------- agenda


def index(request: HttpRequest) -> HttpResponse:
    filters = queries.parse_filters(request.GET)
    page = queries.page_of(queries.agenda(request.user, filters), request.GET.get("page"))
    groups = []
    if is_member_area_allowed(request.user):
        from tribu.groups.queries import readable_groups

        groups = list(readable_groups(request.user).filter(archived_at__isnull=True).only("name", "slug")
                      .order_by("name")[:200])
    from .models import EventFormat, EventKind

    context = {
        "page": page,
        "filters": filters,
        "query": urlencode(filters.as_params()),
        "kinds": EventKind.choices,
        "formats": EventFormat.choices,
        "groups": groups,
        "can_create": policies.can_create_events(request.user),
        "today": timezone.localdate(),
    }
    status = 400 if filters.errors else 200
    return render(request, "events/index.html", context, status=status)


def month(request: HttpRequest, year: int | None = None, month_number: int | None = None) -> HttpResponse:
    today = timezone.localdate()
    year = year or today.year
    month_number = month_number or today.month
    if not (1 <= month_number <= 12 and 1900 < year < 3000):
        raise Http404
    data = queries.month(request.user, year, month_number)
    return render(request, "events/month.html", {**data, "today": today})


@allowed_if(is_member_area_allowed)
def mine(request: HttpRequest) -> HttpResponse:
    return render(request, "events/mine.html", queries.my_registrations(request.user))


# ---------------------------------------------------------------- event page


@tier_page
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    event, denied = _viewable(request, slug)
    if denied:
        return denied
    user = request.user
    registration = queries.my_registration(user, event)
    extras = queries.page_extras(event)
    refusal = policies.registration_refusal(user, event)
    if refusal is None and timezone.now() > event.deadline():
        refusal = "deadline"
    manage = policies.can_manage(user, event)
    tickets = extras["tickets"]
    form = None
    if refusal is None and registration is None and ((tickets and len(tickets) > 1) or event.max_guests
                                                        or extras["questions"]):
        form = forms.RegisterForm(event=event, tickets=tickets, is_member=actions._is_member(user))
    context = {
        "event": event,
        "description": render_markdown(event.description),
        "registration": registration,
        "waitlist_position": queries.waitlist_position(registration)
        if registration and registration.status == RegistrationStatus.WAITLISTED else None,
        "can_manage": manage,
        "show_link": policies.can_see_link(user, event, registration),
        "refusal": refusal,
        "refusal_message": actions.refusal_message(refusal) if refusal and refusal != "login" else "",
        "teaser": event.audience == Audience.TIERS and decide(user, event) == Access.TEASER and not manage,
        "form": form,
        "stats": queries.stats(event) if manage else None,
        "feedback": queries.feedback_list(event) if manage and event.ends_at < timezone.now() else [],
        "google_url": ics.google_url(event),
        "outlook_url": ics.outlook_url(event),
        "is_public": policies.is_public(event),
        "card_payments": _card_payments(),
        "segments": _segments(user) if manage and event.status == "draft" else [],
        **extras,
    }
    return render(request, "events/detail.html", context)


def _segments(user: Any) -> list[Any]:
    if not policies.can_announce_to_segments(user):
        return []
    from tribu.segments.models import Segment

    return list(Segment.objects.order_by("name")[:200])


def _card_payments() -> bool:
    from tribu.payments import gateway

    return gateway.is_configured()


def event_ics(request: HttpRequest, slug: str) -> HttpResponse:
    event, denied = _viewable(request, slug)
    if denied:
        return denied
    registration = queries.my_registration(request.user, event)
    show = policies.can_see_link(request.user, event, registration)
    data = ics.calendar_bytes([event], link_for=lambda e: show)
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}.ics"'
    return response


# ---------------------------------------------------------------- registration


@require_POST
@tier_page
def register(request: HttpRequest, slug: str) -> HttpResponse:
    event, denied = _viewable(request, slug)
    if denied:
        return denied
    if not request.user.is_authenticated:
        return redirect_to_login(event_url(event))
    tickets = list(event.ticket_types.prefetch_related("required_tiers"))
    form = forms.RegisterForm(request.POST, event=event, tickets=tickets, is_member=actions._is_member(request.user))
    ticket = None
    if request.POST.get("ticket_type"):
        ticket = next((t for t in tickets if str(t.pk) == request.POST["ticket_type"]), None)
        if ticket is None:
            messages.error(request, _("Choose a ticket type."))
            return redirect("events:detail", slug=event.slug)
    try:
        guests = int(request.POST.get("guests") or 0)
    except ValueError:
        guests = -1
    try:
        registration = actions.register(request.user, event, ticket_type=ticket, guests=guests,
                                        answers=form.answers())
    except actions.RegistrationRefused as error:
        messages.error(request, error.messages[0])
        return render_detail_error(request, event, status=409 if error.code == "already" else 400)
    except ValidationError as error:
        add_action_errors(form, error)
        for message in form.non_field_errors() + [m for f in form.errors.values() for m in f]:
            messages.error(request, message)
        return render_detail_error(request, event, status=400)
    if registration.status == RegistrationStatus.CONFIRMED:
        messages.success(request, _("You are registered. A confirmation is on its way to your inbox."))
    elif registration.status == RegistrationStatus.WAITLISTED:
        messages.info(request, _("The event is full: you are on the waitlist. We will email you if a seat frees up."))
    else:
        messages.info(request, _("A seat is held for you: pay to confirm it."))
    return redirect("events:detail", slug=event.slug)


def render_detail_error(request: HttpRequest, event: Any, status: int) -> HttpResponse:
    response = detail(request, event.slug)
    response.status_code = status
    return response


def event_url(event: Any) -> str:
    from django.urls import reverse

    return reverse("events:detail", args=[event.slug])


@require_POST
def unregister(request: HttpRequest, slug: str) -> HttpResponse:
    event, denied = _viewable(request, slug)
    if denied:
        return denied
    registration = queries.my_registration(request.user, event)
    if registration is None:
        messages.error(request, _("You are not registered for this event."))
        return redirect("events:detail", slug=event.slug)
    try:
        actions.unregister(request.user, registration)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Your registration is cancelled."))
    return redirect("events:detail", slug=event.slug)


def _own_ticket(request: HttpRequest, code: str) -> Registration:
    registration = get_object_or_404(Registration.objects.select_related("event", "user", "ticket_type", "payment"),
                                     code=code)
    user = request.user
    if registration.user_id != getattr(user, "pk", None) and not policies.can_manage(user, registration.event):
        raise Http404
    return registration


def ticket(request: HttpRequest, code: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    registration = _own_ticket(request, code)
    import segno

    qr = segno.make(registration.code, error="m").svg_inline(scale=6, dark="#111827", light="#ffffff")
    return render(request, "events/ticket.html", {"registration": registration, "event": registration.event,
                                                  "qr": qr})


@require_POST
def pay(request: HttpRequest, code: str) -> HttpResponse:
    """Pay a ticket awaiting payment by card (Stripe Checkout)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    registration = _own_ticket(request, code)
    back = request.build_absolute_uri(event_url(registration.event))
    try:
        url = actions.card_checkout_url(request.user, registration, success_url=back, cancel_url=back)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("events:detail", slug=registration.event.slug)
    return redirect(url)


def feedback(request: HttpRequest, code: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    registration = _own_ticket(request, code)
    if registration.user_id != request.user.pk:
        raise Http404
    current = getattr(registration, "feedback", None) if hasattr(registration, "feedback") else None
    form = forms.FeedbackForm(request.POST or None,
                              initial={"rating": current.rating, "comment": current.comment} if current else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.submit_feedback(request.user, registration, **form.cleaned_data)
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Thank you for your feedback."))
                return redirect("events:detail", slug=registration.event.slug)
        status = 400
    return render(request, "events/feedback.html", {"form": form, "event": registration.event}, status=status)


# ---------------------------------------------------------------- organisers


@allowed_if(policies.can_create_events)
def manage(request: HttpRequest) -> HttpResponse:
    page = queries.page_of(queries.manage_list(request.user), request.GET.get("page"))
    return render(request, "events/manage.html", {"page": page})


def _group_choices(user: Any) -> Any:
    return queries.led_groups(user)


@allowed_if(policies.can_create_events)
def create(request: HttpRequest) -> HttpResponse:
    form = forms.EventForm(request.POST or None, request.FILES or None, creating=True,
                           groups=_group_choices(request.user),
                           initial={"time_zone": timezone.get_current_timezone_name()})
    if request.method == "POST" and form.is_valid():
        values = form.values()
        tiers = list(form.cleaned_data.get("required_tiers") or [])
        repeat = form.cleaned_data.get("repeat")
        try:
            if repeat:
                series = actions.create_series(
                    request.user, recurrence=repeat, count=form.cleaned_data.get("occurrences") or 0,
                    dates=[values["starts_at"], *form.cleaned_data["parsed_dates"]]
                    if repeat == Recurrence.CUSTOM else None,
                    tiers=tiers, **values,
                )
                event = series.events.order_by("starts_at").first()
            else:
                event = actions.create_event(request.user, tiers=tiers, **values)
            event.partners.set(form.cleaned_data.get("partners") or [])
            if repeat:
                for other in series.events.exclude(pk=event.pk):
                    other.partners.set(form.cleaned_data.get("partners") or [])
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("The event is saved as a draft: publish it when it is ready."))
            return redirect("events:detail", slug=event.slug)
    return render(request, "events/form.html", {"form": form, "creating": True},
                  status=400 if form.is_bound and form.errors else 200)


def edit(request: HttpRequest, slug: str) -> HttpResponse:
    event = queries.event_or_404(slug)
    denied = _guard(request, policies.can_edit(request.user, event))
    if denied:
        return denied
    form = forms.EventForm(request.POST or None, request.FILES or None, instance=event,
                           groups=_group_choices(request.user))
    if request.method == "POST" and form.is_valid():
        values = form.values()
        values = {k: v for k, v in values.items() if k != "cover" or k in form.changed_data}
        if "cover" in values and values["cover"] is False:
            values["cover"] = None
        tiers = list(form.cleaned_data.get("required_tiers") or [])
        event.refresh_from_db()
        try:
            actions.update_event(request.user, event, values, tiers=tiers)
            event.partners.set(form.cleaned_data.get("partners") or [])
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("The event is saved."))
            return redirect("events:detail", slug=event.slug)
    return render(request, "events/form.html", {"form": form, "event": event},
                  status=400 if form.is_bound and form.errors else 200)


@require_POST
def publish(request: HttpRequest, slug: str) -> HttpResponse:
    event = queries.event_or_404(slug)
    denied = _guard(request, policies.can_edit(request.user, event))
    if denied:
        return denied
    segment = None
    if request.POST.get("segment") and policies.can_announce_to_segments(request.user):
        from tribu.segments.models import Segment

        segment = Segment.objects.filter(pk=request.POST["segment"]).first()
    try:
        actions.publish_event(request.user, event, segment=segment)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The event is published and announced."))
    return redirect("events:detail", slug=event.slug)


def cancel(request: HttpRequest, slug: str) -> HttpResponse:
    event = queries.event_or_404(slug)
    denied = _guard(request, policies.can_edit(request.user, event))
    if denied:
        return denied
    form = forms.CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.cancel_event(request.user, event, form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, _("The event is cancelled; every registrant is told."))
        return redirect("events:detail", slug=event.slug)
    return render(request, "events/cancel.html", {"form": form, "event": event})


def programme(request: HttpRequest, slug: str) -> HttpResponse:
    """Speakers, agenda, ticket types, questions and resources of an event, one small form each."""
    event = queries.event_or_404(slug)
    denied = _guard(request, policies.can_edit(request.user, event))
    if denied:
        return denied
    which = request.POST.get("form", "")
    bound = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    speaker = forms.SpeakerForm(bound if which == "speaker" else None, files if which == "speaker" else None,
                                prefix="speaker")
    agenda = forms.AgendaForm(bound if which == "agenda" else None, prefix="agenda")
    ticket_form = forms.TicketForm(bound if which == "ticket" else None, prefix="ticket")
    question = forms.QuestionForm(bound if which == "question" else None, prefix="question")
    resource = forms.ResourceForm(bound if which == "resource" else None, files if which == "resource" else None,
                                  prefix="resource")
    forms_by_name = {"speaker": speaker, "agenda": agenda, "ticket": ticket_form, "question": question,
                     "resource": resource}
    if request.method == "POST" and which in forms_by_name and forms_by_name[which].is_valid():
        form = forms_by_name[which]
        data = form.cleaned_data
        try:
            if which == "speaker":
                from tribu.accounts.models import User

                user = None
                if data["email"]:
                    user = User.objects.filter(email__iexact=data["email"], is_active=True).first()
                    if user is None:
                        raise ValidationError({"email": [_("No member has this email address.")]})
                actions.add_speaker(request.user, event, user=user, name=data["name"], bio=data["bio"],
                                    photo=data["photo"] or None)
            elif which == "agenda":
                from zoneinfo import ZoneInfo

                starts = timezone.make_aware(data["starts_at"], ZoneInfo(event.time_zone))
                actions.add_agenda_item(request.user, event, starts_at=starts, title=data["title"],
                                        description=data["description"])
            elif which == "ticket":
                item = form.save(commit=False)
                item.event = event
                actions.save_ticket_type(request.user, item, list(data.get("required_tiers") or []))
            elif which == "question":
                from tribu.accounts.custom_fields import parse_choices

                actions.add_question(request.user, event, kind=data["kind"], label_fr=data["label_fr"],
                                     label_en=data["label_en"], required=data["required"],
                                     choices=parse_choices(data["choices"]))
            else:
                actions.add_resource(request.user, event, title=data["title"], kind=data["kind"], url=data["url"],
                                     file=data["file"] or None)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Added."))
            return redirect("events:programme", slug=event.slug)
    context = {"event": event, **forms_by_name, **queries.page_extras(event)}
    bad = request.method == "POST" and any(f.is_bound and f.errors for f in forms_by_name.values())
    return render(request, "events/programme.html", context, status=400 if bad else 200)


@require_POST
def programme_remove(request: HttpRequest, slug: str, kind: str, item_id: int) -> HttpResponse:
    event = queries.event_or_404(slug)
    denied = _guard(request, policies.can_edit(request.user, event))
    if denied:
        return denied
    try:
        actions.remove_programme_item(request.user, event, kind, item_id)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Removed."))
    return redirect("events:programme", slug=event.slug)


# ---------------------------------------------------------------- the day itself


def _managed(request: HttpRequest, slug: str) -> tuple[Any, HttpResponse | None]:
    event = queries.event_or_404(slug)
    return event, _guard(request, policies.can_check_in(request.user, event))


def attendees(request: HttpRequest, slug: str) -> HttpResponse:
    event, denied = _managed(request, slug)
    if denied:
        return denied
    q = (request.GET.get("q") or "").strip()[:100]
    status = request.GET.get("status") or ""
    page = queries.page_of(queries.attendees(event, q, status), request.GET.get("page"))
    return render(request, "events/attendees.html", {
        "event": event, "page": page, "q": q, "status": status, "stats": queries.stats(event),
        "statuses": RegistrationStatus.choices, "walk_in": forms.WalkInForm(),
        "query": urlencode([(k, v) for k, v in (("q", q), ("status", status)) if v]),
    })


EXPORT_COLUMNS = ("name", "email", "status", "ticket", "guests", "code", "registered", "checked_in", "walk_in")


def _rows(event: Any) -> list[list[Any]]:
    questions = list(event.questions.all())
    rows = []
    for r in queries.attendees(event):
        rows.append([
            r.person_name, r.person_email, r.get_status_display(), r.ticket_type.name if r.ticket_type else "",
            r.guests, r.code, timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"),
            timezone.localtime(r.checked_in_at).strftime("%Y-%m-%d %H:%M") if r.checked_in_at else "",
            _("yes") if r.walk_in else "", *[_answer(q, r.answers.get(q.key)) for q in questions],
        ])
    return rows


def _answer(question: Any, value: Any) -> str:
    from tribu.accounts.custom_fields import display

    return display(question, value)


def export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    event, denied = _managed(request, slug)
    if denied:
        return denied
    header = [_("Name"), _("Email"), _("Status"), _("Ticket"), _("Guests"), _("Code"), _("Registered on"),
              _("Checked in at"), _("Walk-in"), *[q.label for q in event.questions.all()]]
    rows = _rows(event)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow([safe_cell(c) for c in row])
        response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = _("Attendees")[:31]
        sheet.append(header)
        for row in rows:
            sheet.append([safe_cell(c) for c in row])
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(
            buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response["Content-Disposition"] = f'attachment; filename="{event.slug}-attendees.{fmt}"'
    return response


def checkin(request: HttpRequest, slug: str) -> HttpResponse:
    """The phone page for staff: the camera reads the QR code (``BarcodeDetector``) and posts its code;
    without a camera, the code is typed."""
    event, denied = _managed(request, slug)
    if denied:
        return denied
    form = forms.CodeForm(request.POST or None)
    result = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                registration, done = actions.check_in(request.user, event, code=form.cleaned_data["code"])
            except ValidationError as error:
                result = {"ok": False, "message": error.messages[0]}
                status = 400
            else:
                name = registration.person_name
                result = {"ok": True, "message": (_("%(name)s is checked in.") if done
                                                  else _("%(name)s was already checked in.")) % {"name": name}}
                form = forms.CodeForm()
        else:
            status = 400
    return render(request, "events/checkin.html", {"event": event, "form": form, "result": result,
                                                   "stats": queries.stats(event)}, status=status)


@require_POST
def tick(request: HttpRequest, slug: str, registration_id: int) -> HttpResponse:
    event, denied = _managed(request, slug)
    if denied:
        return denied
    registration = get_object_or_404(Registration, pk=registration_id, event=event)
    try:
        if request.POST.get("undo"):
            actions.undo_check_in(request.user, registration)
        else:
            registration, _done = actions.check_in(request.user, event, registration=registration)
            messages.success(request, _("%(name)s is checked in.") % {"name": registration.person_name})
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect(f"{event_url(event)}attendees/?{request.POST.get('query', '')}")


@require_POST
def walk_in(request: HttpRequest, slug: str) -> HttpResponse:
    event, denied = _managed(request, slug)
    if denied:
        return denied
    form = forms.WalkInForm(request.POST)
    if form.is_valid():
        from tribu.accounts.models import User

        email = form.cleaned_data["email"]
        user = User.objects.filter(email__iexact=email, is_active=True).first() if email else None
        try:
            registration = actions.add_walk_in(request.user, event, name=form.cleaned_data["name"], email=email,
                                               user=user)
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, _("%(name)s is added and checked in.") % {"name": registration.person_name})
    else:
        messages.error(request, _("Give the person's name."))
    return redirect("events:attendees", slug=event.slug)


# ---------------------------------------------------------------- calendar feed


@allowed_if(is_member_area_allowed)
def calendar_settings(request: HttpRequest) -> HttpResponse:
    feed = actions.calendar_feed(request.user)
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            feed = actions.revoke_calendar_feed(request.user)
            messages.success(request, _("Your calendar has a new address; the old one no longer works."))
        else:
            actions.set_calendar_scope(request.user, request.POST.get("include_all") == "on")
            messages.success(request, _("Saved."))
        return redirect("events:calendar_settings")
    from django.conf import settings
    from django.urls import reverse

    url = settings.SITE_URL + reverse("events:feed", args=[feed.token])
    webcal = "webcal://" + url.split("://", 1)[1]
    return render(request, "events/calendar_settings.html", {"feed": feed, "url": url, "webcal": webcal})


def feed(request: HttpRequest, token: str) -> HttpResponse:
    from .models import CalendarFeed

    row = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if row is None or not row.user.is_active:
        raise Http404
    events = queries.feed_events(row)
    data = ics.calendar_bytes(events, name=_("My events"), link_for=lambda e: getattr(e, "registered", False))
    return HttpResponse(data, content_type="text/calendar; charset=utf-8")

