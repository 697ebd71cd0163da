"""The administration area for the community team: settings, audit log, outbox, roles."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tribu.accounts import actions as account_actions
from tribu.accounts import queries as account_queries
from tribu.accounts.models import Role, User

from . import actions, policies, queries
from .decorators import allowed_if
from .forms import CommunityForm


@allowed_if(policies.can_access_admin)
def admin_home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/admin/home.html", {"counts": account_queries.role_counts()})


@allowed_if(policies.can_edit_community)
def community_settings(request: HttpRequest) -> HttpResponse:
    from .models import Community

    community = Community.objects.get_or_create(pk=1)[0]
    if request.method == "POST":
        form = CommunityForm(request.POST, request.FILES, instance=community)
        if form.is_valid():
            actions.update_community(request.user, form.save(commit=False), form.changed_data)
            messages.success(request, _("The community settings were saved."))
            return redirect("core:community_settings")
        status = 400
    else:
        form = CommunityForm(instance=community)
        status = 200
    return render(request, "core/admin/community_form.html", {"form": form}, status=status)


@allowed_if(policies.can_view_audit_log)
def audit_log(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.audit_log(), 50).get_page(request.GET.get("page"))
    page.object_list = queries.with_text(list(page.object_list))
    return render(request, "core/admin/audit_log.html", {"page": page})


def _outbox_files() -> list[Path]:
    folder = Path(settings.OUTBOX_DIR)
    if not folder.exists():
        return []
    return sorted(folder.glob("*.eml"), reverse=True)


def _read_eml(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[return-value]


@allowed_if(policies.can_view_outbox)
def outbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(_outbox_files(), 50).get_page(request.GET.get("page"))
    rows = []
    for path in page.object_list:
        msg = _read_eml(path)
        rows.append({"id": path.stem, "to": msg["To"], "subject": msg["Subject"], "date": msg["Date"]})
    return render(
        request,
        "core/admin/outbox.html",
        {"page": page, "rows": rows, "smtp": settings.EMAIL_BACKEND != "tribu.core.mail.OutboxBackend"},
    )


@allowed_if(policies.can_view_outbox)
def outbox_message(request: HttpRequest, message_id: str) -> HttpResponse:
    path = Path(settings.OUTBOX_DIR) / f"{message_id}.eml"
    if "/" in message_id or ".." in message_id or not path.is_file():
        raise Http404
    msg = _read_eml(path)
    text = msg.get_body(preferencelist=("plain",))
    return render(
        request,
        "core/admin/outbox_message.html",
        {"msg": msg, "text": text.get_content() if text else "", "message_id": message_id},
    )


@allowed_if(policies.can_access_admin)
def members(request: HttpRequest) -> HttpResponse:
    role = request.GET.get("role", "")
    search = request.GET.get("q", "").strip()
    page = Paginator(account_queries.members_for_admin(role=role, search=search), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "core/admin/members.html",
        {
            "page": page,
            "roles": Role.choices,
            "role": role,
            "q": search,
            "can_change_roles": policies.can_edit_community(request.user),
        },
    )


@require_POST
@allowed_if(policies.can_edit_community)
def change_role(request: HttpRequest, user_id: int) -> HttpResponse:
    target = get_object_or_404(User, pk=user_id)
    new_role = request.POST.get("role", "")
    if new_role not in Role.values:
        messages.error(request, _("Unknown role."))
        return redirect("core:members")
    if not policies.can_change_role(request.user, target, new_role):
        messages.error(request, _("You cannot change your own role."))
        return redirect("core:members")
    account_actions.change_role(request.user, target, new_role)
    messages.success(
        request,
        _("%(name)s is now %(role)s.") % {"name": target.name, "role": Role(new_role).label},
    )
    return redirect("core:members")


