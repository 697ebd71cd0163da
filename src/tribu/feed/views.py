"""Pages of the feed: the home feed, the composer, drafts, edit and history, tags and follows, the
unanswered list, mention suggestions, welcome blocks; and the group feed tab's posting, pinning and
deleting. Thin adapters around ``actions``, ``queries`` and ``policies``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tribu.core import policies as core_policies
from tribu.core.decorators import allowed_if
from tribu.core.forms import add_action_errors
from tribu.groups import policies as group_policies
from tribu.groups import queries as group_queries

from . import actions, card_render, policies, queries
from .forms import ComposeForm, PostForm, WelcomeBlockForm
from .models import Post, PostKind, PostStatus, Revision, WelcomeBlock

member_area = allowed_if(core_policies.is_member_area_allowed)


def _post_for(request: HttpRequest, post_id: int) -> Post:
    """The post if ``request.user`` may see it (drafts: their author and the place's moderators), else 404."""
    post = Post.objects.select_related("group", "author").filter(pk=post_id).first()
    if post is None:
        raise Http404
    if post.group_id:
        if not group_policies.knows_exists(request.user, post.group):
            raise Http404
        group_queries.load_ancestors(post.group)
    if not policies.can_view(request.user, post):
        raise Http404
    return post


def _next(request: HttpRequest, post: Post | None = None) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    if post is not None and post.group_id:
        return reverse("groups:detail", args=[post.group.slug])
    return reverse("feed:index")


def _sort(request: HttpRequest) -> str:
    sort = request.GET.get("sort", "latest")
    return sort if sort in queries.SORTS else "latest"


# --- the home feed ---------------------------------------------------------------------------------


@member_area
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    sort = _sort(request)
    cursor = queries.Cursor.decode(request.GET.get("before"))
    posts, next_cursor = queries.home_feed(user, sort=sort, cursor=cursor)
    pinned = queries.pinned_on_home(user) if cursor is None else []
    card_render.attach(queries.cards(pinned + posts, user), request)
    context = {"posts": posts, "pinned": pinned, "next_cursor": next_cursor, "sort": sort, "cursor": cursor,
               "base_url": reverse("feed:index")}
    if request.headers.get("HX-Request"):
        return render(request, "feed/_stream.html", context)
    context.update({
        "blocks": queries.welcome_blocks_for(user),
        "can_post": policies.can_post_in(user, None) or bool(group_policies.viewer(user).roles),
        "can_see_unanswered": policies.can_see_unanswered(user),
    })
    return render(request, "feed/index.html", context)


@member_area
@require_GET
def tag(request: HttpRequest, name: str) -> HttpResponse:
    found = queries.tag_named(name)
    if found is None:
        raise Http404
    sort = _sort(request)
    cursor = queries.Cursor.decode(request.GET.get("before"))
    posts, next_cursor = queries.tag_feed(request.user, found, sort=sort, cursor=cursor)
    card_render.attach(queries.cards(posts, request.user), request)
    context = {"tag": found, "posts": posts, "pinned": [], "next_cursor": next_cursor, "sort": sort,
               "cursor": cursor, "base_url": reverse("feed:tag", args=[found.name])}
    if request.headers.get("HX-Request"):
        return render(request, "feed/_stream.html", context)
    context["following"] = queries.follows_tag(request.user, found)
    return render(request, "feed/tag.html", context)


@member_area
@require_POST
def follow_tag(request: HttpRequest, name: str) -> HttpResponse:
    found = queries.tag_named(name)
    if found is None:
        raise Http404
    if request.POST.get("follow") == "0":
        actions.unfollow_tag(request.user, found)
        messages.success(request, _("You no longer follow #%(tag)s.") % {"tag": found.name})
    else:
        actions.follow_tag(request.user, found.name)
        messages.success(request, _("Posts tagged #%(tag)s will come to your feed.") % {"tag": found.name})
    return redirect(_next(request) if request.POST.get("next") else reverse("feed:tag", args=[found.name]))


@member_area
@require_POST
def follow_member(request: HttpRequest, user_id: int) -> HttpResponse:
    from tribu.accounts.models import User

    member = User.objects.filter(pk=user_id, is_active=True).first()
    if member is None:
        raise Http404
    try:
        if request.POST.get("follow") == "0":
            actions.unfollow_member(request.user, member)
            messages.success(request, _("You no longer follow %(name)s.") % {"name": member.name})
        else:
            actions.follow_member(request.user, member)
            messages.success(request, _("%(name)s's posts will come to your feed.") % {"name": member.name})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_next(request))
    return redirect(_next(request))


# --- composing -------------------------------------------------------------------------------------


def _kinds(user: Any, group: Any) -> list[tuple[str, str]]:
    kinds = [(PostKind.DISCUSSION, _("Discussion")), (PostKind.QUESTION, _("Question")),
             (PostKind.ARTICLE, _("Article")), (PostKind.LINK, _("Link"))]
    if policies.can_announce(user, group):
        kinds.append((PostKind.ANNOUNCEMENT, _("Announcement")))
    return kinds


def _all_kinds(user: Any, groups: list[Any]) -> list[tuple[str, str]]:
    """Every kind the user may choose somewhere among ``groups`` (the action checks the chosen place)."""
    kinds = _kinds(user, None)
    if len(kinds) == 4 and any(policies.can_announce(user, g) for g in groups):
        kinds.append((PostKind.ANNOUNCEMENT, _("Announcement")))
    return kinds


def _places(user: Any, groups: list[Any]) -> list[tuple[str, str]]:
    places = [("", _("The community feed"))] if policies.can_post_in(user, None) else []
    return places + [(str(g.pk), g.name) for g in groups if policies.can_post_in(user, g)]


def _alts(form: ComposeForm) -> list[str]:
    return [line.strip() for line in (form.cleaned_data.get("alts") or "").splitlines()]


def _status_of(form: ComposeForm) -> tuple[str, Any]:
    action = form.cleaned_data.get("action") or "publish"
    if action == "draft":
        return PostStatus.DRAFT, None
    if action == "schedule":
        return PostStatus.SCHEDULED, form.cleaned_data.get("publish_at")
    return PostStatus.PUBLISHED, None


def _tell_unreached(request: HttpRequest, post: Post) -> None:
    unreached = getattr(post, "_unreached", [])
    if unreached:
        messages.warning(request, _("Not notified, because they cannot see this place or you may not mention "
                                    "them: %(names)s. Their name shows as plain text.")
                         % {"names": ", ".join(unreached)})


def _published_message(request: HttpRequest, post: Post) -> None:
    if post.status == PostStatus.DRAFT:
        messages.success(request, _("Your draft is saved."))
    elif post.status == PostStatus.SCHEDULED:
        messages.success(request, _("Your post is scheduled."))
    else:
        messages.success(request, _("Your post is published."))


def _too_big(request: HttpRequest) -> HttpResponse | None:
    """A clear page when the form sent is bigger than the server accepts (a 5 MB paste)."""
    if request.method != "POST":
        return None
    try:
        request.POST  # noqa: B018 - parsing is what raises
        request.FILES  # noqa: B018
    except RequestDataTooBig:
        messages.error(request, _("This text is far too long to be sent. Keep a post under %(n)d characters.")
                       % {"n": actions.MAX_BODY})
        response = render(request, "feed/too_big.html", status=413)
        return response
    return None


@member_area
def compose(request: HttpRequest) -> HttpResponse:
    too_big = _too_big(request)
    if too_big is not None:
        return too_big
    user = request.user
    groups = list(queries.postable_groups(user))
    chosen = request.GET.get("group") or request.POST.get("place") or ""
    if chosen and chosen.isdigit() and int(chosen) not in {g.pk for g in groups}:
        extra = group_queries.group_by_id_for(user, int(chosen))  # 404 for a group they may not know
        groups.append(extra)
    places = _places(user, groups)
    if not places:
        raise PermissionDenied
    form = ComposeForm(request.POST or None, request.FILES or None, places=places, kinds=_all_kinds(user, groups),
                       initial={"place": chosen})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            place = form.cleaned_data.get("place") or ""
            group = next((g for g in groups if str(g.pk) == place), None)
            state, publish_at = _status_of(form)
            try:
                post = actions.create_post(
                    user, group, form.cleaned_data["body"], kind=form.cleaned_data["kind"],
                    title=form.cleaned_data["title"], link_url=form.cleaned_data["link_url"],
                    tags=form.cleaned_data["tags"], cover=form.cleaned_data.get("cover"),
                    cover_alt=form.cleaned_data["cover_alt"], status=state, publish_at=publish_at,
                    files=form.cleaned_data.get("files"), alts=_alts(form))
            except PermissionDenied as error:
                form.add_error(None, str(error) or _("You may not post here."))
                status = 403
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                _tell_unreached(request, post)
                _published_message(request, post)
                if post.status != PostStatus.PUBLISHED:
                    return redirect("feed:drafts")
                return redirect(actions.post_url(post))
    return render(request, "feed/compose.html", {
        "form": form, "editing": None, "mention_url": reverse("feed:mention_suggestions"),
        "group_ids": [g.pk for g in groups],
    }, status=status)


@member_area
def edit(request: HttpRequest, post_id: int) -> HttpResponse:
    too_big = _too_big(request)
    if too_big is not None:
        return too_big
    post = _post_for(request, post_id)
    if not policies.can_edit(request.user, post):
        raise PermissionDenied
    group = post.group if post.group_id else None
    kinds = _kinds(request.user, group) if post.kind != PostKind.WELCOME else [(PostKind.WELCOME, _("Welcome"))]
    if post.kind == PostKind.ANNOUNCEMENT and (PostKind.ANNOUNCEMENT, _("Announcement")) not in kinds:
        kinds.append((PostKind.ANNOUNCEMENT, _("Announcement")))
    initial = {"kind": post.kind, "title": post.title, "body": post.body, "link_url": post.link_url,
               "cover_alt": post.cover_alt, "tags": " ".join(t.name for t in post.tags.all()),
               "publish_at": post.publish_at, "action": "publish" if post.status == PostStatus.PUBLISHED else (
                   "schedule" if post.status == PostStatus.SCHEDULED else "draft")}
    form = ComposeForm(request.POST or None, request.FILES or None, kinds=kinds, editing=True, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            changes = {f: form.cleaned_data[f] for f in ("body", "title", "link_url", "tags", "cover_alt", "kind")}
            if form.cleaned_data.get("cover"):
                changes["cover"] = form.cleaned_data["cover"]
            if form.cleaned_data.get("files"):
                changes["files"], changes["alts"] = form.cleaned_data["files"], _alts(form)
            if post.status != PostStatus.PUBLISHED:
                changes["status"], changes["publish_at"] = _status_of(form)
            try:
                post = actions.edit_post(request.user, post, **changes)
            except PermissionDenied:
                raise
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                _tell_unreached(request, post)
                if post.status == PostStatus.PUBLISHED:
                    messages.success(request, _("Your changes are saved."))
                    return redirect(actions.post_url(post))
                _published_message(request, post)
                return redirect("feed:drafts")
    return render(request, "feed/compose.html", {
        "form": form, "editing": post, "mention_url": reverse("feed:mention_suggestions"),
        "group_ids": [post.group_id] if post.group_id else [],
    }, status=status)


@member_area
@require_GET
def drafts(request: HttpRequest) -> HttpResponse:
    return render(request, "feed/drafts.html", {"posts": list(queries.drafts(request.user)[:200])})


@member_area
@require_POST
def publish(request: HttpRequest, post_id: int) -> HttpResponse:
    post = _post_for(request, post_id)
    post = actions.publish_post(request.user, post)
    messages.success(request, _("Your post is published."))
    return redirect(actions.post_url(post))


@member_area
@require_GET
def history(request: HttpRequest, post_id: int) -> HttpResponse:
    post = _post_for(request, post_id)
    if not policies.can_view_history(request.user, post):
        raise PermissionDenied
    revisions = Revision.objects.filter(post=post).select_related("editor").order_by("-created_at", "-id")[:100]
    return render(request, "feed/history.html", {"post": post, "revisions": revisions})


# --- moderation ------------------------------------------------------------------------------------


def _toggle_view(request: HttpRequest, post_id: int, do: Any, on: str, off: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    post = _post_for(request, post_id)
    value = request.POST.get("value", request.POST.get("pinned", "1")) == "1"
    do(request.user, post, value)
    messages.success(request, on if value else off)
    return redirect(_next(request, post))


@require_POST
def pin(request: HttpRequest, post_id: int) -> HttpResponse:
    return _toggle_view(request, post_id, actions.set_pinned, _("The post was pinned."), _("The post was unpinned."))


@require_POST
def lock(request: HttpRequest, post_id: int) -> HttpResponse:
    return _toggle_view(request, post_id, actions.set_locked, _("The post is locked: no new comments."),
                        _("The post is open to comments again."))


@require_POST
def feature(request: HttpRequest, post_id: int) -> HttpResponse:
    return _toggle_view(request, post_id, actions.set_featured, _("The post is featured."),
                        _("The post is no longer featured."))


@require_POST
def delete(request: HttpRequest, post_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("feed:index"))
    post = _post_for(request, post_id)
    actions.delete_post(request.user, post)
    messages.success(request, _("The post was deleted."))
    target = _next(request, post)
    if target.startswith(reverse("feed:index") + "posts/"):
        target = reverse("groups:detail", args=[post.group.slug]) if post.group_id else reverse("feed:index")
    return redirect(target)


# --- the group feed tab's quick composer ------------------------------------------------------------


@require_POST
def create(request: HttpRequest, slug: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("groups:index"))
    group = group_queries.group_for(request.user, slug)
    form = PostForm(request.POST)
    if not form.is_valid():
        return render(request, "feed/refused.html", {"group": group, "form": form}, status=400)
    kind = form.cleaned_data.get("kind") or PostKind.DISCUSSION
    if kind == PostKind.ANNOUNCEMENT and not group_policies.can_moderate(request.user, group):
        kind = PostKind.DISCUSSION
    try:
        post = actions.create_post(request.user, group, form.cleaned_data["body"], kind=kind)
    except PermissionDenied:
        return render(request, "feed/refused.html",
                      {"group": group, "message": _("You may not post in this group.")}, status=403)
    except ValidationError as error:
        for message in error.messages:
            form.add_error("body", message)
        return render(request, "feed/refused.html", {"group": group, "form": form}, status=400)
    _tell_unreached(request, post)
    messages.success(request, _("Your post is published."))
    return redirect("groups:detail", slug=group.slug)


# --- unanswered ------------------------------------------------------------------------------------


@allowed_if(policies.can_see_unanswered)
@require_GET
def unanswered(request: HttpRequest) -> HttpResponse:
    try:
        hours = int(request.GET.get("hours") or queries.DEFAULT_UNANSWERED_HOURS)
    except ValueError:
        hours = queries.DEFAULT_UNANSWERED_HOURS
    if hours not in queries.UNANSWERED_HOURS:
        hours = queries.DEFAULT_UNANSWERED_HOURS
    groups = list(queries.animated_groups(request.user).order_by("name")[:500])
    raw_group = request.GET.get("group") or ""
    group_id = int(raw_group) if raw_group.isdigit() and int(raw_group) in {g.pk for g in groups} else None
    page = queries.page_of(queries.unanswered(request.user, hours=hours, group_id=group_id), request.GET.get("page"))
    for post in page:
        post.url = actions.post_url(post)  # type: ignore[attr-defined]
    return render(request, "feed/unanswered.html", {
        "page": page, "groups": groups, "hours": hours, "hour_choices": queries.UNANSWERED_HOURS,
        "group_id": group_id,
    })


# --- mention suggestions ---------------------------------------------------------------------------


@require_GET
def mention_suggestions(request: HttpRequest) -> HttpResponse:
    if not core_policies.is_member_area_allowed(request.user):
        return JsonResponse({"error": _("Log in to see members.")}, status=401)
    group = None
    raw = request.GET.get("group") or ""
    if raw:
        if not raw.isdigit():
            return JsonResponse({"error": _("Unknown group.")}, status=400)
        try:
            group = group_queries.group_by_id_for(request.user, int(raw))
        except Http404:
            return JsonResponse({"error": _("Unknown group.")}, status=404)
        if not group_policies.can_view(request.user, group):
            return JsonResponse({"error": _("Unknown group.")}, status=404)
    return JsonResponse(queries.mention_suggestions(request.user, request.GET.get("q", ""), group), safe=False)


# --- welcome blocks --------------------------------------------------------------------------------


@allowed_if(policies.can_manage_welcome_blocks)
def welcome_blocks(request: HttpRequest, block_id: int | None = None) -> HttpResponse:
    block = get_object_or_404(WelcomeBlock, pk=block_id) if block_id else None
    form = WelcomeBlockForm(request.POST or None, instance=block)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                actions.save_welcome_block(request.user, block, **form.cleaned_data)
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("The welcome block is saved."))
                return redirect("feed:welcome_blocks")
    blocks = WelcomeBlock.objects.select_related("tier", "group").order_by("position", "id")
    return render(request, "feed/welcome_blocks.html", {"form": form, "block": block, "blocks": blocks},
                  status=status)


@allowed_if(policies.can_manage_welcome_blocks)
@require_POST
def delete_welcome_block(request: HttpRequest, block_id: int) -> HttpResponse:
    actions.delete_welcome_block(request.user, get_object_or_404(WelcomeBlock, pk=block_id))
    messages.success(request, _("The welcome block is deleted."))
    return redirect("feed:welcome_blocks")
