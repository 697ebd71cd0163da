from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tribu.core import policies
from tribu.core.decorators import allowed_if

from . import actions, queries
from .forms import (
    AccountForm,
    CompleteProfileForm,
    CustomFieldForm,
    ProfileForm,
    SignupBuilderForm,
    add_action_errors,
)
from .models import CustomField, CustomFieldValue, TagKind, User
from .policies import can_manage_custom_fields


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


# --- profiles -------------------------------------------------------------------------------------


def _owner_or_404(viewer: Any, user_id: int) -> User:
    from .policies import can_view_profile

    owner = queries.member_or_none(user_id)
    if owner is None or not can_view_profile(viewer, owner):
        raise Http404
    return owner


@allowed_if(policies.is_member_area_allowed)
def my_profile(request: HttpRequest) -> HttpResponse:
    return redirect("profile:detail", user_id=request.user.pk)


@allowed_if(policies.is_member_area_allowed)
def profile_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    from .policies import can_edit_profile

    owner = _owner_or_404(request.user, user_id)
    fields = queries.active_custom_fields()
    view = queries.visible_profile(request.user, owner, fields=fields)
    context: dict[str, Any] = {"view": view, "owner": owner, "can_edit": can_edit_profile(request.user, owner)}
    if view.is_self:
        context["completeness"] = queries.completeness(owner, profile=view.profile, fields=fields)
    return render(request, "accounts/profile_detail.html", context)


def _edit(request: HttpRequest, owner: User) -> HttpResponse:
    fields = queries.active_custom_fields()
    profile = queries.profile_for(owner)
    values = queries.custom_values_of(owner)
    status = 200
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, user=owner, profile=profile, custom_fields=fields,
                           values=values)
        if form.is_valid():
            try:
                actions.update_profile(request.user, owner, form.profile_data())
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, _("Your profile was saved.") if owner == request.user
                                 else _("The profile was saved."))
                if owner == request.user:
                    return redirect("profile:edit")
                return redirect("profile:detail", user_id=owner.pk)
        status = 400
    else:
        form = ProfileForm(user=owner, profile=profile, custom_fields=fields, values=values)
    context = {
        "form": form,
        "owner": owner,
        "completeness": queries.completeness(owner, profile=profile, fields=fields, values=values),
        "values": values,
        "files": {f"cf_{f.key}": values[f.pk] for f in fields if f.kind == "file" and f.pk in values},
        "is_self": owner == request.user,
        "photo_url": profile.photo_thumbnail.url if profile.photo_thumbnail else "",
    }
    return render(request, "accounts/profile_edit.html", context, status=status)


@allowed_if(policies.is_member_area_allowed)
def profile_edit(request: HttpRequest) -> HttpResponse:
    return _edit(request, request.user)  # type: ignore[arg-type]


@allowed_if(policies.is_team)
def profile_edit_member(request: HttpRequest, user_id: int) -> HttpResponse:
    from .policies import can_edit_profile

    owner = _owner_or_404(request.user, user_id)
    if not can_edit_profile(request.user, owner):
        raise PermissionDenied
    return _edit(request, owner)


@allowed_if(policies.is_member_area_allowed)
def tag_suggestions(request: HttpRequest) -> JsonResponse:
    kind = request.GET.get("kind", "")
    if kind not in TagKind.values:
        return JsonResponse({"error": _("Unknown kind of tag.")}, status=400)
    return JsonResponse({"kind": kind, "suggestions": queries.tag_suggestions(kind, request.GET.get("q", ""))})


@allowed_if(policies.is_member_area_allowed)
def custom_file(request: HttpRequest, user_id: int, key: str) -> FileResponse:
    from .policies import can_see_custom_field

    owner = _owner_or_404(request.user, user_id)
    stored = (
        CustomFieldValue.objects.select_related("field")
        .filter(user=owner, field__key=key, field__active=True, field__kind="file")
        .first()
    )
    if stored is None or not stored.file or not can_see_custom_field(request.user, stored.field, owner):
        raise Http404
    name = (stored.value or {}).get("name") if isinstance(stored.value, dict) else None
    try:
        handle = stored.file.open("rb")
    except OSError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=name or stored.file.name.rsplit("/", 1)[-1])


@allowed_if(policies.is_member_area_allowed)
def complete_profile(request: HttpRequest) -> HttpResponse:
    """The required fields the member still lacks (reached after log-in; the rest of the site stays open)."""
    user = request.user
    target = request.GET.get("next") or request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = ""
    missing = queries.missing_required(user)  # type: ignore[arg-type]
    if not missing:
        return redirect(target or "home")
    values = queries.custom_values_of(user)
    status = 200
    if request.method == "POST":
        form = CompleteProfileForm(request.POST, request.FILES, missing=missing, values=values)
        if form.is_valid():
            try:
                actions.update_profile(user, user, form.profile_data())
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, _("Thank you, your profile is complete."))
                return redirect(target or "home")
        status = 400
    else:
        form = CompleteProfileForm(missing=missing, values=values)
    return render(request, "accounts/profile_complete.html", {"form": form, "next": target}, status=status)


# --- custom fields and the signup form (admins) -----------------------------------------------------


@allowed_if(can_manage_custom_fields)
def manage_fields(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        raw_id = str(request.POST.get("field", ""))
        field = get_object_or_404(CustomField, pk=int(raw_id) if raw_id.isdigit() else 0)
        action = request.POST.get("action")
        if action in {"up", "down"}:
            actions.move_custom_field(request.user, field, -1 if action == "up" else 1)
        elif action in {"archive", "restore"}:
            actions.archive_custom_field(request.user, field, active=action == "restore")
            if action == "archive":
                text = _("« %(label)s » was archived: members' answers are kept.")
            else:
                text = _("« %(label)s » is back.")
            messages.success(request, text % {"label": field.label})
        else:
            return HttpResponse(status=400)
        return redirect("profile:manage_fields")
    return render(request, "accounts/manage_fields.html", {"rows": queries.custom_fields_for_admin()})


def _field_form_page(request: HttpRequest, instance: CustomField | None) -> HttpResponse:
    from . import custom_fields as cf

    status = 200
    if request.method == "POST":
        form = CustomFieldForm(request.POST, instance=instance)
        if form.is_valid():
            data = form.field_data()
            if instance is not None and "choices" in data and form.cleaned_data.get("kind") in cf.CHOICE_KINDS:
                try:
                    new_choices = cf.parse_choices(data["choices"])
                except ValidationError:
                    new_choices = None
                if new_choices is not None:
                    removed = cf.removed_values(instance.choices, new_choices)
                    held = {v: n for v, n in queries.choice_usage(instance, removed).items() if n}
                    if held and not form.cleaned_data.get("confirm_removed_choices"):
                        form.removal_warning = sorted(held.items())
                        form.add_error("choices", _(
                            "Some members picked choices you removed (listed below). Their answers will be kept "
                            "as they are; tick « Remove these choices anyway » to go on."
                        ))
            if not form.errors:
                try:
                    if instance is None:
                        field = actions.create_custom_field(request.user, data)
                        messages.success(request, _("The field « %(label)s » was created.") % {"label": field.label})
                    else:
                        change = actions.update_custom_field(request.user, instance, data)
                        saved = _("The field « %(label)s » was saved.")
                        messages.success(request, saved % {"label": change.field.label})
                        for value, count in sorted(change.kept_values.items()):
                            messages.info(request, ngettext(
                                "« %(value)s » is no longer offered; %(count)d member keeps it as their answer.",
                                "« %(value)s » is no longer offered; %(count)d members keep it as their answer.",
                                count,
                            ) % {"value": value, "count": count})
                        if change.newly_required:
                            messages.info(request, _(
                                "Members who have not answered will be asked to at their next log-in."
                            ))
                    return redirect("profile:manage_fields")
                except ValidationError as exc:
                    add_action_errors(form, exc)
        status = 400
    else:
        form = CustomFieldForm(instance=instance)
    return render(request, "accounts/field_form.html", {"form": form, "instance": instance}, status=status)


@allowed_if(can_manage_custom_fields)
def field_create(request: HttpRequest) -> HttpResponse:
    return _field_form_page(request, None)


@allowed_if(can_manage_custom_fields)
def field_edit(request: HttpRequest, field_id: int) -> HttpResponse:
    return _field_form_page(request, get_object_or_404(CustomField, pk=field_id))


@allowed_if(can_manage_custom_fields)
def manage_signup(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = SignupBuilderForm(request.POST)
        if form.is_valid():
            try:
                items = form.items()
                actions.configure_signup_form(request.user, items)
                asked = {i.get("custom_field") for i in items}
                for field_id, required in form.required_custom().items():
                    if field_id not in asked:
                        field = CustomField.objects.get(pk=field_id)
                        if field.required != required:
                            actions.update_custom_field(request.user, field, {"required": required})
            except ValidationError as exc:
                add_action_errors(form, exc)
            else:
                messages.success(request, _("The signup form was saved."))
                return redirect("profile:manage_signup")
        status = 400
    else:
        form = SignupBuilderForm()
    return render(request, "accounts/manage_signup.html", {"form": form}, status=status)
