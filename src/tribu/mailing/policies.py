"""Who may do what with emails. Denied by default."""

from __future__ import annotations

from typing import Any

from tribu.accounts.models import Role
from tribu.core.policies import is_member_area_allowed, is_team


def can_view_templates(user: Any) -> bool:
    """The list of emails, their previews (the community team)."""
    return is_team(user)


def can_edit_templates(user: Any) -> bool:
    """Rewriting, resetting and test-sending an email: administrators."""
    return is_team(user) and user.role == Role.ADMIN


def can_manage_suppressions(user: Any) -> bool:
    """Seeing the suppressed addresses and why, adding and lifting them: the community team."""
    return is_team(user)


def can_use_preferences(user: Any) -> bool:
    """A signed-in member's own subscriptions."""
    return is_member_area_allowed(user)
