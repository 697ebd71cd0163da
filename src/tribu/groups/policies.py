"""Who may do what with groups: the ONE place visibility and group rights are decided.

Pages, the API, notifications, emails, search and later the feed, events and library call these
(and ``queries.visible_groups(user)`` / ``queries.readable_groups(user)`` for listings, which apply the
same rules in SQL). Access is denied by default.

Entry points
- ``knows_exists(user, group)``: the group may appear to ``user`` at all (directory, search, its URL).
  False → every URL of the group is a 404 for them.
- ``can_view(user, group)``: ``user`` may read the group's content (feed, members, library, events).
- ``can_join`` (one click, public groups), ``can_request`` (moderated groups), ``can_post``,
  ``can_invite``, ``can_approve``, ``can_edit``, ``can_moderate`` (pin, delete posts), ``can_leave``.
- ``is_member(user, group)``, ``role_in(user, group)``, ``is_animator(user, group)`` (an owner or
  animator of the group or of one of its ancestors: animators of a parent animate its sub-groups).

Rules
- Anonymous visitors see nothing (pages send them to the login page before any lookup, the API
  answers 401). The community team (admins, staff) sees and manages every group.
- Visibility is the group's *effective* visibility: the strictest of its own and its ancestors'
  (a private parent's public sub-group stays private). Public: every member sees the content and
  joins in one click. Moderated: members see the group and its about tab; joining is a request an
  animator approves. Private: only its members (and animators of a parent) learn that it exists.
- Guests only see groups open to guests (the group and every ancestor).
- Tier restriction (``TierRestricted`` on the group and its ancestors): ``hidden`` mode hides the
  group from members without the tier; ``teaser`` mode shows it but keeps its content and joining for
  the tiers. Members of the group keep their access (they were let in).
- An archived group is read-only: nobody joins, posts, invites or approves; only the team edits it
  (to un-archive it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tribu.accounts.models import Role as UserRole
from tribu.core import policies as core_policies
from tribu.core.compiled import CompiledQuery
from tribu.memberships import access

from .models import LEADING_ROLES, PATH_WIDTH, Role, Visibility

VIEWER_ATTR = "_tribu_group_viewer"


@dataclass(frozen=True)
class Viewer:
    """What the group rules need to know about one user, read once per request (one query)."""

    authenticated: bool
    team: bool = False
    guest: bool = False
    roles: dict[int, str] = field(default_factory=dict)  # group id → role
    levels: dict[int, str] = field(default_factory=dict)  # group id → notification level
    lead_paths: tuple[str, ...] = ()  # paths of the groups the user owns or animates


ANONYMOUS = Viewer(authenticated=False)


def viewer(user: Any) -> Viewer:
    if not core_policies.is_member_area_allowed(user):
        return ANONYMOUS
    cached = getattr(user, VIEWER_ATTR, None)
    if cached is not None:
        return cached
    roles: dict[int, str] = {}
    levels: dict[int, str] = {}
    lead: list[str] = []
    for group_id, role, level, path in _MEMBERSHIPS.rows(user.pk):
        roles[group_id] = role
        levels[group_id] = level
        if role in LEADING_ROLES:
            lead.append(path)
    result = Viewer(
        authenticated=True,
        team=core_policies.is_team(user),
        guest=user.role == UserRole.GUEST,
        roles=roles,
        levels=levels,
        lead_paths=tuple(lead),
    )
    setattr(user, VIEWER_ATTR, result)
    return result


def _memberships_of(user_id: int) -> Any:
    from .models import GroupMembership

    return GroupMembership.objects.filter(user_id=user_id).values_list(
        "group_id", "role", "notification_level", "group__path")


# The viewer's memberships, compiled once per process: building the query cost more CPU than running
# it, on every page.
_MEMBERSHIPS = CompiledQuery(_memberships_of)


def forget(user: Any) -> None:
    """Drop the per-request memo after a change to the user's group memberships."""
    if user is not None and hasattr(user, VIEWER_ATTR):
        delattr(user, VIEWER_ATTR)


# --- relations -------------------------------------------------------------------------------------


def role_in(user: Any, group: Any) -> str | None:
    return viewer(user).roles.get(group.pk)


def is_member(user: Any, group: Any) -> bool:
    return group.pk in viewer(user).roles


def is_owner(user: Any, group: Any) -> bool:
    return role_in(user, group) == Role.OWNER


def is_animator(user: Any, group: Any) -> bool:
    """Owner or animator of ``group`` or of one of its ancestors."""
    v = viewer(user)
    if v.roles.get(group.pk) in LEADING_ROLES:
        return True
    return any(group.path.startswith(p) for p in v.lead_paths)


def _insider(v: Viewer, user: Any, group: Any) -> bool:
    """A member of the group, or an animator of it or of an ancestor."""
    return group.pk in v.roles or any(group.path.startswith(p) for p in v.lead_paths)


def tier_access(user: Any, group: Any) -> access.Access:
    """The strictest tier decision over the group and its ancestors (their rules are found by path
    prefix in the cached list of tier-restricted groups: no query)."""
    from . import queries

    rules = queries.restriction_rules()
    worst = access.Access.ALLOWED
    if not rules:
        return worst
    step = PATH_WIDTH + 1
    for end in range(step, len(group.path) + 1, step):
        rule = rules.get(group.path[:end])
        if rule is None:
            continue
        decision = access.decide_rule(user, rule)
        if decision == access.Access.HIDDEN:
            return decision
        if decision == access.Access.TEASER:
            worst = decision
    return worst


# --- decisions -------------------------------------------------------------------------------------


def knows_exists(user: Any, group: Any) -> bool:
    v = viewer(user)
    if not v.authenticated:
        return False
    if v.team:
        return True
    if _insider(v, user, group):
        return True
    if v.guest and not group.effective_guests:
        return False
    if group.effective_visibility == Visibility.PRIVATE:
        return False
    return tier_access(user, group) != access.Access.HIDDEN


def can_view(user: Any, group: Any) -> bool:
    """Read the group's content: its feed, members, events and library."""
    v = viewer(user)
    if not knows_exists(user, group):
        return False
    if v.team or _insider(v, user, group):
        return True
    return group.effective_visibility == Visibility.PUBLIC and tier_access(user, group) == access.Access.ALLOWED


def can_see_members(user: Any, group: Any) -> bool:
    return can_view(user, group)


def _outsider_may_enter(user: Any, group: Any) -> bool:
    v = viewer(user)
    return (
        v.authenticated
        and not group.is_archived
        and knows_exists(user, group)
        and group.pk not in v.roles
    )


def can_join(user: Any, group: Any) -> bool:
    """Join in one click: public groups (and any group for the team), with the tiers they need."""
    if not _outsider_may_enter(user, group):
        return False
    if viewer(user).team:
        return True
    return group.effective_visibility == Visibility.PUBLIC and tier_access(user, group) == access.Access.ALLOWED


def can_request(user: Any, group: Any) -> bool:
    """Ask to join a moderated group (an animator approves)."""
    if not _outsider_may_enter(user, group) or viewer(user).team:
        return False
    return group.effective_visibility == Visibility.MODERATED and tier_access(user, group) == access.Access.ALLOWED


def can_post(user: Any, group: Any) -> bool:
    v = viewer(user)
    if group.is_archived or not v.authenticated:
        return False
    return v.team or _insider(v, user, group)


def can_moderate(user: Any, group: Any) -> bool:
    """Pin and delete posts, remove members."""
    if group.is_archived:
        return False
    return viewer(user).team or is_animator(user, group)


def can_invite(user: Any, group: Any) -> bool:
    return can_moderate(user, group)


def can_approve(user: Any, group: Any) -> bool:
    return can_moderate(user, group)


def can_edit(user: Any, group: Any) -> bool:
    """Edit the group page. An archived group is read-only except for the team (who un-archive it)."""
    if viewer(user).team:
        return True
    return not group.is_archived and is_animator(user, group)


def can_export_members(user: Any, group: Any) -> bool:
    return viewer(user).team or is_animator(user, group)


def can_set_roles(user: Any, group: Any) -> bool:
    """Name animators and owners: the group's owners (or a parent's) and the team."""
    if group.is_archived:
        return False
    v = viewer(user)
    if v.team or v.roles.get(group.pk) == Role.OWNER:
        return True
    return is_animator(user, group) and group.pk not in v.roles and any(
        group.path.startswith(p) and p != group.path for p in v.lead_paths
    )


def can_remove_member(user: Any, group: Any, membership: Any) -> bool:
    if not can_moderate(user, group) or membership.user_id == getattr(user, "pk", None):
        return False
    if membership.role == Role.OWNER:
        return can_set_roles(user, group)
    return True


def can_leave(user: Any, group: Any) -> bool:
    return is_member(user, group)


def can_manage_groups(user: Any) -> bool:
    """Group types, the creation policy, creation requests, every group (incl. archived), archiving."""
    return core_policies.is_team(user)


def can_archive(user: Any, group: Any) -> bool:
    return core_policies.is_team(user) or (is_owner(user, group) and not group.is_archived)


def can_browse(user: Any) -> bool:
    return core_policies.is_member_area_allowed(user)


def can_create_group(user: Any) -> bool:
    """Create a group directly (without asking the team)."""
    if core_policies.is_team(user):
        return True
    if not core_policies.is_member_area_allowed(user) or user.role == UserRole.GUEST:
        return False
    from . import queries
    from .models import CreationMode

    policy = queries.creation_policy()
    if policy.mode != CreationMode.TIERS:
        return False
    tiers = {t.pk for t in policy.required_tiers.all()}
    return bool(tiers & access.effective_tier_ids(user))


def can_request_creation(user: Any) -> bool:
    if core_policies.is_team(user) or not core_policies.is_member_area_allowed(user):
        return False
    if user.role == UserRole.GUEST:
        return False
    from . import queries
    from .models import CreationMode

    return queries.creation_policy().mode == CreationMode.APPROVAL


def can_create_under(user: Any, parent: Any) -> bool:
    """Create a sub-group of ``parent``: its animators and the team."""
    return parent is None or viewer(user).team or (is_animator(user, parent) and not parent.is_archived)
