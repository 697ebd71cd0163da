"""Sentences of the discussion verbs for feeds and the audit log (``tribu.core.activity_text``)."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def _place(data: dict) -> dict:
    return {"group_name": data.get("group_name") or gettext("the community feed")}


def describe_verbs() -> None:
    from tribu.core.activity_text import describe_verb

    describe_verb("comment.created", _("%(who)s commented in %(group_name)s"), _place, public=True)
    describe_verb("comment.edited", _("%(who)s edited a comment in %(group_name)s"), _place)
    describe_verb("comment.deleted", _("%(who)s deleted a comment in %(group_name)s"), _place)
    describe_verb("reaction.added", _("%(who)s reacted to a post in %(group_name)s"), _place)
    describe_verb("answer.accepted", _("%(who)s accepted an answer in %(group_name)s"), _place, public=True)
    describe_verb("answer.unaccepted", _("%(who)s reopened a question in %(group_name)s"), _place)
