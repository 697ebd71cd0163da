"""Periodic work of groups: automatic membership rules (idempotent, driven by database state)."""

from __future__ import annotations

from datetime import timedelta

from tribu.core.schedule import periodic

from . import rules


@periodic("groups.membership_rules", every=timedelta(minutes=15))
def membership_rules() -> dict[str, int]:
    return rules.apply_rules()
