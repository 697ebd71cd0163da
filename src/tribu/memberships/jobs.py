"""Periodic work of this app: the membership lifecycle (grace, expiry, end of trials)."""

from __future__ import annotations

from datetime import timedelta

from tribu.core.schedule import periodic

from . import lifecycle


@periodic("memberships.lifecycle", every=timedelta(minutes=30))
def membership_lifecycle() -> dict[str, int]:
    return lifecycle.run()
