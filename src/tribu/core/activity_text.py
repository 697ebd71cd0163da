"""One sentence per kind of act, in the reader's language, for feeds and the audit log.

Apps register the sentences of their own verbs with ``describe_verb("verb", gettext_lazy(...))``;
the sentence may use ``%(who)s`` and any key of the activity's data (``%(title)s``…)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tribu.accounts.models import role_label

from .models import Activity

SENTENCES: dict[str, Promise | str] = {}
DATA_FORMATTERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}
# Acts every member may read about on the home page when they happen in the community space or in a
# group open to all (payments, downloads, reminders, registrations… are never listed there).
PUBLIC_VERBS: set[str] = set()


def describe_verb(
    verb: str, sentence: Promise | str, data: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    *, public: bool = False,
) -> None:
    SENTENCES[verb] = sentence
    if data is not None:
        DATA_FORMATTERS[verb] = data
    if public:
        PUBLIC_VERBS.add(verb)


describe_verb("member.joined", _("%(who)s joined the community"), public=True)
describe_verb("charter.accepted", _("%(who)s accepted the community charter"))
describe_verb("community.updated", _("%(who)s updated the community settings"))
describe_verb("account.updated", _("%(who)s updated their account"))
describe_verb("community.announced", _("%(who)s announced: %(title)s"), public=True)
describe_verb(
    "member.role_changed",
    _("%(who)s changed a role from %(old)s to %(new)s"),
    lambda d: {"old": role_label(d.get("old", "")), "new": role_label(d.get("new", ""))},
)


def describe(activity: Activity) -> str:
    who = activity.actor.name if activity.actor_id and activity.actor else gettext("Someone")
    sentence = SENTENCES.get(activity.verb)
    if sentence is None:
        return f"{who} · {activity.verb}"
    data = {k: v for k, v in (activity.data or {}).items() if isinstance(v, str | int | float)}
    formatter = DATA_FORMATTERS.get(activity.verb)
    if formatter is not None:
        data.update(formatter(activity.data or {}))
    try:
        return str(sentence) % {"who": who, **data}
    except (KeyError, ValueError, TypeError):
        return f"{who} · {activity.verb}"
