"""Pages of a discussion: the post's own page (post, comments with replies, reactions, accepted
answer), commenting and replying, editing and deleting a comment, its history, reacting, accepting an
answer. Thin adapters around ``actions``, ``queries`` and ``policies``; a post the reader may not see
is a 404 everywhere."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tribu.core import policies as core_policies
from tribu.core.decorators import allowed_if
from tribu.feed.models import Comment, Post, Revision
from tribu.groups import policies as group_policies

from . import actions, policies, queries
from . import render as render_comments
from .forms import CommentForm

member_area = allowed_if(core_policies.is_member_area_allowed)


def _post_for(request: HttpRequest, post_id: int, *, for_page: bool = False) -> Post:
    """The post if ``request.user`` may see it, else 404."""
    post = queries.post_for(request.user, post_id, for_page=for_page)
    if post is None:
        raise Http404
    return post


def _comment_for(post: Post, comment_id: int) -> Comment:
    comment = Comment.objects.select_related("author", "parent__author").filter(pk=comment_id, post_id=post.pk).first()
    if comment is None or comment.deleted_at is not None:
        raise Http404
    comment.post = post
    return comment


def _post_data(request: HttpRequest) -> Any:
    """``request.POST``, or None when the request is bigger than the server accepts."""
    try:
        return request.POST
    except RequestDataTooBig:
        return None


def _too_big(request: HttpRequest) -> HttpResponse:
    return render(request, "feed/discussion/refused.html",
                  {"message": _("This text is far too long to be sent. Keep a comment under %(n)d characters.")
                   % {"n": actions.MAX_COMMENT}}, status=413)


def _decorate_post(post: Post) -> None:
    """What the page shows beyond the row: attachments, the link card, the address."""
    from tribu.feed.actions import post_url
    from tribu.media.links import card_for
    from tribu.media.queries import attachments_for

    post.url = post_url(post)  # type: ignore[attr-defined]
    # ``post_for(..., for_page=True)`` tells whether there is any file to read.
    found = attachments_for([post]).get(post.pk, []) if getattr(post, "has_attachments", True) else []
    post.attachments = found  # type: ignore[attr-defined]
    post.link_card = card_for(post.link_url) if post.link_url else None  # type: ignore[attr-defined]


def _render_context(request: HttpRequest, post: Post, **extra: Any) -> render_comments.Context:
    user = request.user
    return render_comments.Context(post=post, csrf_token=get_token(request),
                                   can_comment=policies.can_comment(user, post),
                                   can_see_history=policies.can_view_comment_history(user, post), **extra)


def _page_context(request: HttpRequest, post: Post, *, form: CommentForm | None = None,
                  reply_to: int | None = None, reply_form: CommentForm | None = None) -> dict[str, Any]:
    from tribu.feed import policies as post_policies

    user = request.user
    after = request.GET.get("after")
    page = queries.discussion_page(post, user, after=int(after) if after and after.isdigit() else None)
    _decorate_post(post)
    moderates = policies.moderates(user, post)
    extra: dict[str, Any] = {}
    if reply_form is not None:
        extra = {"reply_to": reply_to, "reply_body": reply_form.data.get("body", ""),
                 "reply_errors": [str(e) for e in reply_form.non_field_errors()] + [str(e) for e in
                                                                                     reply_form.errors.get("body", [])]}
    ctx = _render_context(request, post, **extra)
    return {
        "post": post,
        "page": page,
        "comments_html": render_comments.comments_html(page.comments, ctx, next_after=page.next_after),
        "accepted_html": mark_safe(  # noqa: S308 - every value is escaped by render.py
            render_comments.comment_html(page.accepted, ctx, anchor="answer", in_thread=page.accepted_in_page))
        if page.accepted else "",
        "has_comments": bool(page.comments),
        "summary": page.post_summary,
        "form": form or CommentForm(),
        "can_comment": ctx.can_comment,
        "locked_for_me": post.locked_at is not None and not moderates,
        "can_edit_post": post_policies.can_edit(user, post),
        "moderates": moderates,
        "tags": post.tag_names if hasattr(post, "tag_names") else [t.name for t in post.tags.all()],
        "mention_url": reverse("feed:mention_suggestions") + (f"?group={post.group_id}" if post.group_id else ""),
        "is_member": post.group_id is None or group_policies.is_member(user, post.group),
    }


@member_area
@require_GET
def detail(request: HttpRequest, post_id: int) -> HttpResponse:
    post = _post_for(request, post_id, for_page=True)
    if request.headers.get("HX-Request") and request.GET.get("after"):
        after = request.GET["after"]
        page = queries.discussion_page(post, request.user, after=int(after) if after.isdigit() else None,
                                       with_post=False)
        html = render_comments.comments_html(page.comments, _render_context(request, post),
                                             next_after=page.next_after)
        return HttpResponse(html)
    return render(request, "feed/discussion/detail.html", _page_context(request, post))


@member_area
@require_POST
def comment(request: HttpRequest, post_id: int) -> HttpResponse:
    post = _post_for(request, post_id)
    data = _post_data(request)
    if data is None:
        return _too_big(request)
    parent = None
    if data.get("parent"):
        parent = queries.live_comment(post, data.get("parent"))
        if parent is None:
            messages.error(request, _("The comment you answer no longer exists."))
            return HttpResponseRedirect(reverse("feed:detail", args=[post.pk]))
    form = CommentForm(data)
    status = 400
    if form.is_valid():
        try:
            created = actions.create_comment(request.user, post, form.cleaned_data["body"], parent=parent)
        except ValidationError as error:
            form.add_error("body", error.message_dict.get("body") or error.messages)
        except PermissionDenied as error:
            form.add_error(None, str(error) or _("You cannot comment here."))
            status = 403
        else:
            if created._unreached:  # type: ignore[attr-defined]
                messages.warning(request, _("Not told (they cannot see this post): %(names)s.")
                                 % {"names": ", ".join(created._unreached)})  # type: ignore[attr-defined]
            return HttpResponseRedirect(reverse("feed:detail", args=[post.pk]) + f"#comment-{created.pk}")
    if parent is not None:
        context = _page_context(request, post, reply_to=parent.parent_id or parent.pk, reply_form=form)
    else:
        context = _page_context(request, post, form=form)
    return render(request, "feed/discussion/detail.html", context, status=status)


@member_area
@require_http_methods(["GET", "POST"])
def edit_comment(request: HttpRequest, post_id: int, comment_id: int) -> HttpResponse:
    post = _post_for(request, post_id)
    found = _comment_for(post, comment_id)
    if not policies.can_edit_comment(request.user, found, post):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        data = _post_data(request)
        if data is None:
            return _too_big(request)
        form = CommentForm(data)
        if form.is_valid():
            try:
                actions.edit_comment(request.user, found, form.cleaned_data["body"])
            except ValidationError as error:
                form.add_error("body", error.message_dict.get("body") or error.messages)
            else:
                messages.success(request, _("Your changes are saved."))
                return HttpResponseRedirect(reverse("feed:detail", args=[post.pk]) + f"#comment-{found.pk}")
        status = 400
    else:
        form = CommentForm(initial={"body": found.body})
    return render(request, "feed/discussion/edit.html", {
        "post": post, "comment": found, "form": form,
        "mention_url": reverse("feed:mention_suggestions") + (f"?group={post.group_id}" if post.group_id else ""),
    }, status=status)


@member_area
@require_POST
def delete_comment(request: HttpRequest, post_id: int, comment_id: int) -> HttpResponse:
    post = _post_for(request, post_id)
    found = _comment_for(post, comment_id)
    actions.delete_comment(request.user, found)
    messages.success(request, _("The comment is deleted."))
    return HttpResponseRedirect(reverse("feed:detail", args=[post.pk]) + "#comments")


@member_area
@require_GET
def comment_history(request: HttpRequest, post_id: int, comment_id: int) -> HttpResponse:
    post = _post_for(request, post_id)
    if not policies.can_view_comment_history(request.user, post):
        raise PermissionDenied
    found = Comment.objects.select_related("author").filter(pk=comment_id, post_id=post.pk).first()
    if found is None:
        raise Http404
    revisions = Revision.objects.filter(comment=found).select_related("editor")
    return render(request, "feed/discussion/history.html", {"post": post, "comment": found, "revisions": revisions})


@member_area
@require_POST
def react(request: HttpRequest, post_id: int) -> HttpResponse:
    post = _post_for(request, post_id)
    target: Post | Comment = post
    if request.POST.get("comment"):
        try:
            target = _comment_for(post, int(request.POST["comment"]))
        except ValueError:
            raise Http404 from None
    emoji = request.POST.get("emoji", "")
    try:
        actions.toggle_reaction(request.user, target, emoji)
    except ValidationError as error:
        return render(request, "feed/discussion/refused.html", {"message": " ".join(error.messages)}, status=400)
    if request.headers.get("HX-Request"):
        summary = queries.summary_for(target, request.user)
        return render(request, "feed/discussion/_reactions.html", {"target": target, "summary": summary})
    anchor = f"#comment-{target.pk}" if isinstance(target, Comment) else ""
    nxt = request.POST.get("next", "")
    from django.utils.http import url_has_allowed_host_and_scheme

    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return HttpResponseRedirect(nxt)
    return HttpResponseRedirect(reverse("feed:detail", args=[post.pk]) + anchor)


@member_area
@require_POST
def accept(request: HttpRequest, post_id: int) -> HttpResponse:
    post = _post_for(request, post_id)
    if not policies.can_accept(request.user, post):
        raise PermissionDenied
    if request.POST.get("value") == "0":
        actions.unaccept_answer(request.user, post)
        messages.success(request, _("The question is open again."))
        return HttpResponseRedirect(reverse("feed:detail", args=[post.pk]))
    try:
        found = _comment_for(post, int(request.POST.get("comment", "")))
    except ValueError:
        raise Http404 from None
    try:
        actions.accept_answer(request.user, post, found)
    except ValidationError as error:
        return render(request, "feed/discussion/refused.html", {"message": " ".join(error.messages)}, status=400)
    messages.success(request, _("The answer is accepted: the question shows as solved."))
    return HttpResponseRedirect(reverse("feed:detail", args=[post.pk]) + f"#comment-{found.pk}")
