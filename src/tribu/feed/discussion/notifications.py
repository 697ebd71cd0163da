"""Notification kinds of discussions: a comment on my post, a reply to my comment, a mention in a
comment, reactions (grouped per post or comment while unread), my answer accepted.

Imported when the feed app is ready; it also registers the sentences of the discussion verbs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from tribu.core.models import NotificationChannel
from tribu.core.notifications.kinds import NotificationKind, actors_phrase, register

from .verbs import describe_verbs

if TYPE_CHECKING:
    from tribu.core.models import Notification


def _who(n: Notification) -> str:
    return n.actor.name if n.actor_id and n.actor else gettext("Someone")


def _comment_text(n: Notification) -> str:
    return gettext("%(who)s commented on your post « %(title)s ».") % {
        "who": _who(n), "title": n.data.get("title", "")}


def _reply_text(n: Notification) -> str:
    return gettext("%(who)s replied to your comment on « %(title)s ».") % {
        "who": _who(n), "title": n.data.get("title", "")}


def _mention_text(n: Notification) -> str:
    return gettext("%(who)s mentioned you in a comment on « %(title)s ».") % {
        "who": _who(n), "title": n.data.get("title", "")}


def _reaction_text(n: Notification) -> str:
    values = {"actors": actors_phrase(n), "title": n.data.get("title", "")}
    if n.data.get("on") == "comment":
        return ngettext("%(actors)s reacted to your comment on « %(title)s ».",
                        "%(actors)s reacted to your comment on « %(title)s ».", n.count or 1) % values
    return ngettext("%(actors)s reacted to your post « %(title)s ».",
                    "%(actors)s reacted to your post « %(title)s ».", n.count or 1) % values


def _accepted_text(n: Notification) -> str:
    return gettext("%(who)s accepted your answer to « %(title)s ».") % {
        "who": _who(n), "title": n.data.get("title", "")}


COMMENT = register(NotificationKind(
    code="feed.comment",
    label=_("Comments on my posts"),
    description=_("When someone comments on a post you wrote."),
    default_channel=NotificationChannel.IN_APP,
    text=_comment_text,
    order=52,
))
REPLY = register(NotificationKind(
    code="feed.reply",
    label=_("Replies to my comments"),
    description=_("When someone replies to one of your comments."),
    default_channel=NotificationChannel.IN_APP,
    text=_reply_text,
    order=53,
))
MENTION = register(NotificationKind(
    code="feed.comment_mention",
    label=_("Mentions in comments"),
    description=_("When someone mentions you in a comment."),
    default_channel=NotificationChannel.IN_APP,
    text=_mention_text,
    order=54,
))
REACTION = register(NotificationKind(
    code="feed.reaction",
    label=_("Reactions"),
    description=_("When members react to your posts and comments (grouped while you have not read them)."),
    default_channel=NotificationChannel.IN_APP,
    text=_reaction_text,
    order=55,
    group_by=("target",),
))
ANSWER_ACCEPTED = register(NotificationKind(
    code="feed.answer_accepted",
    label=_("Accepted answers"),
    description=_("When your answer to a question is accepted."),
    default_channel=NotificationChannel.IN_APP,
    text=_accepted_text,
    order=56,
))

describe_verbs()
