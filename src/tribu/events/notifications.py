"""The notification kinds of events: a new event announced, a change or cancellation, a reminder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tribu.core.models import NotificationChannel
from tribu.core.notifications.kinds import NotificationKind, register

if TYPE_CHECKING:
    from tribu.core.models import Notification


def _announced(n: Notification) -> str:
    return gettext("New event: %(title)s") % {"title": n.data.get("title", "")}


def _changed(n: Notification) -> str:
    if n.data.get("event") == "cancelled":
        return gettext("The event « %(title)s » is cancelled.") % {"title": n.data.get("title", "")}
    return gettext("The event « %(title)s » changed: check its time and place.") % {"title": n.data.get("title", "")}


ANNOUNCED = register(
    NotificationKind(
        code="events.announced",
        label=_("New events"),
        description=_("When an event you may attend is published."),
        default_channel=NotificationChannel.IN_APP,
        text=_announced,
        order=50,
    )
)
CHANGED = register(
    NotificationKind(
        code="events.changed",
        label=_("Changes to my events"),
        description=_("When an event you registered for changes or is cancelled."),
        default_channel=NotificationChannel.IN_APP,
        text=_changed,
        order=51,
    )
)
