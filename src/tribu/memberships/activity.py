"""Sentences of the membership verbs: the activity log of a membership is its history."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from tribu.core.activity_text import describe_verb

from .models import MembershipStatus


def _date(value: Any) -> str:
    if not value:
        return gettext("no end date")
    try:
        return date_format(date.fromisoformat(str(value)), "DATE_FORMAT")
    except ValueError:
        return str(value)


def _tier(data: dict[str, Any], key: str = "tier") -> str:
    lang = (get_language() or "fr")[:2]
    return str(data.get(f"{key}_{lang}") or data.get(f"{key}_fr") or data.get(f"{key}_en") or "?")


def _status(value: Any) -> str:
    try:
        return str(MembershipStatus(value).label)
    except ValueError:
        return str(value or "")


def formatter(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "tier": _tier(data),
        "old_tier": _tier(data, "old_tier"),
        "ends": _date(data.get("ends_on")),
        "status": _status(data.get("new_status")),
        "reason": data.get("reason") or "—",
    }


SENTENCES = {
    "membership.granted": _(
        "%(who)s granted the « %(tier)s » membership (%(status)s, ends: %(ends)s). Reason: %(reason)s"
    ),
    "membership.chosen": _("%(who)s chose the « %(tier)s » tier (%(status)s, ends: %(ends)s)"),
    "membership.activated": _("%(who)s activated the « %(tier)s » membership (ends: %(ends)s). Reason: %(reason)s"),
    "membership.extended": _("%(who)s extended the « %(tier)s » membership to %(ends)s. Reason: %(reason)s"),
    "membership.tier_changed": _(
        "%(who)s changed the tier from « %(old_tier)s » to « %(tier)s » (ends: %(ends)s). Reason: %(reason)s"
    ),
    "membership.cancelled": _("%(who)s cancelled the « %(tier)s » membership. Reason: %(reason)s"),
    "membership.grace_started": _("The « %(tier)s » membership ended on %(ends)s and entered its grace period"),
    "membership.expired": _("The « %(tier)s » membership expired"),
    "membership.trial_ended": _("The « %(tier)s » trial ended on %(ends)s"),
    "membership.downgraded": _("After the trial, the membership moved to « %(tier)s » (ends: %(ends)s)"),
}
for verb, sentence in SENTENCES.items():
    describe_verb(verb, sentence, formatter)

describe_verb("tier.created", _("%(who)s created the tier « %(tier)s »"), formatter)
describe_verb("tier.updated", _("%(who)s updated the tier « %(tier)s »"), formatter)
describe_verb("tier.archived", _("%(who)s archived the tier « %(tier)s »"), formatter)
describe_verb("tier.restored", _("%(who)s restored the tier « %(tier)s »"), formatter)
describe_verb("tier.moved", _("%(who)s reordered the tiers"))
def _area(data: dict[str, Any]) -> dict[str, Any]:
    from .models import Area

    try:
        return {"area": str(Area(data.get("area")).label)}
    except ValueError:
        return {"area": str(data.get("area", ""))}


describe_verb("area.restricted", _("%(who)s changed who may open the %(area)s"), _area)

MEMBERSHIP_VERBS = list(SENTENCES)
