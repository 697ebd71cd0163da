"""Who may do what with posts. Group posts follow the group's rules (``tribu.groups.policies``);
community posts (no group) are for every member with an account, written by the team for now."""

from __future__ import annotations

from typing import Any

from tribu.core import policies as core_policies
from tribu.groups import policies as group_policies


def can_view(user: Any, post: Any) -> bool:
    if post.group_id is None:
        return core_policies.is_member_area_allowed(user)
    return group_policies.can_view(user, post.group)


def can_post_in(user: Any, group: Any) -> bool:
    if group is None:
        return core_policies.is_team(user)
    return group_policies.can_post(user, group)


def can_pin(user: Any, post: Any) -> bool:
    if post.group_id is None:
        return core_policies.is_team(user)
    return group_policies.can_moderate(user, post.group)


def can_delete(user: Any, post: Any) -> bool:
    if post.author_id is not None and post.author_id == getattr(user, "pk", None):
        return post.group_id is None or not post.group.is_archived
    return can_pin(user, post)
