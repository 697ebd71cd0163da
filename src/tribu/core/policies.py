"""Who may do what, community-wide. Views and the API ask here; they never decide access inline.

Access is denied by default: a rule that is not written here is refused.
"""

from __future__ import annotations

from typing import Any

from tribu.accounts.models import Role


def _role(user: Any) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return user.role


def is_member_area_allowed(user: Any) -> bool:
    """Pages for people with an account (members, guests and the team)."""
    return _role(user) is not None


def is_team(user: Any) -> bool:
    return _role(user) in {Role.ADMIN, Role.STAFF}


def can_access_admin(user: Any) -> bool:
    """The administration area (community settings, audit log, outbox)."""
    return is_team(user)


def can_edit_community(user: Any) -> bool:
    return _role(user) == Role.ADMIN


def can_view_audit_log(user: Any) -> bool:
    return is_team(user)


def can_view_outbox(user: Any) -> bool:
    return is_team(user)


def can_change_role(user: Any, target: Any, new_role: str) -> bool:
    """Admins change roles; nobody changes their own (so the last admin cannot lock everyone out)."""
    return _role(user) == Role.ADMIN and target.pk != user.pk and new_role in Role.values


def can_use_api(user: Any) -> bool:
    return is_member_area_allowed(user)


def can_manage_own_tokens(user: Any) -> bool:
    return _role(user) in {Role.ADMIN, Role.STAFF, Role.ANIMATOR, Role.MEMBER}


def requires_two_factor(user: Any, community: Any) -> bool:
    return bool(community.require_admin_2fa) and is_team(user)
