"""API v1: comments, reactions and accepted answers of a post — the pages' rules exactly
(``policies``): a post the caller may not see is a 404 everywhere.

- ``GET /posts/{id}/comments?after=`` (top-level comments oldest first, each with its replies; ``next``
  gives the ``after`` of the following page), ``POST /posts/{id}/comments`` (``body``, ``parent_id``),
  ``PATCH|DELETE /posts/{id}/comments/{comment_id}``;
- ``POST /posts/{id}/reactions`` (``emoji``), ``DELETE /posts/{id}/reactions/{emoji}``, and the same
  under ``/posts/{id}/comments/{comment_id}/reactions``;
- ``PUT /posts/{id}/answer`` (``comment_id``), ``DELETE /posts/{id}/answer``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from tribu.api.errors import ApiError
from tribu.api.schemas import ErrorOut
from tribu.feed.models import Comment, Emoji, Post

from . import actions, policies, queries
from .queries import ReactionSummary

router = Router(tags=["feed"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class ReactionCountOut(Schema):
    emoji: str = Field(description="like, heart, clap, laugh, idea or thanks.")
    symbol: str
    count: int
    mine: bool = Field(description="You reacted with this emoji.")


class ReactionsOut(Schema):
    total: int
    counts: list[ReactionCountOut]
    can_react: bool


class AuthorOut(Schema):
    id: int
    name: str


class CommentOut(Schema):
    id: int
    post_id: int
    parent_id: int | None
    author: AuthorOut | None
    body: str = Field(description="Markdown; empty for a deleted comment.")
    body_html: str = Field(description="The sanitised rendering; empty for a deleted comment.")
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    accepted: bool = Field(description="The accepted answer of the question.")
    reactions: ReactionsOut
    can_edit: bool
    can_delete: bool
    replies: list[CommentOut] = Field(default_factory=list, description="Replies (top-level comments only).")
    url: str


class CommentPage(Schema):
    post_id: int
    comment_count: int
    solved: bool
    accepted_comment_id: int | None
    next_after: int | None = Field(description="Pass as ?after= for the next page; null on the last page.")
    results: list[CommentOut]


class CommentIn(Schema):
    body: str = Field(description="Markdown; mentions are written @[Name](user:ID).")
    parent_id: int | None = Field(default=None, description="Reply to this comment (one level of replies).")


class CommentPatch(Schema):
    body: str


class ReactionIn(Schema):
    emoji: str = Field(default="like", description="like, heart, clap, laugh, idea or thanks.")


class AnswerIn(Schema):
    comment_id: int


class AnswerOut(Schema):
    post_id: int
    solved: bool
    accepted_comment_id: int | None


def _post(request: HttpRequest, post_id: int) -> Post:
    post = queries.post_for(request.user, post_id)
    if post is None:
        raise ApiError(404)
    return post


def _comment(post: Post, comment_id: int) -> Comment:
    found = Comment.objects.select_related("author", "parent__author").filter(pk=comment_id, post_id=post.pk).first()
    if found is None or found.deleted_at is not None:
        raise ApiError(404)
    found.post = post
    return found


def _refused(error: Exception) -> ApiError:
    return ApiError(403, message=" ".join(getattr(error, "messages", [])) or str(error) or None)


def _invalid(error: ValidationError, status: int = 422) -> ApiError:
    from tribu.api.errors import django_validation_details

    details = django_validation_details(error)
    return ApiError(status, message=" ".join(m for ms in details.values() for m in ms), details=details)


def _reactions_out(summary: ReactionSummary) -> dict[str, Any]:
    return {"total": summary.total, "can_react": summary.can_react,
            "counts": [{"emoji": code, "symbol": queries.SYMBOLS[code], "count": n, "mine": code in summary.mine}
                       for code, n in summary.counts.items()]}


def _comment_out(request: HttpRequest, post: Post, comment: Comment, *, summary: ReactionSummary | None = None,
                 with_replies: bool = True) -> dict[str, Any]:
    deleted = comment.deleted_at is not None
    author = comment.author if comment.author_id else None
    summary = summary or getattr(comment, "summary", None) or queries.summary_for(comment, request.user)
    can_edit = getattr(comment, "can_edit", None)
    can_delete = getattr(comment, "can_delete", None)
    return {
        "id": comment.pk, "post_id": post.pk, "parent_id": comment.parent_id,
        "author": {"id": author.pk, "name": author.name} if author is not None else None,
        "body": "" if deleted else getattr(comment, "body", ""),
        "body_html": "" if deleted else comment.body_html,
        "created_at": comment.created_at, "edited_at": comment.edited_at, "deleted": deleted,
        "accepted": comment.pk == post.accepted_comment_id,
        "reactions": _reactions_out(summary),
        "can_edit": policies.can_edit_comment(request.user, comment, post) if can_edit is None else can_edit,
        "can_delete": policies.can_delete_comment(request.user, comment, post) if can_delete is None else can_delete,
        "replies": [_comment_out(request, post, r, with_replies=False) for r in getattr(comment, "shown_replies", [])]
        if with_replies else [],
        "url": request.build_absolute_uri(reverse("feed:detail", args=[post.pk]) + f"#comment-{comment.pk}"),
    }


@router.get("/posts/{post_id}/comments", response={200: CommentPage, **ERRORS}, summary="A post's comments")
def list_comments(request: HttpRequest, post_id: int, after: int | None = None) -> dict[str, Any]:
    post = _post(request, post_id)
    page = queries.discussion_page(post, request.user, after=after, with_post=False)
    # The page's comments carry no Markdown source: read it in one query for the whole page.
    ids = [c.pk for c in page.comments] + [r.pk for c in page.comments for r in c.shown_replies]  # type: ignore[attr-defined]
    bodies = dict(Comment.objects.filter(pk__in=ids).values_list("pk", "body")) if ids else {}
    for c in page.comments:
        c.body = bodies.get(c.pk, "")
        for r in c.shown_replies:  # type: ignore[attr-defined]
            r.body = bodies.get(r.pk, "")
    return {
        "post_id": post.pk, "comment_count": post.comment_count, "solved": post.solved_at is not None,
        "accepted_comment_id": post.accepted_comment_id, "next_after": page.next_after,
        "results": [_comment_out(request, post, c) for c in page.comments],
    }


@router.post("/posts/{post_id}/comments", response={201: CommentOut, **ERRORS}, summary="Comment or reply")
def create_comment(request: HttpRequest, post_id: int, payload: CommentIn) -> Status[dict[str, Any]]:
    post = _post(request, post_id)
    parent = None
    if payload.parent_id is not None:
        parent = queries.live_comment(post, payload.parent_id)
        if parent is None:
            raise ApiError(422, message=_("The comment you answer no longer exists."),
                           details={"parent_id": [_("The comment you answer no longer exists.")]})
    try:
        created = actions.create_comment(request.user, post, payload.body, parent=parent)
    except PermissionDenied as error:
        raise _refused(error) from None
    except ValidationError as error:
        raise _invalid(error) from None
    return Status(201, _comment_out(request, post, created, with_replies=False))


@router.patch("/posts/{post_id}/comments/{comment_id}", response={200: CommentOut, **ERRORS},
              summary="Edit a comment")
def edit_comment(request: HttpRequest, post_id: int, comment_id: int, payload: CommentPatch) -> dict[str, Any]:
    post = _post(request, post_id)
    found = _comment(post, comment_id)
    try:
        changed = actions.edit_comment(request.user, found, payload.body)
    except PermissionDenied as error:
        raise _refused(error) from None
    except ValidationError as error:
        raise _invalid(error) from None
    return _comment_out(request, post, changed, with_replies=False)


@router.delete("/posts/{post_id}/comments/{comment_id}", response={204: None, **ERRORS}, summary="Delete a comment")
def delete_comment(request: HttpRequest, post_id: int, comment_id: int) -> Status[None]:
    post = _post(request, post_id)
    found = _comment(post, comment_id)
    try:
        actions.delete_comment(request.user, found)
    except PermissionDenied as error:
        raise _refused(error) from None
    return Status(204, None)


def _react(request: HttpRequest, target: Post | Comment, emoji: str, add: bool) -> dict[str, Any]:
    if emoji not in Emoji.values:
        raise ApiError(400, "unknown_emoji", _("Choose one of the offered reactions."),
                       details={"emoji": [_("Choose one of the offered reactions.")], "choices": Emoji.values})
    try:
        if add:
            actions.add_reaction(request.user, target, emoji)
        else:
            actions.remove_reaction(request.user, target, emoji)
    except PermissionDenied as error:
        raise _refused(error) from None
    return _reactions_out(queries.summary_for(target, request.user))


@router.post("/posts/{post_id}/reactions", response={200: ReactionsOut, **ERRORS}, summary="React to a post")
def react_post(request: HttpRequest, post_id: int, payload: ReactionIn) -> dict[str, Any]:
    return _react(request, _post(request, post_id), payload.emoji, True)


@router.delete("/posts/{post_id}/reactions/{emoji}", response={200: ReactionsOut, **ERRORS},
               summary="Take back a reaction to a post")
def unreact_post(request: HttpRequest, post_id: int, emoji: str) -> dict[str, Any]:
    return _react(request, _post(request, post_id), emoji, False)


@router.post("/posts/{post_id}/comments/{comment_id}/reactions", response={200: ReactionsOut, **ERRORS},
             summary="React to a comment")
def react_comment(request: HttpRequest, post_id: int, comment_id: int, payload: ReactionIn) -> dict[str, Any]:
    post = _post(request, post_id)
    return _react(request, _comment(post, comment_id), payload.emoji, True)


@router.delete("/posts/{post_id}/comments/{comment_id}/reactions/{emoji}", response={200: ReactionsOut, **ERRORS},
               summary="Take back a reaction to a comment")
def unreact_comment(request: HttpRequest, post_id: int, comment_id: int, emoji: str) -> dict[str, Any]:
    post = _post(request, post_id)
    return _react(request, _comment(post, comment_id), emoji, False)


@router.put("/posts/{post_id}/answer", response={200: AnswerOut, **ERRORS}, summary="Accept an answer")
def accept(request: HttpRequest, post_id: int, payload: AnswerIn) -> dict[str, Any]:
    post = _post(request, post_id)
    if not policies.can_accept(request.user, post):
        raise ApiError(403, message=_("Only the author of the question or an animator chooses its answer."))
    found = _comment(post, payload.comment_id)
    try:
        actions.accept_answer(request.user, post, found)
    except PermissionDenied as error:
        raise _refused(error) from None
    except ValidationError as error:
        raise _invalid(error) from None
    return {"post_id": post.pk, "solved": True, "accepted_comment_id": found.pk}


@router.delete("/posts/{post_id}/answer", response={200: AnswerOut, **ERRORS}, summary="Reopen a question")
def unaccept(request: HttpRequest, post_id: int) -> dict[str, Any]:
    post = _post(request, post_id)
    if not policies.can_accept(request.user, post):
        raise ApiError(403, message=_("Only the author of the question or an animator chooses its answer."))
    actions.unaccept_answer(request.user, post)
    return {"post_id": post.pk, "solved": False, "accepted_comment_id": None}
