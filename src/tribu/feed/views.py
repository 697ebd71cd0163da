"""Posting, pinning and deleting from a group's feed tab (thin adapters around ``actions``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tribu.groups import policies as group_policies
from tribu.groups import queries as group_queries

from . import actions
from .forms import PostForm
from .models import Post, PostKind


def _post_for(request: HttpRequest, post_id: int) -> Post:
    post = Post.objects.select_related("group").filter(pk=post_id).first()
    if post is None or post.group is None:
        raise Http404
    group = group_queries.group_for(request.user, post.group.slug)  # 404 for a group they may not see
    if not group_policies.can_view(request.user, group):
        raise Http404
    post.group = group
    return post


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
        actions.create_post(request.user, group, form.cleaned_data["body"], kind=kind)
    except PermissionDenied:
        return render(request, "feed/refused.html",
                      {"group": group, "message": _("You may not post in this group.")}, status=403)
    except ValidationError as error:
        for message in error.messages:
            form.add_error("body", message)
        return render(request, "feed/refused.html", {"group": group, "form": form}, status=400)
    messages.success(request, _("Your post is published."))
    return redirect("groups:detail", slug=group.slug)


@require_POST
def pin(request: HttpRequest, post_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("groups:index"))
    post = _post_for(request, post_id)
    actions.set_pinned(request.user, post, request.POST.get("pinned") == "1")
    messages.success(request, _("The post was pinned.") if request.POST.get("pinned") == "1"
                     else _("The post was unpinned."))
    return redirect("groups:detail", slug=post.group.slug)


@require_POST
def delete(request: HttpRequest, post_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("groups:index"))
    post = _post_for(request, post_id)
    actions.delete_post(request.user, post)
    messages.success(request, _("The post was deleted."))
    return redirect("groups:detail", slug=post.group.slug)
