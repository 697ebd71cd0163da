"""Periodic jobs of notifications (imported by the scheduler)."""

from __future__ import annotations

from datetime import timedelta

from tribu.core.schedule import periodic

from .digest import send_daily_digests


@periodic("notifications.daily_digest", every=timedelta(hours=1))
def daily_digest() -> int:
    return send_daily_digests()
