"""The registry of notification kinds. Each app registers its own kinds at import time
(``register(NotificationKind(...))`` in its ``notifications.py`` or ``apps.ready``); the notification
centre, the preferences page and the emails only ever go through this registry.

A kind says how to write a notification as one line of text. ``text()`` is called with the reader's
language already active, so it uses plain ``gettext``.

Grouping: a kind with ``group_by=("post_id",)`` merges a new notification into the recipient's
UNREAD one of the same kind whose ``data["post_id"]`` is equal (see ``actions.notify``): the row
counts the distinct actors (``notification.count``), keeps the latest actor and a few recent names
(``notification.actors``) and rises to the top of the centre. Its text says so with
``actors_phrase``::

    def _reacted_text(n):
        return ngettext("%(actors)s reacted to your post.", "%(actors)s reacted to your post.",
                        n.count) % {"actors": actors_phrase(n)}

("Alice reacted…", "Alice and Bob reacted…", "Alice and 3 others reacted…"; in French the verb
agrees: "Alice a réagi…", "Alice et 3 autres ont réagi…").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from tribu.core.models import NotificationChannel

if TYPE_CHECKING:
    from tribu.core.models import Notification


@dataclass(frozen=True)
class NotificationKind:
    code: str
    label: Any  # lazy translated string
    description: Any  # lazy translated string
    default_channel: str
    text: Callable[[Notification], str]
    order: int = 100
    #: ``data`` keys whose equal values merge an unread notification with the next one (empty: never).
    group_by: tuple[str, ...] = ()
    #: The channels a member may choose for this kind (empty: all of them).
    channels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.default_channel not in NotificationChannel.values:
            raise ValueError(f"Unknown default channel {self.default_channel!r} for kind {self.code!r}")
        if isinstance(self.group_by, str):
            raise ValueError(f"group_by of {self.code!r} must be a tuple of data keys, not a string")

    def allowed_channels(self) -> list[str]:
        return [c for c in NotificationChannel.values if not self.channels or c in self.channels]

    @property
    def app_label(self) -> str:
        """The app part of the code (``feed`` for ``feed.reaction``); platform kinds are ``core``."""
        return self.code.split(".", 1)[0] if "." in self.code else "core"


KINDS: dict[str, NotificationKind] = {}


def register(kind: NotificationKind) -> NotificationKind:
    """Add (or replace, on reload) a kind. Codes are namespaced by app: ``events.reminder``."""
    KINDS[kind.code] = kind
    return kind


def get_kind(code: str) -> NotificationKind | None:
    return KINDS.get(code)


def all_kinds() -> list[NotificationKind]:
    return sorted(KINDS.values(), key=lambda k: (k.order, k.code))


def render_text(notification: Notification) -> str:
    """One line for ``notification`` in the active language; never fails on an unknown kind."""
    kind = KINDS.get(notification.kind)
    if kind is None:
        return notification.kind
    try:
        return kind.text(notification)
    except (KeyError, TypeError, ValueError):
        return str(kind.label)


def _actor_name(notification: Notification) -> str:
    actor = notification.actor
    return actor.name if actor is not None else gettext("Someone")


def actors_phrase(notification: Notification) -> str:
    """Who did it, in the active language: "Alice", "Alice and Bob", "Alice and 3 others".

    Uses the names stored on a grouped row (latest first) and its ``count`` of distinct actors; on
    an ungrouped row it is just the actor's name. Pair it with ``ngettext(..., notification.count)``
    so the verb agrees in French.
    """
    names = [a.get("name") or gettext("Someone") for a in (notification.actors or []) if isinstance(a, dict)]
    if not names:
        names = [_actor_name(notification)]
    count = max(notification.count or 1, len(names))
    if count == 1:
        return names[0]
    if count == 2 and len(names) >= 2:
        return gettext("%(first)s and %(second)s") % {"first": names[0], "second": names[1]}
    others = count - 1
    return ngettext("%(first)s and %(count)d other", "%(first)s and %(count)d others", others) % {
        "first": names[0],
        "count": others,
    }


# --- The kinds the platform has now ------------------------------------------------------------


def _welcome_text(n: Notification) -> str:
    from tribu.core.community import get_community

    return gettext("Welcome to %(community)s! Complete your profile to get started.") % {
        "community": get_community().name
    }


def _role_changed_text(n: Notification) -> str:
    from tribu.accounts.models import role_label

    label = role_label(n.data.get("new", ""))
    return gettext("%(actor)s changed your role to %(role)s.") % {"actor": _actor_name(n), "role": label}


def _announcement_text(n: Notification) -> str:
    return gettext("Announcement: %(title)s") % {"title": n.data.get("title", "")}


WELCOME = register(
    NotificationKind(
        code="welcome",
        label=_("Welcome"),
        description=_("A welcome message once your email address is confirmed."),
        default_channel=NotificationChannel.IN_APP,
        text=_welcome_text,
        order=10,
    )
)
ROLE_CHANGED = register(
    NotificationKind(
        code="role_changed",
        label=_("Role changes"),
        description=_("When the community team changes your role."),
        default_channel=NotificationChannel.EMAIL,
        text=_role_changed_text,
        order=20,
    )
)
COMMUNITY_ANNOUNCEMENT = register(
    NotificationKind(
        code="community_announcement",
        label=_("Community announcements"),
        description=_("News that the administrators send to every member."),
        default_channel=NotificationChannel.DIGEST,
        text=_announcement_text,
        order=30,
    )
)


def _popular_text(n: Notification) -> str:
    return gettext("Popular in your groups")


#: Not a notification anyone sends: the "popular in your groups" section of the digest, chosen and
#: stopped (one-click link) like a kind. ``digest`` includes the section, ``off`` leaves it out.
POPULAR_IN_GROUPS = register(
    NotificationKind(
        code="popular_in_groups",
        label=_("Popular in your groups"),
        description=_("In the digest: the most discussed posts of the groups you can read."),
        default_channel=NotificationChannel.DIGEST,
        text=_popular_text,
        order=40,
        channels=(NotificationChannel.DIGEST, NotificationChannel.OFF),
    )
)
