"""Periodic work of billing: renewal reminders (each sent once, see ``renewals.run``)."""

from __future__ import annotations

from datetime import timedelta

from tribu.core.schedule import periodic

from . import renewals


@periodic("billing.renewal_reminders", every=timedelta(hours=1))
def renewal_reminders() -> dict[str, int]:
    return renewals.run()
