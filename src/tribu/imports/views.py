"""Import and export pages of the administration area (thin: actions, queries and policies decide)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tribu.core.decorators import allowed_if

from . import actions, exports, policies, queries
from .forms import ApplyForm, CompanyExportForm, MappingForm, MemberExportForm, UploadForm
from .models import ImportJob, ImportStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _job(pk: int) -> ImportJob:
    return get_object_or_404(ImportJob, pk=pk)


@allowed_if(policies.can_import)
def index(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                job = actions.start_import(request.user, form.cleaned_data["file"], form.cleaned_data["kind"])
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                return redirect("imports:mapping", job.pk)
        status = 400
    jobs = Paginator(queries.recent_jobs(), 20).get_page(request.GET.get("page"))
    return render(request, "imports/index.html", {"form": form, "page": jobs}, status=status)


@allowed_if(policies.can_import)
def mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(pk)
    if job.status not in {ImportStatus.UPLOADED, ImportStatus.PREVIEWED}:
        return redirect("imports:job", job.pk)
    try:
        samples = actions.load_table(job).rows[:3]
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("imports:index")
    form = MappingForm(request.POST or None, job=job, samples=samples)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_mapping(request.user, job, form.mapping())
        except ValidationError as exc:
            problems = exc.messages
        else:
            problems = actions.preview_import(request.user, job)
            if not problems:
                return redirect("imports:preview", job.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "imports/mapping.html", {"job": job, "form": form, "problems": problems}, status=status)


def _report_page(request: HttpRequest, rows: list) -> tuple:
    show = request.GET.get("show", "")
    show = show if show in {"errors", "changes"} else ""
    return Paginator(queries.report_rows(rows, show), 100).get_page(request.GET.get("page")), show


@allowed_if(policies.can_import)
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(pk)
    if job.status != ImportStatus.PREVIEWED:
        return redirect("imports:job" if job.status != ImportStatus.UPLOADED else "imports:mapping", job.pk)
    page, show = _report_page(request, job.preview)
    background = job.total_rows > actions.BACKGROUND_THRESHOLD
    context = {"job": job, "page": page, "show": show, "form": ApplyForm(), "background": background}
    return render(request, "imports/preview.html", context)


@require_POST
@allowed_if(policies.can_import)
def apply(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(pk)
    form = ApplyForm(request.POST)
    invite = form.is_valid() and form.cleaned_data["invite"]
    try:
        job = actions.apply_import(request.user, job, invite=invite)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return redirect("imports:job", job.pk)


@allowed_if(policies.can_import)
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(pk)
    if job.status == ImportStatus.UPLOADED:
        return redirect("imports:mapping", job.pk)
    if job.status == ImportStatus.PREVIEWED:
        return redirect("imports:preview", job.pk)
    page, show = _report_page(request, job.report)
    return render(request, "imports/job.html", {"job": job, "page": page, "show": show})


@allowed_if(policies.can_import)
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar, polled by HTMX every 2 s; once the job ends the page reloads to show the report."""
    job = _job(pk)
    response = render(request, "imports/_progress.html", {"job": job})
    if not job.is_active and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


def welcome(request: HttpRequest, uidb36: str, key: str) -> HttpResponse:
    """The invitation link of an imported member: confirm their address, then choose a password."""
    from .invitations import check_invitation, reset_url

    user = check_invitation(uidb36, key)
    if user is None:
        messages.error(request, _("This invitation link is no longer valid: ask for a new password below."))
        return redirect("account_reset_password")
    actions.confirm_invited_address(user)
    return redirect(reset_url(uidb36, key))


def _filename(kind: str, ext: str) -> str:
    return f"{kind}-{timezone.localtime():%Y-%m-%d-%H%M}.{ext}"


@allowed_if(policies.can_export)
def export_members(request: HttpRequest) -> HttpResponse:
    if "format" not in request.GET:
        return render(request, "imports/export.html", {"form": MemberExportForm(), "kind": "members"})
    form = MemberExportForm(request.GET)
    if not form.is_valid():
        return render(request, "imports/export.html", {"form": form, "kind": "members"}, status=400)
    data = form.cleaned_data
    filters = {"role": data["role"], "tier": data["tier"], "status": data["status"], "company": data["company"],
               "search": data["q"]}
    columns = data["columns"]
    actions.record_export(request.user, "members", data["format"], columns, filters)
    header = [label for key, label in exports.member_columns(form.custom_fields) if key in columns]
    columns = [key for key, _label in exports.member_columns(form.custom_fields) if key in columns]
    rows = exports.member_rows(exports.filtered_members(**filters), columns)
    return _download(data, header, rows, "members", _("Members"))


@allowed_if(policies.can_export)
def export_companies(request: HttpRequest) -> HttpResponse:
    if "format" not in request.GET:
        return render(request, "imports/export.html", {"form": CompanyExportForm(), "kind": "companies"})
    form = CompanyExportForm(request.GET)
    if not form.is_valid():
        return render(request, "imports/export.html", {"form": form, "kind": "companies"}, status=400)
    data = form.cleaned_data
    columns = [k for k, _label in exports.COMPANY_COLUMNS if k in data["columns"]]
    actions.record_export(request.user, "companies", data["format"], columns, {"search": data["q"]})
    header = [str(label) for k, label in exports.COMPANY_COLUMNS if k in columns]
    rows = exports.company_rows(exports.company_queryset(data["q"]), columns)
    return _download(data, header, rows, "companies", _("Companies"))


def _download(data: dict, header: list[str], rows, kind: str, title: str) -> HttpResponse:
    if data["format"] == "xlsx":
        response = HttpResponse(exports.xlsx_bytes(header, rows, title), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{_filename(kind, "xlsx")}"'
        return response
    streaming = StreamingHttpResponse(
        exports.csv_stream(header, rows, data["delimiter"]), content_type="text/csv; charset=utf-8"
    )
    streaming["Content-Disposition"] = f'attachment; filename="{_filename(kind, "csv")}"'
    return streaming


