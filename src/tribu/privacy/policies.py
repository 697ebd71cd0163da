"""Who may do what with personal data.

- Every member downloads their own data and deletes their own account (with their password); the
  last active administrator cannot delete their account (someone must be able to run the community).
- The community team (admins, staff) lists and processes erasure requests; staff cannot erase an
  administrator or another team member (admins can), and nobody erases themselves from that page.
"""

from __future__ import annotations

from typing import Any

from tribu.accounts.models import Role
from tribu.core import policies as core_policies


def can_use_privacy_page(user: Any) -> bool:
    return core_policies.is_member_area_allowed(user)


def _is_last_admin(user: Any) -> bool:
    from tribu.accounts.models import User

    return user.role == Role.ADMIN and not User.objects.filter(role=Role.ADMIN, is_active=True).exclude(
        pk=user.pk
    ).exists()


def can_erase_self(user: Any) -> bool:
    return core_policies.is_member_area_allowed(user) and not _is_last_admin(user)


def can_manage_erasures(user: Any) -> bool:
    return core_policies.is_team(user)


def can_erase_member(actor: Any, target: Any) -> bool:
    if not core_policies.is_team(actor) or target.pk == actor.pk or not target.is_active:
        return False
    if target.role in {Role.ADMIN, Role.STAFF} and actor.role != Role.ADMIN:
        return False
    return not _is_last_admin(target)
