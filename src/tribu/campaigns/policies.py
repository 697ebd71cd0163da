"""Who may do what with campaigns: the community team (admins and staff) composes, sends and reads
statistics; nobody else sees anything of them. The tracking addresses are public but signed."""

from __future__ import annotations

from typing import Any

from tribu.core import policies as core_policies


def can_manage_campaigns(user: Any) -> bool:
    return core_policies.is_team(user)


def can_view_statistics(user: Any) -> bool:
    return core_policies.is_team(user)
