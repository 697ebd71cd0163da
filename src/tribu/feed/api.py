"""API v1 for posts (mounted at ``/api/v1/`` by ``tribu.api.main``), with the pages' rules exactly:
a post the caller may not see (a private group's, someone else's draft, a deleted one) is a 404.

- ``GET /posts?sort=latest|activity&cursor=&group=&tag=&scope=home|all`` — keyset pages
  (``next_cursor``); ``GET /posts/drafts``; ``GET /posts/{id}``;
- ``POST /posts`` (``status``: published, draft or scheduled with ``publish_at``), ``PATCH /posts/{id}``,
  ``DELETE /posts/{id}``, ``POST /posts/{id}/publish``;
- ``POST /posts/{id}/pin|lock|feature`` with ``{"value": true|false}``;
- ``POST /follows`` / ``DELETE /follows`` with ``{"user_id"}`` or ``{"tag"}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from tribu.api.errors import ApiError
from tribu.api.schemas import ErrorOut
from tribu.core import policies as core_policies
from tribu.groups import policies as group_policies
from tribu.groups import queries as group_queries

from . import actions, policies, queries
from .models import Post, PostStatus

router = Router(tags=["feed"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut}


class AuthorOut(Schema):
    id: int
    name: str


class PlaceOut(Schema):
    id: int
    slug: str
    name: str


class PostOut(Schema):
    id: int
    kind: str
    status: str
    title: str
    body: str = Field(description="Markdown source.")
    body_html: str = Field(description="Sanitised HTML.")
    link_url: str
    cover_url: str | None
    cover_alt: str
    author: AuthorOut | None
    group: PlaceOut | None = Field(description="Empty for the community feed.")
    tags: list[str]
    pinned: bool
    featured: bool
    locked: bool
    solved: bool
    comment_count: int
    reaction_count: int
    publish_at: datetime | None
    published_at: datetime | None
    last_activity_at: datetime
    edited_at: datetime | None
    url: str
    can_edit: bool
    can_moderate: bool


class PostPage(Schema):
    results: list[PostOut]
    next_cursor: str | None = Field(description="Pass as ``cursor`` for the next (older) page; empty at the end.")


class FeedFilters(Schema):
    sort: str = Field("latest", pattern="^(latest|activity)$")
    cursor: str = Field("", max_length=64)
    group: int | None = None
    tag: str = Field("", max_length=50)
    scope: str = Field("home", pattern="^(home|all)$",
                       description="home: the member's home feed; all: every post they may read.")
    size: int = Field(queries.FEED_SIZE, ge=1, le=50)


class PostIn(Schema):
    body: str = Field(..., max_length=actions.MAX_BODY)
    group_id: int | None = None
    kind: str = "discussion"
    title: str = Field("", max_length=actions.MAX_TITLE)
    link_url: str = Field("", max_length=1000)
    tags: list[str] = Field([], max_length=20)
    status: str = Field(PostStatus.PUBLISHED, pattern="^(published|draft|scheduled)$")
    publish_at: datetime | None = None


class PostPatch(Schema):
    body: str | None = Field(None, max_length=actions.MAX_BODY)
    kind: str | None = None
    title: str | None = Field(None, max_length=actions.MAX_TITLE)
    link_url: str | None = Field(None, max_length=1000)
    tags: list[str] | None = Field(None, max_length=20)
    status: str | None = Field(None, pattern="^(published|draft|scheduled)$")
    publish_at: datetime | None = None


class FlagIn(Schema):
    value: bool = True


class FollowIn(Schema):
    user_id: int | None = None
    tag: str = Field("", max_length=50)


class FollowOut(Schema):
    following: bool


def _signed_in(request: HttpRequest) -> None:
    if not core_policies.is_member_area_allowed(request.user):
        raise ApiError(401)


def _out(request: HttpRequest, post: Post) -> dict[str, Any]:
    user = request.user
    return {
        "id": post.pk, "kind": post.kind, "status": post.status, "title": post.title, "body": post.body,
        "body_html": post.body_html, "link_url": post.link_url,
        "cover_url": request.build_absolute_uri(post.cover.url) if post.cover else None, "cover_alt": post.cover_alt,
        "author": {"id": post.author_id, "name": post.author.name} if post.author_id and post.author else None,
        "group": {"id": post.group.pk, "slug": post.group.slug, "name": post.group.name} if post.group_id else None,
        "tags": [t.name for t in post.tags.all()], "pinned": post.pinned, "featured": post.featured,
        "locked": post.is_locked, "solved": post.is_solved, "comment_count": post.comment_count,
        "reaction_count": post.reaction_count, "publish_at": post.publish_at, "published_at": post.published_at,
        "last_activity_at": post.last_activity_at, "edited_at": post.edited_at,
        "url": request.build_absolute_uri(actions.post_url(post)),
        "can_edit": policies.can_edit(user, post), "can_moderate": policies.can_pin(user, post),
    }


def _post(request: HttpRequest, post_id: int) -> Post:
    _signed_in(request)
    post = Post.objects.select_related("group", "author").prefetch_related("tags").filter(pk=post_id).first()
    if post is None or not policies.can_view(request.user, post):
        raise ApiError(404)
    return post


def _reload(request: HttpRequest, post_id: int) -> dict[str, Any]:
    group_policies.forget(request.user)
    return _out(request, _post(request, post_id))


@router.get("/posts", response={200: PostPage, **ERRORS}, summary="The feed, a group's or a tag's posts")
def list_posts(request: HttpRequest, filters: Query[FeedFilters]) -> dict[str, Any]:
    _signed_in(request)
    user = request.user
    cursor = queries.Cursor.decode(filters.cursor) if filters.cursor else None
    if filters.cursor and cursor is None:
        raise ApiError(422, message=_("This cursor is not valid: start again from the first page."))
    posts = queries.visible_posts(user)
    if filters.group is not None:
        try:
            group = group_queries.group_by_id_for(user, filters.group)
        except Http404:
            raise ApiError(404) from None
        if not group_policies.can_view(user, group):
            raise ApiError(404)
        posts = posts.filter(group=group)
    if filters.tag:
        tag = queries.tag_named(filters.tag)
        if tag is None:
            return {"results": [], "next_cursor": None}
        posts = posts.filter(pk__in=Post.tags.through.objects.filter(tag_id=tag.pk).values("post_id"))
    if filters.scope == "home" and filters.group is None and not filters.tag:
        posts = posts.filter(queries.home_q(user))
    rows, next_cursor = queries._keyset(queries._cards(posts), filters.sort, cursor, filters.size)
    return {"results": [_out(request, p) for p in rows], "next_cursor": next_cursor}


@router.get("/posts/drafts", response={200: list[PostOut], **ERRORS}, summary="My drafts and scheduled posts")
def list_drafts(request: HttpRequest) -> list[dict[str, Any]]:
    _signed_in(request)
    rows = queries.drafts(request.user).select_related("author").prefetch_related("tags")[:200]
    return [_out(request, p) for p in rows]


@router.get("/posts/{post_id}", response={200: PostOut, **ERRORS}, summary="A post")
def read_post(request: HttpRequest, post_id: int) -> dict[str, Any]:
    return _out(request, _post(request, post_id))


@router.post("/posts", response={201: PostOut, **ERRORS}, summary="Write a post (published, draft or scheduled)")
def create_post(request: HttpRequest, payload: PostIn) -> Status[dict[str, Any]]:
    _signed_in(request)
    group = None
    if payload.group_id is not None:
        try:
            group = group_queries.group_by_id_for(request.user, payload.group_id)
        except Http404:
            raise ApiError(404) from None
    if payload.status == PostStatus.SCHEDULED and payload.publish_at is None:
        raise ApiError(422, message=_("Choose when to publish the post."),
                       details={"publish_at": [_("Choose when to publish the post.")]})
    try:
        post = actions.create_post(request.user, group, payload.body, kind=payload.kind, title=payload.title,
                                   link_url=payload.link_url, tags=payload.tags, status=payload.status,
                                   publish_at=payload.publish_at)
    except PermissionDenied as error:
        raise ApiError(403, message=str(error) or None) from None
    return Status(201, _reload(request, post.pk))


@router.patch("/posts/{post_id}", response={200: PostOut, **ERRORS}, summary="Change a post")
def update_post(request: HttpRequest, post_id: int, payload: PostPatch) -> dict[str, Any]:
    post = _post(request, post_id)
    changes = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    if "publish_at" in changes and "status" not in changes:
        changes["status"] = PostStatus.SCHEDULED
    try:
        actions.edit_post(request.user, post, **changes)
    except PermissionDenied as error:
        raise ApiError(403, message=str(error) or None) from None
    return _reload(request, post_id)


@router.delete("/posts/{post_id}", response={204: None, **ERRORS}, summary="Delete a post")
def delete_post(request: HttpRequest, post_id: int) -> Status[None]:
    post = _post(request, post_id)
    try:
        actions.delete_post(request.user, post)
    except PermissionDenied:
        raise ApiError(403) from None
    return Status(204, None)


@router.post("/posts/{post_id}/publish", response={200: PostOut, **ERRORS}, summary="Publish a draft now")
def publish_post(request: HttpRequest, post_id: int) -> dict[str, Any]:
    post = _post(request, post_id)
    try:
        actions.publish_post(request.user, post)
    except PermissionDenied:
        raise ApiError(403) from None
    return _reload(request, post_id)


def _flag(request: HttpRequest, post_id: int, do: Any, value: bool) -> dict[str, Any]:
    post = _post(request, post_id)
    try:
        do(request.user, post, value)
    except PermissionDenied:
        raise ApiError(403) from None
    return _reload(request, post_id)


@router.post("/posts/{post_id}/pin", response={200: PostOut, **ERRORS}, summary="Pin or unpin a post")
def pin_post(request: HttpRequest, post_id: int, payload: FlagIn) -> dict[str, Any]:
    return _flag(request, post_id, actions.set_pinned, payload.value)


@router.post("/posts/{post_id}/lock", response={200: PostOut, **ERRORS}, summary="Lock or unlock comments")
def lock_post(request: HttpRequest, post_id: int, payload: FlagIn) -> dict[str, Any]:
    return _flag(request, post_id, actions.set_locked, payload.value)


@router.post("/posts/{post_id}/feature", response={200: PostOut, **ERRORS}, summary="Feature a post or stop")
def feature_post(request: HttpRequest, post_id: int, payload: FlagIn) -> dict[str, Any]:
    return _flag(request, post_id, actions.set_featured, payload.value)


def _follow_target(request: HttpRequest, payload: FollowIn) -> Any:
    from tribu.accounts.models import User

    _signed_in(request)
    if payload.user_id is not None:
        member = User.objects.filter(pk=payload.user_id, is_active=True).first()
        if member is None:
            raise ApiError(404)
        return member
    if payload.tag:
        return payload.tag
    raise ApiError(422, message=_("Give a member (user_id) or a tag to follow."))


@router.post("/follows", response={200: FollowOut, **ERRORS}, summary="Follow a member or a tag")
def follow(request: HttpRequest, payload: FollowIn) -> dict[str, Any]:
    target = _follow_target(request, payload)
    if isinstance(target, str):
        actions.follow_tag(request.user, target)
    else:
        actions.follow_member(request.user, target)
    return {"following": True}


@router.delete("/follows", response={200: FollowOut, **ERRORS}, summary="Stop following a member or a tag")
def unfollow(request: HttpRequest, payload: FollowIn) -> dict[str, Any]:
    target = _follow_target(request, payload)
    if isinstance(target, str):
        tag = queries.tag_named(target)
        if tag is not None:
            actions.unfollow_tag(request.user, tag)
    else:
        actions.unfollow_member(request.user, target)
    return {"following": False}
