"""API v1: groups, their members, join requests and invitations — the pages' rules exactly
(``policies`` and ``queries.visible_groups``): a group the caller may not know of is a 404 everywhere.

- ``GET /groups?q=&type=&mine=&page=&page_size=``, ``GET /groups/{slug}``, ``POST /groups``,
  ``PATCH /groups/{slug}``; ``GET /group-types``;
- ``POST /groups/{slug}/join`` (public: joins; moderated: a request with ``answers``),
  ``POST /groups/{slug}/leave``;
- ``GET /groups/{slug}/members?q=``, ``DELETE /groups/{slug}/members/{user_id}``;
- ``GET /groups/{slug}/requests``, ``POST /groups/{slug}/requests/{id}`` (``approve``, ``message``);
- ``GET|POST /groups/{slug}/invitations``, ``DELETE /groups/{slug}/invitations/{id}``,
  ``POST /group-invitations/{token}/accept``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from tribu.api.errors import ApiError
from tribu.api.pagination import _page_url, max_page_size
from tribu.api.schemas import ErrorOut
from tribu.core.markdown import render_markdown

from . import actions, invitations, policies, queries
from .models import Group, GroupType, JoinRequest, Visibility

router = Router(tags=["groups"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class TypeOut(Schema):
    id: int
    name: str
    icon: str
    colour: str


class GroupOut(Schema):
    id: int
    slug: str
    name: str
    summary: str
    type: TypeOut | None
    parent_id: int | None
    depth: int
    visibility: str = Field(description="The group's own setting.")
    effective_visibility: str = Field(description="The strictest of its own and its ancestors': what applies.")
    open_to_guests: bool
    member_count: int
    archived: bool
    my_role: str | None = Field(description="owner, animator, member, or empty.")
    url: str


class GroupDetailOut(GroupOut):
    purpose: str
    purpose_html: str
    rules: str
    join_questions: list[str]
    can_view: bool = Field(description="You may read its content (feed, members).")
    can_join: bool
    can_request: bool
    can_post: bool
    can_edit: bool
    can_approve: bool
    ancestors: list[dict[str, Any]] = Field(description="The parents you may see, root first: id, slug, name.")


class GroupPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[GroupOut]


class GroupFilters(Schema):
    q: str = Field("", max_length=100)
    type: int | None = None
    mine: bool = False
    page: int = Field(1, ge=1)
    page_size: int | None = Field(None, ge=1)


class GroupIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    type_id: int | None = None
    parent_id: int | None = None
    visibility: str = Field(Visibility.PUBLIC, pattern="^(public|moderated|private)$")
    open_to_guests: bool = False
    summary: str = Field("", max_length=240)
    purpose: str = Field("", max_length=20000)
    rules: str = Field("", max_length=20000)
    welcome_message: str = Field("", max_length=5000)
    join_questions: list[str] = Field([], max_length=5)


class GroupPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    type_id: int | None = None
    visibility: str | None = Field(None, pattern="^(public|moderated|private)$")
    open_to_guests: bool | None = None
    summary: str | None = Field(None, max_length=240)
    purpose: str | None = Field(None, max_length=20000)
    rules: str | None = Field(None, max_length=20000)
    welcome_message: str | None = Field(None, max_length=5000)
    join_questions: list[str] | None = Field(None, max_length=5)


class JoinIn(Schema):
    answers: list[str] = Field([], max_length=5)


class JoinOut(Schema):
    status: str = Field(description="member (joined) or pending (a request an animator answers).")
    request_id: int | None = None


class MemberOut(Schema):
    user_id: int
    name: str
    role: str
    joined_at: datetime


class MemberPage(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[MemberOut]


class RequestOut(Schema):
    id: int
    user_id: int
    name: str
    answers: list[dict[str, str]]
    status: str
    created_at: datetime


class DecisionIn(Schema):
    approve: bool
    message: str = Field("", max_length=2000)


class InvitationIn(Schema):
    emails: list[str] = Field(..., min_length=1, max_length=invitations.MAX_EMAILS_PER_INVITE)


class InvitationOut(Schema):
    id: int
    email: str
    created_at: datetime
    expires_at: datetime


def _type_out(t: GroupType | None) -> dict[str, Any] | None:
    return {"id": t.pk, "name": t.name, "icon": t.icon, "colour": t.colour} if t else None


def _group_out(request: HttpRequest, group: Group) -> dict[str, Any]:
    return {
        "id": group.pk, "slug": group.slug, "name": group.name, "summary": group.summary,
        "type": _type_out(group.type), "parent_id": group.parent_id, "depth": group.depth,
        "visibility": group.visibility, "effective_visibility": group.effective_visibility,
        "open_to_guests": group.open_to_guests, "member_count": group.member_count,
        "archived": group.is_archived, "my_role": policies.role_in(request.user, group),
        "url": request.build_absolute_uri(f"/groups/{group.slug}/"),
    }


def _detail_out(request: HttpRequest, group: Group) -> dict[str, Any]:
    user = request.user
    return {
        **_group_out(request, group),
        "purpose": group.purpose, "purpose_html": str(render_markdown(group.purpose)), "rules": group.rules,
        "join_questions": group.join_questions,
        "can_view": policies.can_view(user, group), "can_join": policies.can_join(user, group),
        "can_request": policies.can_request(user, group), "can_post": policies.can_post(user, group),
        "can_edit": policies.can_edit(user, group), "can_approve": policies.can_approve(user, group),
        "ancestors": [{"id": c["group"].pk, "slug": c["group"].slug, "name": c["group"].name}
                      for c in queries.breadcrumbs(user, group)],
    }


def _page(request: HttpRequest, rows: Any, page: int, page_size: int | None, out: Any) -> dict[str, Any]:
    size = min(page_size or max_page_size(), max_page_size())
    count = rows.count()
    last = max(1, -(-count // size))
    if page > last:
        raise ApiError(404, "invalid_page", _("This page does not exist."))
    start = (page - 1) * size
    return {
        "count": count,
        "next": _page_url(request, page + 1, size) if page < last else None,
        "previous": _page_url(request, page - 1, size) if page > 1 else None,
        "results": [out(r) for r in rows[start : start + size]],
    }


def _group(request: HttpRequest, slug: str) -> Group:
    return queries.group_for(request.user, slug)


def _refused(error: Exception) -> ApiError:
    return ApiError(403, message=" ".join(getattr(error, "messages", [])) or str(error) or None)


@router.get("/group-types", response={200: list[TypeOut], **ERRORS}, summary="Group types")
def list_types(request: HttpRequest) -> Any:
    if not policies.can_browse(request.user):
        raise ApiError(403)
    return [_type_out(t) for t in queries.group_types()]


@router.get("/groups", response={200: GroupPage, **ERRORS}, summary="The groups directory")
def list_groups(request: HttpRequest, filters: Query[GroupFilters]) -> dict[str, Any]:
    if not policies.can_browse(request.user):
        raise ApiError(403)
    parsed = queries.Filters(q=" ".join(filters.q.split()), type_id=filters.type, mine=filters.mine)
    rows = queries.directory(request.user, parsed)
    return _page(request, rows, filters.page, filters.page_size, lambda g: _group_out(request, g))


@router.get("/groups/{slug}", response={200: GroupDetailOut, **ERRORS}, summary="A group")
def read_group(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _detail_out(request, _group(request, slug))


def _values(payload: Schema) -> dict[str, Any]:
    values = payload.model_dump(exclude_unset=True)
    if "type_id" in values:
        type_id = values.pop("type_id")
        values["type"] = GroupType.objects.filter(pk=type_id).first() if type_id else None
        if type_id and values["type"] is None:
            raise ValidationError({"type_id": [_("This group type does not exist.")]})
    return {k: v for k, v in values.items() if v is not None or k == "type"}


@router.post("/groups", response={201: GroupDetailOut, **ERRORS}, summary="Create a group")
def create_group(request: HttpRequest, payload: GroupIn) -> Status[dict[str, Any]]:
    values = _values(payload)
    parent_id = values.pop("parent_id", None)
    if parent_id:
        values["parent"] = queries.group_by_id_for(request.user, parent_id)
    try:
        group = actions.create_group(request.user, **values)
    except PermissionDenied as error:
        raise _refused(error) from None
    return Status(201, _detail_out(request, queries.group_for(request.user, group.slug)))


@router.patch("/groups/{slug}", response={200: GroupDetailOut, **ERRORS}, summary="Change a group")
def update_group(request: HttpRequest, slug: str, payload: GroupPatch) -> dict[str, Any]:
    group = _group(request, slug)
    if not policies.can_edit(request.user, group):
        raise ApiError(403)
    actions.update_group(request.user, group, _values(payload))
    return _detail_out(request, queries.group_for(request.user, slug))


@router.post("/groups/{slug}/join", response={201: JoinOut, **ERRORS}, summary="Join or ask to join")
def join(request: HttpRequest, slug: str, payload: JoinIn) -> Status[dict[str, Any]]:
    group = _group(request, slug)
    user = request.user
    try:
        if policies.can_request(user, group) and not policies.can_join(user, group):
            join_request = actions.request_to_join(user, group, payload.answers)
            return Status(201, {"status": "pending", "request_id": join_request.pk})
        actions.join_group(user, group)
    except actions.AlreadyMember as error:
        raise ApiError(409, "already_member", " ".join(error.messages)) from None
    except PermissionDenied as error:
        raise _refused(error) from None
    except ValidationError as error:
        if getattr(error, "code", "") == "duplicate":
            raise ApiError(409, "duplicate", " ".join(error.messages)) from None
        raise
    return Status(201, {"status": "member", "request_id": None})


@router.post("/groups/{slug}/leave", response={204: None, **ERRORS}, summary="Leave a group")
def leave(request: HttpRequest, slug: str) -> Status[None]:
    group = _group(request, slug)
    try:
        actions.leave_group(request.user, group)
    except ValidationError as error:
        raise ApiError(409, "last_owner", " ".join(error.messages)) from None
    return Status(204, None)


@router.get("/groups/{slug}/members", response={200: MemberPage, **ERRORS}, summary="A group's members")
def list_members(request: HttpRequest, slug: str, q: str = "", page: int = 1, page_size: int | None = None) -> Any:
    group = _group(request, slug)
    if not policies.can_see_members(request.user, group):
        raise ApiError(403)
    rows = queries.members(group, " ".join(q.split())[:100])
    return _page(request, rows, max(1, page), page_size, lambda m: {
        "user_id": m.user_id, "name": m.user.name, "role": m.role, "joined_at": m.joined_at})


@router.delete("/groups/{slug}/members/{user_id}", response={204: None, **ERRORS}, summary="Remove a member")
def remove_member(request: HttpRequest, slug: str, user_id: int) -> Status[None]:
    group = _group(request, slug)
    if not policies.can_moderate(request.user, group):
        raise ApiError(403)
    try:
        actions.remove_member(request.user, group, user_id)
    except PermissionDenied as error:
        raise _refused(error) from None
    return Status(204, None)


@router.get("/groups/{slug}/requests", response={200: list[RequestOut], **ERRORS}, summary="Pending join requests")
def list_requests(request: HttpRequest, slug: str) -> Any:
    group = _group(request, slug)
    if not policies.can_approve(request.user, group):
        raise ApiError(403)
    return [{"id": r.pk, "user_id": r.user_id, "name": r.user.name, "answers": r.answers, "status": r.status,
             "created_at": r.created_at} for r in queries.pending_requests(group)[:500]]


@router.post("/groups/{slug}/requests/{request_id}", response={200: RequestOut, **ERRORS},
             summary="Approve or decline a join request")
def decide(request: HttpRequest, slug: str, request_id: int, payload: DecisionIn) -> Any:
    group = _group(request, slug)
    if not policies.can_approve(request.user, group):
        raise ApiError(403, message=_("Only the group's animators can answer join requests."))
    try:
        r = actions.decide_request(request.user, group, request_id, approve=payload.approve, message=payload.message)
    except JoinRequest.DoesNotExist:
        raise ApiError(404) from None
    except ValidationError as error:
        raise ApiError(409, "not_pending", " ".join(error.messages)) from None
    return {"id": r.pk, "user_id": r.user_id, "name": r.user.name, "answers": r.answers, "status": r.status,
            "created_at": r.created_at}


@router.get("/groups/{slug}/invitations", response={200: list[InvitationOut], **ERRORS},
            summary="Pending invitations")
def list_invitations(request: HttpRequest, slug: str) -> Any:
    group = _group(request, slug)
    if not policies.can_invite(request.user, group):
        raise ApiError(403)
    return list(queries.pending_invitations(group)[:500])


@router.post("/groups/{slug}/invitations", response={201: list[InvitationOut], **ERRORS},
             summary="Invite people by email")
def invite(request: HttpRequest, slug: str, payload: InvitationIn) -> Any:
    group = _group(request, slug)
    if not policies.can_invite(request.user, group):
        raise ApiError(403)
    emails = invitations.check_emails(invitations.parse_emails(" ".join(payload.emails)))
    try:
        result = invitations.invite(request.user, group, emails)
    except invitations.RateLimited as limited:
        raise ApiError(429, message=_("You have sent the %(n)d invitations allowed today: try again tomorrow.")
                       % {"n": limited.limit}) from None
    return Status(201, result.sent)


@router.delete("/groups/{slug}/invitations/{invitation_id}", response={204: None, **ERRORS},
               summary="Withdraw an invitation")
def revoke(request: HttpRequest, slug: str, invitation_id: int) -> Status[None]:
    group = _group(request, slug)
    if not policies.can_invite(request.user, group):
        raise ApiError(403)
    try:
        invitations.revoke(request.user, group, invitation_id)
    except ValidationError as error:
        raise ApiError(409, "not_open", " ".join(error.messages)) from None
    return Status(204, None)


@router.post("/group-invitations/{token}/accept", response={201: JoinOut, 400: ErrorOut, 410: ErrorOut, **ERRORS},
             summary="Accept an invitation")
def accept(request: HttpRequest, token: str) -> Any:
    try:
        invitations.accept(request.user, token)
    except invitations.InvitationRefused as refused:
        raise ApiError(refused.status, refused.state or None, refused.message) from None
    return Status(201, {"status": "member", "request_id": None})
