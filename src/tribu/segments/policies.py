"""Who may do what with segments: the community team (admins and staff) only. A segment lists
members' names and addresses, so animators, members and guests are refused everything."""

from __future__ import annotations

from typing import Any

from tribu.core import policies as core_policies


def can_manage_segments(user: Any) -> bool:
    """See, build, preview, export, duplicate and delete segments."""
    return core_policies.is_team(user)


def can_export_members(user: Any) -> bool:
    return core_policies.is_team(user)
