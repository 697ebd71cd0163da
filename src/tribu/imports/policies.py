"""Who may import and export: the community team (admins and staff). Giving the admin or staff role
through an import is for admins only (checked row by row by the importer)."""

from __future__ import annotations

from typing import Any

from tribu.core import policies as core_policies


def can_import(user: Any) -> bool:
    return core_policies.is_team(user)


def can_export(user: Any) -> bool:
    return core_policies.is_team(user)


def can_view_job(user: Any, job: Any) -> bool:
    return core_policies.is_team(user)
