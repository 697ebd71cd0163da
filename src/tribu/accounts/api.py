"""API v1: member profiles (as the caller may see them), your own profile, and the custom profile
fields. Thin adapters: access from ``policies``, reads from ``queries``, writes from ``actions``;
values are validated by the same functions as the pages (``custom_fields.clean_value`` …)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from tribu.api.errors import ApiError
from tribu.api.schemas import ErrorOut

from . import actions, queries
from .models import CustomField
from .policies import can_manage_custom_fields, can_see_custom_field, can_view_profile

router = Router()
ERRORS = {401: ErrorOut, 403: ErrorOut, 429: ErrorOut}
MEMBERS = ["members"]
FIELDS = ["custom fields"]


class CompanyRef(Schema):
    id: int
    name: str
    slug: str


class AnswerOut(Schema):
    key: str
    label: str = Field(description="In the request's language.")
    kind: str
    value: Any = Field(
        description="As stored: text, number, ISO date, bool, choice value(s), or {name, size} for a file."
    )
    display: str = Field(description="The value as the profile page shows it, in the request's language.")


class ProfileOut(Schema):
    id: int
    name: str
    profile_url: str
    photo_url: str | None = Field(description="Null when there is no photo or you may not see it.")
    thumbnail_url: str | None = Field(description="The 256 px square used as the avatar.")
    job_title: str | None = Field(description="Null when empty or not visible to you (and so for the fields below).")
    organisation: str | None
    bio: str | None = Field(description="Markdown.")
    skills: list[str] | None
    interests: list[str] | None
    city: str | None
    region: str | None
    country: str | None
    languages: list[str] | None = Field(description="Language codes.")
    website: str | None
    social_links: dict[str, str] | None = Field(description="Network → address (linkedin, mastodon, …).")
    company: CompanyRef | None
    custom_fields: list[AnswerOut] = Field(description="The answers you may see, in the admins' order.")


class MissingOut(Schema):
    key: str
    label: str


class CompletenessOut(Schema):
    percent: int
    missing: list[MissingOut]


class MyProfileOut(ProfileOut):
    visibility: dict[str, str] = Field(description="Per optional field, who may see it: members or staff.")
    hidden_from_directory: bool
    completeness: CompletenessOut


class ProfileIn(Schema):
    """Send only what changes. Custom field answers go in ``custom_fields`` by key (file answers are
    uploaded from the profile page)."""

    display_name: str | None = None
    job_title: str | None = None
    organisation: str | None = None
    bio: str | None = Field(None, description="Markdown.")
    skills: list[str] | None = Field(None, description="Tag names; new ones are created (20 at most).")
    interests: list[str] | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    languages: list[str] | None = Field(None, description="Language codes such as fr, en, br.")
    website: str | None = None
    social_links: dict[str, str] | None = None
    visibility: dict[str, str] | None = Field(None, description='{"city": "staff", "bio": "members"}')
    hidden_from_directory: bool | None = None
    custom_fields: dict[str, Any] | None = Field(None, description='{"departement": "29", "annee": 2012}')


class ChoiceIO(Schema):
    value: str
    label_fr: str = ""
    label_en: str = ""


class CustomFieldOut(Schema):
    id: int
    key: str
    kind: str
    label: str = Field(description="In the request's language.")
    label_fr: str
    label_en: str
    help_fr: str
    help_en: str
    choices: list[ChoiceIO]
    required: bool
    on_signup: bool
    visibility: str = Field(description="everyone, members or staff: who may see the answers.")
    directory_filter: bool
    segmentable: bool
    position: int
    active: bool


class CustomFieldIn(Schema):
    key: str | None = Field(None, description="Letters, digits, underscores; made from label_fr when absent.")
    kind: str | None = Field(
        None, description="short_text, long_text, single_choice, multiple_choice, number, date, boolean, url, file."
    )
    label_fr: str | None = None
    label_en: str | None = None
    help_fr: str | None = None
    help_en: str | None = None
    choices: list[ChoiceIO] | None = Field(
        None, description="For the choice kinds. Answers holding a removed choice are kept as they are."
    )
    required: bool | None = None
    on_signup: bool | None = None
    visibility: str | None = None
    directory_filter: bool | None = None
    segmentable: bool | None = None


def _profile_out(viewer: Any, user: Any) -> dict[str, Any]:
    view = queries.visible_profile(viewer, user)
    fields = view.fields
    company = view.company
    return {
        "id": user.pk,
        "name": user.name,
        "profile_url": reverse("profile:detail", args=[user.pk]),
        "photo_url": view.photo_url or None,
        "thumbnail_url": view.thumbnail_url or None,
        **{name: fields.get(name) or None for name in queries.PROFILE_FIELDS_SHOWN},
        "skills": [t.name for t in view.skills] if view.skills is not None else None,
        "interests": [t.name for t in view.interests] if view.interests is not None else None,
        "company": {"id": company.pk, "name": company.name, "slug": company.slug} if company else None,
        "custom_fields": [
            {"key": a.field.key, "label": a.field.label, "kind": a.field.kind, "value": a.value, "display": a.text}
            for a in view.custom
        ],
    }


def _my_profile_out(user: Any) -> dict[str, Any]:
    from .policies import OPTIONAL_FIELDS, field_visibility

    out = _profile_out(user, user)
    profile = queries.profile_for(user)
    done = queries.completeness(user, profile=profile)
    out.update(
        visibility={name: field_visibility(profile, name) for name in OPTIONAL_FIELDS},
        hidden_from_directory=profile.hidden_from_directory,
        completeness={"percent": done.percent, "missing": [{"key": m.key, "label": m.label} for m in done.missing]},
    )
    return out


def _api_errors(exc: ValidationError) -> ValidationError:
    """Page field names ("cf_dep") as API names ("custom_fields.dep")."""
    if not hasattr(exc, "error_dict"):
        return exc
    renamed = {}
    for key, messages in exc.message_dict.items():
        name = f"custom_fields.{key[3:]}" if key.startswith("cf_") else key
        renamed[name] = messages
    return ValidationError(renamed)


@router.get(
    "/members/{user_id}",
    response={200: ProfileOut, 404: ErrorOut, **ERRORS},
    tags=MEMBERS,
    summary="A member's profile, with the fields you may see",
)
def read_member(request: HttpRequest, user_id: int) -> dict[str, Any]:
    owner = queries.member_or_none(user_id)
    if owner is None or not can_view_profile(request.user, owner):
        raise ApiError(404)
    return _profile_out(request.user, owner)


@router.get("/me/profile", response={200: MyProfileOut, **ERRORS}, tags=MEMBERS, summary="Your profile")
def read_my_profile(request: HttpRequest) -> dict[str, Any]:
    return _my_profile_out(request.user)


@router.patch(
    "/me/profile",
    response={200: MyProfileOut, 422: ErrorOut, **ERRORS},
    tags=MEMBERS,
    summary="Change your profile (only the fields sent)",
)
def update_my_profile(request: HttpRequest, payload: ProfileIn) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    change: dict[str, Any] = {}
    for key, value in data.items():
        if key == "custom_fields":
            change["custom"] = value or {}
        elif key == "hidden_from_directory" and value is None:
            continue
        elif key in {"skills", "interests", "languages"} and value is None:
            change[key] = []
        elif key in {"visibility", "social_links"} and value is None:
            change[key] = {}
        else:
            change[key] = "" if value is None else value
    try:
        actions.update_profile(request.user, request.user, change)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise _api_errors(exc) from None
    return _my_profile_out(request.user)


@router.get(
    "/custom-fields",
    response={200: list[CustomFieldOut], **ERRORS},
    tags=FIELDS,
    summary="The custom profile fields whose answers you may see",
)
def list_custom_fields(request: HttpRequest, include_archived: bool = False) -> list[CustomField]:
    if include_archived and can_manage_custom_fields(request.user):
        return list(CustomField.objects.order_by("-active", "position", "id"))
    return [f for f in queries.active_custom_fields() if can_see_custom_field(request.user, f)
            or can_manage_custom_fields(request.user)]


def _definition(payload: CustomFieldIn) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    for key in ("label_en", "help_fr", "help_en"):
        if key in data and data[key] is None:
            data[key] = ""
    return {k: v for k, v in data.items() if v is not None}


def _require_admin(request: HttpRequest) -> None:
    if not can_manage_custom_fields(request.user):
        raise ApiError(403, message=_("Only administrators manage profile fields."))


@router.post(
    "/custom-fields",
    response={201: CustomFieldOut, 422: ErrorOut, **ERRORS},
    tags=FIELDS,
    summary="Create a custom profile field (administrators)",
)
def create_custom_field(request: HttpRequest, payload: CustomFieldIn) -> Status[CustomField]:
    _require_admin(request)
    return Status(201, actions.create_custom_field(request.user, _definition(payload)))


@router.patch(
    "/custom-fields/{field_id}",
    response={200: CustomFieldOut, 404: ErrorOut, 422: ErrorOut, **ERRORS},
    tags=FIELDS,
    summary="Change a custom profile field (administrators)",
    description="Removing a choice keeps the answers that hold it (shown as their value). Making a field "
    "required sends members who lack it to the completion page at their next log-in.",
)
def update_custom_field(request: HttpRequest, field_id: int, payload: CustomFieldIn) -> CustomField:
    _require_admin(request)
    field = get_object_or_404(CustomField, pk=field_id)
    return actions.update_custom_field(request.user, field, _definition(payload)).field


@router.delete(
    "/custom-fields/{field_id}",
    response={204: None, 404: ErrorOut, **ERRORS},
    tags=FIELDS,
    summary="Archive a custom profile field (administrators; answers are kept)",
)
def archive_custom_field(request: HttpRequest, field_id: int) -> Status[None]:
    _require_admin(request)
    field = get_object_or_404(CustomField, pk=field_id)
    actions.archive_custom_field(request.user, field)
    return Status(204, None)
