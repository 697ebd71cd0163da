"""Read side of groups: listings filtered by the rules of ``policies`` in SQL, with bounded queries.

- ``visible_groups(user)``: the groups ``user`` may know exist (directory, search, API, links).
- ``readable_groups(user)``: the groups whose content ``user`` may read (feeds, events, library).
Both run at most three small queries before the listing itself (the user's group memberships, their
tiers, the tier-restricted groups), whatever the number of groups or their depth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.db.models.functions import Left
from django.http import Http404

from tribu.memberships import access
from tribu.memberships.models import RestrictionMode

from . import policies
from .models import (
    CreationPolicy,
    CreationRequest,
    Group,
    GroupInvitation,
    GroupMembership,
    GroupType,
    JoinRequest,
    RequestStatus,
    Visibility,
)

PAGE_SIZE = 24
MEMBERS_PAGE_SIZE = 50


RESTRICTED_CACHE_KEY = "groups:tier-restricted:v1"


def restricted_groups() -> list[tuple[str, str, frozenset[int]]]:
    """Every tier-restricted group as (path, mode, tier ids), from the cache (forgotten by the actions
    that change a group's tiers, mode or place in the tree). Usually a handful of rows."""
    rows = cache.get(RESTRICTED_CACHE_KEY)
    if rows is None:
        through = Group.required_tiers.through
        by_group: dict[int, set[int]] = {}
        for group_id, tier_id in through.objects.values_list("group_id", "tier_id"):
            by_group.setdefault(group_id, set()).add(tier_id)
        rows = [
            (path, mode, frozenset(by_group[pk]))
            for pk, path, mode in Group.objects.filter(pk__in=list(by_group)).order_by().values_list(
                "pk", "path", "restriction_mode")
        ]
        cache.set(RESTRICTED_CACHE_KEY, rows, 300)
    return rows


def forget_restricted() -> None:
    cache.delete(RESTRICTED_CACHE_KEY)


def restriction_rules() -> dict[str, access.Rule]:
    """The tier rule of every tier-restricted group, by path (from the cache: no query most of the time)."""
    return {path: access.Rule(tiers, mode) for path, mode, tiers in restricted_groups()}


def _restricted_paths(user: Any, *, hidden_only: bool) -> list[str]:
    """Paths of the tier-restricted groups closed to ``user`` (their subtrees are closed too)."""
    rows = [r for r in restricted_groups() if not hidden_only or r[1] == RestrictionMode.HIDDEN]
    if not rows:
        return []
    mine = access.effective_tier_ids(user)
    return sorted({path for path, _mode, tiers in rows if not tiers & mine})


def _in_subtrees(paths: list[str]) -> tuple[dict[str, Any], Q]:
    """Rows inside any of these subtrees: their path starts with one of ``paths``. Paths are grouped by
    length, so the test is one ``left(path, n) IN (...)`` per depth (hash lookups), not one ``LIKE``
    per subtree: the cost does not grow with the number of subtrees."""
    by_length: dict[int, set[str]] = {}
    for path in paths:
        by_length.setdefault(len(path), set()).add(path)
    aliases = {f"prefix_{n}": Left("path", n) for n in by_length}
    q = Q(pk__in=[])
    for n, prefixes in sorted(by_length.items()):
        q |= Q(**{f"prefix_{n}__in": sorted(prefixes)})
    return aliases, q


def _filtered(user: Any, visibilities: list[str], *, hidden_only: bool) -> QuerySet[Group]:
    v = policies.viewer(user)
    groups = Group.objects.all()
    if not v.authenticated:
        return groups.none()
    if v.team:
        return groups
    open_q = Q(effective_visibility__in=visibilities)
    if v.guest:
        open_q &= Q(effective_guests=True)
    closed = _restricted_paths(user, hidden_only=hidden_only)
    closed_aliases, closed_q = _in_subtrees(closed)
    if closed:
        open_q &= ~closed_q
    lead_aliases, lead_q = _in_subtrees(list(v.lead_paths))
    insider_q = Q(pk__in=list(v.roles)) | lead_q if v.roles else lead_q
    return groups.alias(**{**closed_aliases, **lead_aliases}).filter(open_q | insider_q)


def visible_groups(user: Any) -> QuerySet[Group]:
    """Groups ``user`` may know exist: public and moderated ones (minus those hidden by tier or not open
    to guests), plus their own groups and the sub-groups of the groups they animate."""
    return _filtered(user, [Visibility.PUBLIC, Visibility.MODERATED], hidden_only=True)


def readable_groups(user: Any) -> QuerySet[Group]:
    """Groups whose content ``user`` may read: public ones open to them, plus their own groups."""
    return _filtered(user, [Visibility.PUBLIC], hidden_only=False)


# --- one group ------------------------------------------------------------------------------------


def load_ancestors(group: Group, *, with_children: bool = False) -> list[Group]:
    """The group's ancestors, root first (the ids come from the path), and with ``with_children`` its
    active sub-groups too: one query whatever the depth."""
    ids = group.ancestor_ids()
    rows = Group.objects.filter(pk__in=ids) if ids else Group.objects.none()
    if with_children:
        rows = Group.objects.filter(Q(pk__in=ids) | Q(parent=group, archived_at__isnull=True)).select_related("type")
    found = list(rows) if ids or with_children else []
    by_id = {g.pk: g for g in found}
    group._ancestors = [by_id[i] for i in ids if i in by_id]  # type: ignore[attr-defined]
    if with_children:
        children = sorted((g for g in found if g.parent_id == group.pk), key=lambda g: (g.name, g.pk))
        group._children = children[:100]  # type: ignore[attr-defined]
    return group._ancestors  # type: ignore[attr-defined]


def group_for(user: Any, slug: str) -> Group:
    """The group at ``slug`` if ``user`` may know it exists, else ``Http404`` (same answer for a
    group that does not exist and one they may not see). Ancestors are loaded for the breadcrumbs."""
    group = Group.objects.select_related("type").filter(slug=slug).first()
    if group is None:
        raise Http404
    if not policies.knows_exists(user, group):
        raise Http404
    load_ancestors(group, with_children=True)
    return group


def group_by_id_for(user: Any, group_id: int) -> Group:
    slug = Group.objects.filter(pk=group_id).values_list("slug", flat=True).first()
    if slug is None:
        raise Http404
    return group_for(user, slug)


def breadcrumbs(user: Any, group: Group) -> list[dict[str, Any]]:
    """Ancestors root first; the ones ``user`` may not know of are shown without name."""
    ancestors = getattr(group, "_ancestors", None)
    if ancestors is None:
        ancestors = load_ancestors(group)
    return [{"group": node} for node in ancestors if policies.knows_exists(user, node)]


# --- listings -------------------------------------------------------------------------------------


@dataclass
class Filters:
    q: str = ""
    type_id: int | None = None
    mine: bool = False
    parent_id: int | None = None


def parse_filters(params: Any) -> Filters:
    q = " ".join(str(params.get("q", "")).split())[:100]
    try:
        type_id = int(params.get("type") or 0) or None
    except ValueError:
        type_id = None
    return Filters(q=q, type_id=type_id, mine=params.get("mine") == "1")


def directory(user: Any, filters: Filters, *, include_archived: bool = False) -> QuerySet[Group]:
    groups = visible_groups(user).select_related("type")
    if not include_archived:
        groups = groups.filter(archived_at__isnull=True)
    if filters.q:
        groups = groups.filter(Q(name__icontains=filters.q) | Q(summary__icontains=filters.q))
    if filters.type_id:
        groups = groups.filter(type_id=filters.type_id)
    if filters.mine:
        groups = groups.filter(pk__in=list(policies.viewer(user).roles))
    if filters.parent_id:
        groups = groups.filter(parent_id=filters.parent_id)
    return groups.order_by("name", "id")


def page_of(rows: Any, number: Any, size: int = PAGE_SIZE) -> Page:
    return Paginator(rows, size).get_page(number)


def group_types() -> list[GroupType]:
    return list(GroupType.objects.all())


def sub_groups(user: Any, group: Group) -> list[Group]:
    """The sub-groups ``user`` may know of, decided by ``policies`` on the rows: one query whatever
    the depth (the rules need no ancestor row: inherited settings are on the row, tiers by path)."""
    children = getattr(group, "_children", None)
    if children is None:
        children = list(
            Group.objects.filter(parent=group, archived_at__isnull=True).select_related("type").order_by("name")[:100]
        )
    return [c for c in children if policies.knows_exists(user, c)]


def members(group: Group, q: str = "") -> QuerySet[GroupMembership]:
    rows = GroupMembership.objects.filter(group=group).select_related("user")
    if q:
        rows = rows.filter(
            Q(user__display_name__icontains=q) | Q(user__first_name__icontains=q)
            | Q(user__last_name__icontains=q) | Q(user__email__icontains=q)
        )
    return rows.order_by("user__display_name", "user__email")


def leaders(group: Group) -> list[GroupMembership]:
    return list(
        GroupMembership.objects.filter(group=group, role__in=["owner", "animator"]).select_related("user")
        .order_by("role", "joined_at")
    )


def pending_requests(group: Group) -> QuerySet[JoinRequest]:
    return JoinRequest.objects.filter(group=group, status=RequestStatus.PENDING).select_related("user")


def my_pending_request(user: Any, group: Group) -> JoinRequest | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return JoinRequest.objects.filter(group=group, user=user, status=RequestStatus.PENDING).first()


def pending_invitations(group: Group) -> QuerySet[GroupInvitation]:
    from django.utils import timezone

    return GroupInvitation.objects.filter(
        group=group, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("invited_by")


def my_memberships(user: Any) -> QuerySet[GroupMembership]:
    return GroupMembership.objects.filter(user=user).select_related("group", "group__type").order_by("group__name")


def creation_policy() -> CreationPolicy:
    policy, _created = CreationPolicy.objects.get_or_create(pk=1)
    return policy


def creation_requests(status: str = RequestStatus.PENDING) -> QuerySet[CreationRequest]:
    return CreationRequest.objects.filter(status=status).select_related("requested_by", "type", "parent")


def manage_list(q: str = "") -> QuerySet[Group]:
    groups = Group.objects.select_related("type", "parent")
    if q:
        groups = groups.filter(name__icontains=q)
    return groups.order_by("path")
