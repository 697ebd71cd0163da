"""The notification kind of billing: a renewal reminder, in the app next to the reminder email."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from tribu.core.models import NotificationChannel
from tribu.core.notifications.kinds import NotificationKind, register

if TYPE_CHECKING:
    from tribu.core.models import Notification

CODE = "billing.renewal_due"


def _text(n: Notification) -> str:
    lang = (get_language() or "fr")[:2]
    tier = n.data.get(f"tier_{lang}") or n.data.get("tier_fr") or n.data.get("tier_en") or ""
    days = int(n.data.get("days_left") or 0)
    if days > 0:
        return ngettext("Your « %(tier)s » membership ends in %(days)s day: renew it.",
                        "Your « %(tier)s » membership ends in %(days)s days: renew it.", days) % {
            "tier": tier, "days": days}
    if days == 0:
        return gettext("Your « %(tier)s » membership ends today: renew it.") % {"tier": tier}
    return gettext("Your « %(tier)s » membership has ended: renew it to keep your access.") % {"tier": tier}


RENEWAL_DUE = register(
    NotificationKind(
        code=CODE,
        label=_("Membership renewal"),
        description=_("When your membership is about to end or has just ended (the reminder email is sent too)."),
        default_channel=NotificationChannel.IN_APP,
        text=_text,
        order=41,
        # the email is the reminder itself: in the app, or off
        channels=(NotificationChannel.IN_APP, NotificationChannel.OFF),
    )
)
