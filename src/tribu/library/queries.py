"""Read side of the library: listings filtered by the rules of ``policies`` in SQL, with a fixed
number of queries whatever their length.

- ``visible_resources(user)``: every resource ``user`` may know exists (teasers included).
- ``listing(user, filters)``: the index/category/group listings, featured first when asked.
- ``annotate_access(user, rows)``: sets ``row.locked`` (teaser) on listed resources from their
  prefetched tiers (no query per row).
- ``resource_for(user, pk)``: one resource or ``Http404``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from tribu.core import policies as core_policies
from tribu.groups import policies as group_policies
from tribu.groups.models import Group
from tribu.groups.queries import readable_groups
from tribu.memberships import access
from tribu.memberships.models import RestrictionMode

from . import policies
from .models import Category, Resource, ResourceKind

PAGE_SIZE = 24
FEATURED_LIMIT = 6


def _managed_group_q(user: Any) -> Q:
    """Groups ``user`` animates (or whose ancestor they animate)."""
    paths = group_policies.viewer(user).lead_paths
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(path__startswith=path)
    return q


def _place_q(user: Any) -> Q:
    return Q(group__isnull=True) | Q(group__in=readable_groups(user))


def visible_resources(user: Any) -> QuerySet[Resource]:
    """Resources ``user`` may know exist: in a place they may read, published (or managed by them),
    and not hidden from them by a tier rule in ``hidden`` mode."""
    if not policies.can_browse(user):
        return Resource.objects.none()
    rows = Resource.objects.all()
    if core_policies.is_team(user):
        return rows
    rows = rows.filter(_place_q(user))
    managed = Group.objects.filter(_managed_group_q(user), archived_at__isnull=True)
    mine = access.effective_tier_ids(user)
    through = Resource.required_tiers.through
    closed = through.objects.filter(resource__restriction_mode=RestrictionMode.HIDDEN).exclude(
        resource_id__in=through.objects.filter(tier_id__in=list(mine)).values("resource_id")
    ).values("resource_id")
    public = Q(published=True) & ~Q(pk__in=closed)
    if group_policies.viewer(user).lead_paths:
        return rows.filter(public | Q(group__in=managed))
    return rows.filter(public)


def with_display(rows: QuerySet[Resource]) -> QuerySet[Resource]:
    return rows.select_related("category", "group", "author", "discussion").prefetch_related("required_tiers")


def annotate_access(user: Any, rows: Any) -> list[Resource]:
    """Mark each listed resource ``locked`` (a teaser for ``user``) and ``can_edit``; no query."""
    result = list(rows)
    for r in result:
        manager = policies.can_manage_place(user, r.group)
        r.can_edit = manager
        r.locked = not manager and access.decide(user, r) != access.Access.ALLOWED
    return result


@dataclass(frozen=True)
class Filters:
    q: str = ""
    kind: str = ""
    category_id: int | None = None
    group_id: int | None = None
    community_only: bool = False


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def parse_filters(params: Any) -> Filters:
    kind = str(params.get("kind") or "")
    group = str(params.get("group") or "")
    return Filters(
        q=" ".join(str(params.get("q") or "").split())[:100],
        kind=kind if kind in ResourceKind.values else "",
        category_id=_int(params.get("category")),
        group_id=_int(group),
        community_only=group == "community",
    )


def listing(user: Any, filters: Filters, *, category: Category | None = None,
            group: Group | None = None) -> QuerySet[Resource]:
    rows = visible_resources(user)
    if category is not None:
        rows = rows.filter(Q(category=category) | Q(category__parent=category))
    elif filters.category_id:
        rows = rows.filter(Q(category_id=filters.category_id) | Q(category__parent_id=filters.category_id))
    if group is not None:
        rows = rows.filter(group=group)
    elif filters.community_only:
        rows = rows.filter(group__isnull=True)
    elif filters.group_id:
        rows = rows.filter(group_id=filters.group_id)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.q:
        rows = rows.filter(Q(title__icontains=filters.q) | Q(summary__icontains=filters.q))
    return rows.order_by("-featured", "-created_at", "-id")


def featured(user: Any, *, group: Group | None = None) -> list[Resource]:
    rows = visible_resources(user).filter(featured=True, published=True)
    rows = rows.filter(group=group) if group is not None else rows
    rows = with_display(rows.order_by("-created_at", "-id")).defer("body", "body_html")
    return annotate_access(user, rows[:FEATURED_LIMIT])


def page_of(user: Any, rows: QuerySet[Resource], number: Any, size: int = PAGE_SIZE) -> Page:
    page = Paginator(with_display(rows).defer("body", "body_html"), size).get_page(number)
    page.object_list = annotate_access(user, page.object_list)
    return page


def categories(group: Group | None = None) -> list[Category]:
    """Top-level categories of a place, each with ``children`` (two queries)."""
    rows = Category.objects.filter(group=group, parent__isnull=True).prefetch_related(
        Prefetch("children", queryset=Category.objects.order_by("position", "name_fr", "id"))
    )
    return list(rows)


def categories_for_choice(user: Any, group: Group | None) -> QuerySet[Category]:
    return Category.objects.filter(group=group).select_related("parent").order_by("parent_id", "position", "id")


def readable_library_groups(user: Any) -> list[Group]:
    """Groups with at least one resource that ``user`` may read, for the group filter."""
    ids = visible_resources(user).filter(group__isnull=False).values("group_id")
    return list(Group.objects.filter(pk__in=ids).order_by("name", "id").only("pk", "name", "slug"))


def category_for(user: Any, slug: str) -> Category:
    category = Category.objects.select_related("group", "parent").filter(slug=slug).first()
    if category is None or not policies.can_view_category(user, category):
        raise Http404
    return category


def resource_for(user: Any, pk: int) -> Resource:
    """The resource at ``pk`` if ``user`` may know it exists (teaser or open), else ``Http404``."""
    resource = (
        Resource.objects.select_related("category", "group", "author", "discussion")
        .prefetch_related("required_tiers").filter(pk=pk).first()
    )
    if resource is None or not policies.knows_exists(user, resource):
        raise Http404
    return resource


def managed_resources(user: Any) -> QuerySet[Resource]:
    """What ``user`` manages: everything for the team, their groups' resources for animators."""
    if core_policies.is_team(user):
        return Resource.objects.all()
    return Resource.objects.filter(group__in=Group.objects.filter(_managed_group_q(user), archived_at__isnull=True))


def managed_categories(user: Any) -> QuerySet[Category]:
    if core_policies.is_team(user):
        return Category.objects.select_related("group", "parent")
    return Category.objects.filter(
        group__in=Group.objects.filter(_managed_group_q(user), archived_at__isnull=True)
    ).select_related("group", "parent")


def manageable_groups(user: Any) -> list[Group]:
    """Groups where ``user`` may add resources (the team: every active group)."""
    rows = Group.objects.filter(archived_at__isnull=True)
    if not core_policies.is_team(user):
        rows = rows.filter(_managed_group_q(user))
    return list(rows.order_by("name", "id").only("pk", "name", "slug", "path", "archived_at"))
