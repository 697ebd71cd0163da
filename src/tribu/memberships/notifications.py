"""The notification kind of this app: a change to the member's membership."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from tribu.core.models import NotificationChannel
from tribu.core.notifications.kinds import NotificationKind, register

if TYPE_CHECKING:
    from tribu.core.models import Notification

CODE = "memberships.changed"


def _text(n: Notification) -> str:
    lang = (get_language() or "fr")[:2]
    tier = n.data.get(f"tier_{lang}") or n.data.get("tier_fr") or n.data.get("tier_en") or ""
    texts = {
        "granted": gettext("You now hold the « %(tier)s » membership."),
        "chosen": gettext("You chose the « %(tier)s » tier."),
        "activated": gettext("Your « %(tier)s » membership is now active."),
        "extended": gettext("Your « %(tier)s » membership was extended."),
        "tier_changed": gettext("Your membership is now « %(tier)s »."),
        "cancelled": gettext("Your « %(tier)s » membership was cancelled."),
        "trial_ended": gettext("Your « %(tier)s » trial has ended."),
    }
    return texts.get(n.data.get("event", ""), gettext("Your membership changed.")) % {"tier": tier}


MEMBERSHIP_CHANGED = register(
    NotificationKind(
        code=CODE,
        label=_("Membership"),
        description=_("When your membership is granted, extended, changed, cancelled or your trial ends."),
        default_channel=NotificationChannel.IN_APP,
        text=_text,
        order=40,
    )
)
