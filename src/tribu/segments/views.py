"""Pages of segments (community team only): the list with member counts, the builder whose count
updates while editing (HTMX partials ``rules`` and ``count``), the segment page with a preview of
its members, the CSV export, duplicate and delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tribu.core.decorators import allowed_if

from . import actions, policies, queries
from . import filters as F
from .forms import (
    DeleteForm,
    Row,
    SegmentForm,
    check_rows,
    field_choices,
    fill_options,
    rows_from_filters,
    rows_from_post,
    rows_to_filters,
)
from .models import Segment

PAGE_SIZE = 50
PREVIEW_SIZE = 20
LIVE_PREVIEW_SIZE = 5
manage = allowed_if(policies.can_manage_segments)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@require_GET
@manage
def index(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.segment_list(), PAGE_SIZE).get_page(request.GET.get("page"))
    segments = list(page)
    counts = queries.cached_counts(segments)
    for segment in segments:
        segment.member_count = counts[segment.pk]
    return render(request, "segments/index.html", {"page": page, "segments": segments})


def _builder_context(
    request: HttpRequest, form: SegmentForm, rows: list[Row], segment: Segment | None, match: str
) -> dict[str, Any]:
    return {
        "form": form,
        "rows": fill_options(rows),
        "segment": segment,
        "match": match,
        "field_choices": field_choices(),
        "max_rows": F.MAX_RULES,
    }


@require_http_methods(["GET", "POST"])
@manage
def edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create (no ``pk``) or change a segment. Without JavaScript, "add a rule", "remove" and
    "update" re-render the page; with it, HTMX swaps the rules and the count in place."""
    segment = get_object_or_404(Segment, pk=pk) if pk is not None else None
    if request.method == "GET":
        filters = segment.filters if segment else {"match": "all", "rules": []}
        initial = {"name": segment.name, "description": segment.description} if segment else {}
        initial["match"] = filters.get("match", "all")
        form = SegmentForm(initial=initial)
        rows = rows_from_filters(filters) or [Row(index=0)]
        return render(request, "segments/edit.html", _builder_context(request, form, rows, segment, initial["match"]))
    form = SegmentForm(request.POST)
    match = request.POST.get("match", "all")
    rows = rows_from_post(request.POST)
    if "save" not in request.POST:  # add / remove / update without JavaScript
        form = SegmentForm(initial={k: request.POST.get(k, "") for k in ("name", "description", "match")})
        check_rows(rows, show_incomplete=False)
        return render(request, "segments/edit.html", _builder_context(request, form, rows, segment, match))
    check_rows(rows, show_incomplete=True)
    if form.is_valid():
        values = {
            "name": form.cleaned_data["name"],
            "description": form.cleaned_data["description"],
            "filters": rows_to_filters(form.cleaned_data["match"], rows),
        }
        try:
            if segment is None:
                segment = actions.create_segment(request.user, **values)
                messages.success(request, _("The segment « %(name)s » is saved.") % {"name": segment.name})
            else:
                actions.update_segment(request.user, segment, **values)
                messages.success(request, _("The segment « %(name)s » is updated.") % {"name": segment.name})
            return redirect("segments:detail", segment.pk)
        except ValidationError as error:
            for key, problems in error.message_dict.items():
                if key != "filters":
                    for problem in problems:
                        form.add_error(key if key in form.fields else None, problem)
            if "filters" in error.message_dict and not any(r.error for r in rows):
                for problem in error.message_dict["filters"]:
                    form.add_error(None, problem)
    return render(
        request, "segments/edit.html", _builder_context(request, form, rows, segment, match), status=400
    )


@require_POST
@manage
def rules(request: HttpRequest) -> HttpResponse:
    """HTMX: the rules fieldset again after a field or operator changed, a rule was added or removed."""
    rows = rows_from_post(request.POST)
    check_rows(rows, show_incomplete=False)
    response = render(
        request, "segments/_rules.html",
        {"rows": fill_options(rows), "field_choices": field_choices(), "max_rows": F.MAX_RULES},
    )
    response["HX-Trigger-After-Settle"] = "segments-rules-changed"
    return response


@require_POST
@manage
def count(request: HttpRequest) -> HttpResponse:
    """The live count (and the first few members) of the filters being edited. Invalid filters get
    their messages (a 422, or a 200 for HTMX, which only swaps successful answers in)."""
    rows = rows_from_post(request.POST)
    rules_ok = check_rows(rows, show_incomplete=False)
    problems = [_("Rule %(n)d: %(problem)s") % {"n": r.index + 1, "problem": r.error} for r in rows if r.error]
    context: dict[str, Any] = {
        "problems": problems,
        "rules_count": len(rules_ok),
        "incomplete": [r.index + 1 for r in rows if r.incomplete],
    }
    if not problems:
        match = "any" if request.POST.get("match") == "any" else "all"
        filters = {"match": match, "rules": rules_ok}  # each rule already checked by check_rows
        members = queries.members_of(filters)
        context["count"] = members.count()
        context["preview"] = queries.preview(filters, LIVE_PREVIEW_SIZE) if context["count"] else []
    status = 422 if problems and not _is_htmx(request) else 200
    return render(request, "segments/_count.html", context, status=status)


@require_GET
@manage
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_object_or_404(Segment, pk=pk)
    rows = fill_options(rows_from_filters(segment.filters))
    total = queries.count(segment)
    return render(request, "segments/detail.html", {
        "segment": segment,
        "rows": rows,
        "count": total,
        "preview": queries.preview(segment, PREVIEW_SIZE) if total else [],
        "preview_size": PREVIEW_SIZE,
    })


@require_GET
@manage
def export(request: HttpRequest, pk: int) -> HttpResponse:
    """The segment's members as CSV (the import's columns, so the file imports back as is)."""
    from tribu.imports.exports import DEFAULT_MEMBER_COLUMNS, csv_stream, member_columns, member_rows

    segment = get_object_or_404(Segment, pk=pk)
    members = queries.members_of(segment)
    total = members.count()
    actions.record_export(request.user, segment, total)
    labels = dict(member_columns([]))
    header = [str(labels[c]) for c in DEFAULT_MEMBER_COLUMNS]
    delimiter = ";" if (get_language() or "").startswith("fr") else ","
    response = StreamingHttpResponse(
        csv_stream(header, member_rows(members, DEFAULT_MEMBER_COLUMNS), delimiter),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localdate().isoformat()
    name = slugify(segment.name) or "segment"
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


@require_POST
@manage
def duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_object_or_404(Segment, pk=pk)
    copy = actions.duplicate_segment(request.user, segment)
    messages.success(request, _("The segment is duplicated: rename and adjust the copy."))
    return redirect("segments:edit", copy.pk)


@require_http_methods(["GET", "POST"])
@manage
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_object_or_404(Segment, pk=pk)
    form = DeleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.delete_segment(request.user, segment)
        except ValidationError as error:
            for problem in error.messages:
                form.add_error(None, problem)
            return render(request, "segments/delete.html", {"segment": segment, "form": form}, status=409)
        messages.success(request, _("The segment « %(name)s » is deleted.") % {"name": segment.name})
        return redirect("segments:index")
    return render(request, "segments/delete.html", {"segment": segment, "form": form})
