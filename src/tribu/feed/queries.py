"""Read side of the feed: a group's posts, newest first with pinned ones on top, a bounded number
of queries per page whatever its length."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from .models import Post

PAGE_SIZE = 20


def group_posts(group: Any, *, with_subgroups_of: Any = None) -> QuerySet[Post]:
    """The group's posts; with ``with_subgroups_of=user``, also those of its sub-groups that user may read."""
    if with_subgroups_of is None:
        posts = Post.objects.filter(group=group)
    else:
        from tribu.groups.queries import readable_groups

        posts = Post.objects.filter(
            group__in=readable_groups(with_subgroups_of).filter(path__startswith=group.path).values("pk")
        )
    posts = posts.select_related("author").defer("body") if with_subgroups_of is None else posts.select_related(
        "author", "group").defer("body")
    return posts.order_by("-pinned", "-created_at", "-id")


def page_of(rows: Any, number: Any) -> Page:
    return Paginator(rows, PAGE_SIZE).get_page(number)
