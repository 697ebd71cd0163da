"""Notification kinds of groups, and who hears about a group's activity (per-group levels)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tribu.core.models import NotificationChannel
from tribu.core.notifications.kinds import NotificationKind, register

from .models import NotificationLevel

if TYPE_CHECKING:
    from tribu.core.models import Notification


def _who(n: Notification) -> str:
    return n.actor.name if n.actor_id and n.actor else gettext("Someone")


def _request_text(n: Notification) -> str:
    return gettext("%(who)s asks to join « %(group)s ».") % {"who": _who(n), "group": n.data.get("group", "")}


def _decided_text(n: Notification) -> str:
    if n.data.get("approved"):
        return gettext("Your request to join « %(group)s » was approved.") % {"group": n.data.get("group", "")}
    return gettext("Your request to join « %(group)s » was declined.") % {"group": n.data.get("group", "")}


def _invited_text(n: Notification) -> str:
    return gettext("%(who)s invites you to join « %(group)s ».") % {"who": _who(n), "group": n.data.get("group", "")}


def _activity_text(n: Notification) -> str:
    return gettext("%(who)s posted in « %(group)s ».") % {"who": _who(n), "group": n.data.get("group", "")}


def _creation_text(n: Notification) -> str:
    if n.data.get("event") == "requested":
        return gettext("%(who)s proposes a new group: « %(name)s ».") % {"who": _who(n), "name": n.data.get("name", "")}
    if n.data.get("approved"):
        return gettext("Your group « %(name)s » was created.") % {"name": n.data.get("name", "")}
    return gettext("Your proposed group « %(name)s » was declined.") % {"name": n.data.get("name", "")}


JOIN_REQUEST = register(NotificationKind(
    code="groups.join_request", label=_("Join requests"),
    description=_("When someone asks to join a group you animate."),
    default_channel=NotificationChannel.EMAIL, text=_request_text, order=60,
))
REQUEST_DECIDED = register(NotificationKind(
    code="groups.request_decided", label=_("Answers to my join requests"),
    description=_("When an animator approves or declines your request to join a group."),
    default_channel=NotificationChannel.EMAIL, text=_decided_text, order=61,
))
INVITED = register(NotificationKind(
    code="groups.invited", label=_("Group invitations"),
    description=_("When you are invited to join a group."),
    default_channel=NotificationChannel.IN_APP, text=_invited_text, order=62,
))
ACTIVITY = register(NotificationKind(
    code="groups.activity", label=_("Activity in my groups"),
    description=_("New posts in the groups whose notifications you set to « All activity »."),
    default_channel=NotificationChannel.IN_APP, text=_activity_text, order=63,
))
ACTIVITY_DIGEST = register(NotificationKind(
    code="groups.activity_digest", label=_("Activity in my groups (digest)"),
    description=_("New posts in the groups whose notifications you set to « Digest email »."),
    default_channel=NotificationChannel.DIGEST, text=_activity_text, order=64,
))
CREATION = register(NotificationKind(
    code="groups.creation", label=_("Group proposals"),
    description=_("Proposals of new groups (for the team) and the answers to yours."),
    default_channel=NotificationChannel.IN_APP, text=_creation_text, order=65,
))


def recipients_by_level(group: Any) -> dict[str, list[Any]]:
    """The group's active members by notification level (one query)."""
    from .models import GroupMembership

    result: dict[str, list[Any]] = defaultdict(list)
    for row in GroupMembership.objects.filter(group=group, user__is_active=True).select_related("user"):
        result[row.notification_level].append(row.user)
    for level in NotificationLevel.values:
        result.setdefault(level, [])
    return result
