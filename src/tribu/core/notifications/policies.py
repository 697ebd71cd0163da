"""Who may do what with notifications. Everyone with an account has a notification centre;
a notification is only ever visible to its recipient (enforced in the queries)."""

from __future__ import annotations

from typing import Any

from tribu.core import policies as core_policies


def can_view_notifications(user: Any) -> bool:
    return core_policies.is_member_area_allowed(user)


def can_announce(user: Any) -> bool:
    """Broadcasting an announcement to every member is for administrators."""
    return core_policies.can_edit_community(user)
