"""The suppression list at send time: ``drop_suppressed`` removes the addresses that must receive
nothing more and records each skipped message with its reason (staff read them on the list page)."""

from __future__ import annotations

import logging

from .consent import normalise, suppressed_among
from .models import SkippedEmail

logger = logging.getLogger(__name__)


def drop_suppressed(to: list[str], subject: str = "") -> list[str]:
    if not to:
        return []
    blocked = suppressed_among(to)
    if not blocked:
        return list(to)
    kept = []
    for address in to:
        reason = blocked.get(normalise(address))
        if reason is None:
            kept.append(address)
            continue
        SkippedEmail.objects.create(email=normalise(address), subject=subject[:255], reason=reason)
        logger.info("Email %r to a suppressed address (%s) not sent", subject, reason)
    return kept
