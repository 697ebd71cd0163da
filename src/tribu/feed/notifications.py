"""Notification kind of the feed: someone mentioned you in a post."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tribu.core.models import NotificationChannel
from tribu.core.notifications.kinds import NotificationKind, register

if TYPE_CHECKING:
    from tribu.core.models import Notification


def _mention_text(n: Notification) -> str:
    who = n.actor.name if n.actor_id and n.actor else ""
    group = n.data.get("group", "")
    if not who:
        return gettext("You were welcomed in the group « %(group)s ».") % {"group": group}
    if group:
        return gettext("%(who)s mentioned you in « %(group)s ».") % {"who": who, "group": group}
    return gettext("%(who)s mentioned you in a post.") % {"who": who}


MENTION = register(
    NotificationKind(
        code="feed.mention",
        label=_("Mentions"),
        description=_("When someone mentions you in a post (a group's preferences can mute it)."),
        default_channel=NotificationChannel.IN_APP,
        text=_mention_text,
        order=50,
    )
)


def _group_mention_text(n: Notification) -> str:
    who = n.actor.name if n.actor_id and n.actor else gettext("Someone")
    return gettext("%(who)s mentioned your group « %(group)s » in a post.") % {
        "who": who, "group": n.data.get("group", "")}


GROUP_MENTION = register(
    NotificationKind(
        code="feed.group_mention",
        label=_("Mentions of my groups"),
        description=_("When an animator mentions a group you belong to (muting the group silences it)."),
        default_channel=NotificationChannel.IN_APP,
        text=_group_mention_text,
        order=51,
    )
)
