"""Who may do what in the library: the ONE place its access rules are decided.

Places
- The community library (``group`` empty): every signed-in account may read it; the team (admins,
  staff) manages it.
- A group's library: readable by those who may read the group's content (``groups.policies.can_view``:
  a private group's library does not exist for outsiders, a moderated group's is for its members);
  managed by the group's animators (and the team), as long as the group is not archived.

Resources
- ``knows_exists(user, resource)``: the resource may appear to ``user`` at all (lists, search, its URL).
  False → every URL of it (page, cover, download, API) is a 404. Unpublished resources exist only for
  those who manage their place. A tier-gated resource in ``hidden`` mode does not exist for members
  without one of its tiers.
- ``decide(user, resource)``: ``ALLOWED`` (body, file, embed, download), ``TEASER`` (title, summary,
  cover and the tiers that open it; no body, no file) or ``HIDDEN``. Managers of the place always pass.
- ``can_edit`` / ``can_delete`` / ``can_feature``: managers of the place.
- ``can_discuss(user, resource)``: open the resource's discussion (a feed post): those who may open
  the resource and post in its place (or anyone who may open it, once the discussion exists).
"""

from __future__ import annotations

from typing import Any

from tribu.core import policies as core_policies
from tribu.groups import policies as group_policies
from tribu.memberships import access
from tribu.memberships.access import Access


def can_browse(user: Any) -> bool:
    return core_policies.is_member_area_allowed(user)


def can_read_place(user: Any, group: Any) -> bool:
    if not can_browse(user):
        return False
    if group is None:
        return True
    return group_policies.can_view(user, group)


def can_manage_place(user: Any, group: Any) -> bool:
    """Add, edit, feature and delete resources and categories here."""
    if not can_browse(user):
        return False
    if group is None:
        return core_policies.is_team(user)
    return group_policies.can_moderate(user, group)


def can_manage_any(user: Any) -> bool:
    """Sees the management page at all (the team, or an animator of some group)."""
    if not can_browse(user):
        return False
    if core_policies.is_team(user):
        return True
    return bool(group_policies.viewer(user).lead_paths)


def decide(user: Any, resource: Any) -> Access:
    if not can_read_place(user, resource.group):
        return Access.HIDDEN
    if can_manage_place(user, resource.group):
        return Access.ALLOWED
    if not resource.published:
        return Access.HIDDEN
    return access.decide(user, resource)


def knows_exists(user: Any, resource: Any) -> bool:
    return decide(user, resource) != Access.HIDDEN


def can_open(user: Any, resource: Any) -> bool:
    """Read the body, see the embed, download the file."""
    return decide(user, resource) == Access.ALLOWED


def can_edit(user: Any, resource: Any) -> bool:
    return can_manage_place(user, resource.group)


def can_delete(user: Any, resource: Any) -> bool:
    return can_manage_place(user, resource.group)


def can_feature(user: Any, resource: Any) -> bool:
    return can_manage_place(user, resource.group)


def can_discuss(user: Any, resource: Any) -> bool:
    if not can_open(user, resource) or not resource.published:
        return False
    if resource.discussion_id:
        return True
    from tribu.feed import policies as feed_policies

    return feed_policies.can_post_in(user, resource.group)


def can_view_category(user: Any, category: Any) -> bool:
    return can_read_place(user, category.group)


def can_edit_category(user: Any, category: Any) -> bool:
    return can_manage_place(user, category.group)
