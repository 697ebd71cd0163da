"""Who may do what with posts. Group posts follow the group's rules (``tribu.groups.policies``);
community posts (no group) are read by everyone with an account and written by members and the team
(guests read only). Announcements are for the team (community-wide) or a group's animators.

Only live posts (published, not deleted) are seen by others; a draft or a scheduled post is seen
by its author alone (and the group's moderators, who may need to stop it).
"""

from __future__ import annotations

from typing import Any

from tribu.accounts.models import Role
from tribu.core import policies as core_policies
from tribu.groups import policies as group_policies


def _is_author(user: Any, post: Any) -> bool:
    return post.author_id is not None and post.author_id == getattr(user, "pk", None)


def _moderates(user: Any, post: Any) -> bool:
    if post.group_id is None:
        return core_policies.is_team(user)
    return group_policies.can_moderate(user, post.group)


def can_read_place(user: Any, group: Any) -> bool:
    """Read the posts of ``group`` (None: the community feed)."""
    if group is None:
        return core_policies.is_member_area_allowed(user)
    return group_policies.can_view(user, group)


def can_view(user: Any, post: Any) -> bool:
    if post.deleted_at is not None:
        return False
    if not can_read_place(user, post.group if post.group_id else None):
        return False
    if post.status != "published":
        return _is_author(user, post) or _moderates(user, post)
    return True


def can_post_in(user: Any, group: Any) -> bool:
    if group is None:
        return core_policies.is_member_area_allowed(user) and user.role != Role.GUEST
    return group_policies.can_post(user, group)


def can_announce(user: Any, group: Any) -> bool:
    """Announcements: the team community-wide, a group's animators (and the team) in the group."""
    if group is None:
        return core_policies.is_team(user)
    return group_policies.can_moderate(user, group)


def can_edit(user: Any, post: Any) -> bool:
    if post.deleted_at is not None or not core_policies.is_member_area_allowed(user):
        return False
    if _is_author(user, post):
        return post.group_id is None or not post.group.is_archived
    return _moderates(user, post)


def can_pin(user: Any, post: Any) -> bool:
    return post.deleted_at is None and _moderates(user, post)


def can_lock(user: Any, post: Any) -> bool:
    return can_pin(user, post)


def can_feature(user: Any, post: Any) -> bool:
    return can_pin(user, post)


def can_delete(user: Any, post: Any) -> bool:
    if post.deleted_at is not None:
        return False
    if _is_author(user, post):
        return post.group_id is None or not post.group.is_archived
    return _moderates(user, post)


def can_view_history(user: Any, post: Any) -> bool:
    """The text a post had before its edits: moderators of its place and the team only."""
    return post.deleted_at is None and (core_policies.is_team(user) or _moderates(user, post))


def can_mention_group(user: Any, group: Any) -> bool:
    """``@[Group](group:ID)`` notifies a whole group: its animators and the team only."""
    return core_policies.is_team(user) or (group is not None and group_policies.is_animator(user, group))


def can_see_unanswered(user: Any) -> bool:
    return core_policies.is_team(user) or bool(group_policies.viewer(user).lead_paths)


def can_manage_welcome_blocks(user: Any) -> bool:
    return core_policies.is_team(user)


def can_follow(user: Any) -> bool:
    return core_policies.is_member_area_allowed(user)
