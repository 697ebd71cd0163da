"""Who may do what under a post: read its discussion, comment and reply, react, edit and delete a
comment, accept an answer, read a comment's edit history.

Everything starts from the post's own rules (``tribu.feed.policies``): who cannot view the post can do
nothing here (the pages answer 404). Writing (comments, replies, reactions) follows the place's posting
rule (``feed.policies.can_post_in``: a group's members and animators, the team; community posts: every
member but guests), and only on live posts. A locked post takes no new comment except from the people
who moderate its place (they may still explain why it is locked).
"""

from __future__ import annotations

from typing import Any

from tribu.core import policies as core_policies
from tribu.feed import policies as post_policies
from tribu.groups import policies as group_policies


def _place(post: Any) -> Any:
    return post.group if post.group_id else None


def is_live(post: Any) -> bool:
    return post.status == "published" and post.deleted_at is None


def moderates(user: Any, post: Any) -> bool:
    """The team for community posts; the group's animators (and the team) for group posts."""
    if not core_policies.is_member_area_allowed(user):
        return False
    if post.group_id is None:
        return core_policies.is_team(user)
    return group_policies.can_moderate(user, post.group)


def can_view(user: Any, post: Any) -> bool:
    return post_policies.can_view(user, post)


def can_take_part(user: Any, post: Any) -> bool:
    """Comment, reply and react: a live post of a place where ``user`` may post."""
    return is_live(post) and can_view(user, post) and post_policies.can_post_in(user, _place(post))


def can_comment(user: Any, post: Any) -> bool:
    if not can_take_part(user, post):
        return False
    return post.locked_at is None or moderates(user, post)


def can_react(user: Any, post: Any) -> bool:
    return can_take_part(user, post)


def _is_author(user: Any, obj: Any) -> bool:
    return obj.author_id is not None and obj.author_id == getattr(user, "pk", None)


def can_edit_comment(user: Any, comment: Any, post: Any) -> bool:
    """The comment's author while they may still take part, or a moderator of the place."""
    if comment.deleted_at is not None or not is_live(post) or not can_view(user, post):
        return False
    if moderates(user, post):
        return True
    return _is_author(user, comment) and post_policies.can_post_in(user, _place(post)) and post.locked_at is None


def can_delete_comment(user: Any, comment: Any, post: Any) -> bool:
    if comment.deleted_at is not None or not can_view(user, post):
        return False
    if moderates(user, post):
        return True
    return _is_author(user, comment) and (post.group_id is None or not post.group.is_archived)


def can_view_comment_history(user: Any, post: Any) -> bool:
    """The text a comment had before its edits: moderators of the place and the team."""
    return can_view(user, post) and (core_policies.is_team(user) or moderates(user, post))


def can_accept(user: Any, post: Any) -> bool:
    """Mark (or unmark) the accepted answer of a question: its author or a moderator of the place."""
    if post.kind != "question" or not is_live(post) or not can_view(user, post):
        return False
    if moderates(user, post):
        return True
    return _is_author(user, post) and (post.group_id is None or not post.group.is_archived)
