"""API-specific access rules, built on ``tribu.core.policies``."""

from __future__ import annotations

from typing import Any

from tribu.core import policies


def can_use_api(user: Any) -> bool:
    return policies.can_use_api(user)


def can_create_token(user: Any) -> bool:
    return policies.can_manage_own_tokens(user)


def can_revoke_token(user: Any, token: Any) -> bool:
    """Anyone may revoke their own tokens (even a guest, whose role no longer lets them make one)."""
    return policies.can_use_api(user) and token.user_id == user.pk
