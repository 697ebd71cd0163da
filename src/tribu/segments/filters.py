"""The fields a segment can filter on, their operators and values, and how each rule becomes SQL.

A segment's ``filters`` is ``{"match": "all" | "any", "rules": [{"field", "op", "value"}, ...]}``.

- ``FIELDS``: the registry. Each ``FieldSpec`` has a translated label, its operators (each with the
  kind of value it takes, which is also the builder's widget) and ``build(op, value, ctx) -> Q`` on
  ``User`` (the builders live in ``rules.py``). Every rule is a subquery on the member's id (mostly a
  non-correlated ``IN`` the database hashes or semi-joins once), so counting a segment is one SQL
  query whatever the number of rules; ``bench/segments.py`` keeps it within 2x hand-written SQL.
- Custom profile fields marked "usable in segments" are fields named ``custom:<key>``; their
  operators depend on the field's type.
- ``validate(filters) -> dict`` checks a filters document and returns it normalised, or raises
  ``ValidationError`` with one translated message per faulty rule (unknown field, operator not
  offered by the field, value of the wrong type, unknown tier/company/tag/field...).
- ``to_q(filters, now=None) -> Q``: the condition for already validated filters (no query).

Groups and event attendance read the groups and events apps' tables; a field whose app has no such
table is not offered (and a saved rule on it matches no one).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, Q
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .rules import (
    ACTIVITY,
    BOOL,
    CHOICE,
    CHOICES,
    CUSTOM_PREFIX,
    DATE,
    DAYS,
    IDS,
    NONE,
    NUMBER,
    TEXT,
    Context,
    FieldSpec,
    Op,
    build_activity,
    build_company,
    build_consent,
    build_custom,
    build_event,
    build_group,
    build_last_seen,
    build_role,
    build_signup,
    build_status,
    build_tag,
    build_tier,
    company_options,
    consent_options,
    custom_ops,
    event_options,
    events_available,
    group_membership_model,
    group_options,
    make_ops,
    role_options,
    status_options,
    tag_options,
    tier_options,
    verb_options,
)

MAX_RULES = 30
MAX_LIST = 200
MAX_DAYS = 36500
VERB_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")

# --- the registry -------------------------------------------------------------------------------------

CATEGORY_MEMBERSHIP = _("Membership")
CATEGORY_PROFILE = _("Profile")
CATEGORY_ENGAGEMENT = _("Engagement")
CATEGORY_CONSENT = _("Consent")

_LIST_OPS_IN = (Op("in", _("is one of"), IDS), Op("not_in", _("is none of"), IDS))
_DATE_OPS = (
    Op("before", _("before"), DATE),
    Op("on_or_after", _("on or after"), DATE),
    Op("within_days", _("within the last N days"), DAYS),
    Op("more_than_days", _("more than N days ago"), DAYS),
)

FIELDS: dict[str, FieldSpec] = {
    spec.key: spec
    for spec in [
        FieldSpec(
            "tier", _("Membership tier"), CATEGORY_MEMBERSHIP, make_ops(*_LIST_OPS_IN), build_tier, tier_options,
            help=_("Tiers held right now, through their own membership or a seat of their company."),
        ),
        FieldSpec(
            "membership_status", _("Membership status"), CATEGORY_MEMBERSHIP,
            make_ops(
                Op("in", _("is one of"), CHOICES),
                Op("not_in", _("is none of"), CHOICES),
                Op("expiring_within", _("ends within N days"), DAYS),
            ),
            build_status, status_options,
        ),
        FieldSpec(
            "company", _("Company"), CATEGORY_MEMBERSHIP,
            make_ops(
                *_LIST_OPS_IN,
                Op("is_set", _("is attached to a company"), NONE),
                Op("is_not_set", _("is attached to no company"), NONE),
                Op("is_contact", _("is a company contact"), NONE),
            ),
            build_company, company_options,
        ),
        FieldSpec(
            "group", _("Group"), CATEGORY_MEMBERSHIP,
            make_ops(Op("in", _("is in one of"), IDS), Op("not_in", _("is in none of"), IDS)),
            build_group, group_options,
        ),
        FieldSpec(
            "tag", _("Skills and interests"), CATEGORY_PROFILE,
            make_ops(Op("any_of", _("has one of"), IDS), Op("none_of", _("has none of"), IDS)),
            build_tag, tag_options,
        ),
        FieldSpec(
            "role", _("Role"), CATEGORY_PROFILE,
            make_ops(Op("in", _("is one of"), CHOICES), Op("not_in", _("is none of"), CHOICES)),
            build_role, role_options,
        ),
        FieldSpec("signup_date", _("Signup date"), CATEGORY_PROFILE, make_ops(*_DATE_OPS), build_signup),
        FieldSpec(
            "last_seen", _("Last visit"), CATEGORY_ENGAGEMENT,
            make_ops(
                Op("within_days", _("within the last N days"), DAYS),
                Op("not_within_days", _("not for N days (or never)"), DAYS),
                Op("never", _("never"), NONE),
            ),
            build_last_seen,
        ),
        FieldSpec(
            "activity", _("Activity"), CATEGORY_ENGAGEMENT,
            make_ops(
                Op("none_for_days", _("no activity for N days"), DAYS),
                Op("any_within_days", _("some activity within the last N days"), DAYS),
                Op("did_at_least", _("did an act at least N times"), ACTIVITY),
                Op("did_at_most", _("did an act at most N times"), ACTIVITY),
            ),
            build_activity, verb_options,
            help=_("Read from the activity log: acts the member did (posted, registered, joined a group…)."),
        ),
        FieldSpec(
            "event", _("Events"), CATEGORY_ENGAGEMENT,
            make_ops(
                Op("registered_to", _("is registered to one of"), IDS),
                Op("attended", _("attended one of"), IDS),
                Op("not_attended", _("attended none of"), IDS),
                Op("attended_within_days", _("attended an event in the last N days"), DAYS),
                Op("not_attended_within_days", _("attended no event in the last N days"), DAYS),
            ),
            build_event, event_options,
            help=_("Attendance is the check-in at the door (or online)."),
        ),
        FieldSpec(
            "email_consent", _("Email consent"), CATEGORY_CONSENT,
            make_ops(Op("given", _("given"), CHOICE), Op("not_given", _("not given or withdrawn"), CHOICE)),
            build_consent, consent_options,
        ),
    ]
}


def groups_available() -> bool:
    return group_membership_model() is not None


def _offered(key: str) -> bool:
    if key == "group":
        return groups_available()
    if key == "event":
        return events_available()
    return True


def available_fields() -> list[FieldSpec]:
    """The fields the builder offers now (the group field once the groups app has memberships),
    followed by the custom fields usable in segments."""
    specs = [s for s in FIELDS.values() if _offered(s.key)]
    return specs + custom_field_specs()


def custom_field_specs() -> list[FieldSpec]:
    from tribu.accounts.models import CustomField

    specs = []
    ops = custom_ops()
    for cf in CustomField.objects.filter(segmentable=True, active=True).order_by("position", "pk"):
        specs.append(_custom_spec(cf, ops))
    return specs


def _custom_spec(cf: Any, ops: dict[str, dict[str, Op]]) -> FieldSpec:
    from tribu.accounts.custom_fields import choice_label

    key, kind = cf.key, cf.kind
    return FieldSpec(
        CUSTOM_PREFIX + key, cf.label, CATEGORY_PROFILE, ops.get(kind, {}),
        lambda op, value, ctx: build_custom(key, op, value),
        (lambda: [(c["value"], choice_label(c)) for c in cf.choices or []]) if cf.choices else None,
        extra={"kind": kind},
    )


# --- validation ---------------------------------------------------------------------------------------


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_value(spec: FieldSpec, op: Op, value: Any, known: Callable[[], set[Any]]) -> tuple[Any, str | None]:
    """The normalised value, or an error message."""
    kind = op.value
    if kind == NONE:
        return None, None
    if kind == IDS:
        if not isinstance(value, list) or not value or not all(_is_int(v) for v in value):
            return None, gettext("choose at least one item (a list of ids).")
        if len(value) > MAX_LIST:
            return None, gettext("choose at most %(n)d items.") % {"n": MAX_LIST}
        missing = sorted(set(value) - known())
        if missing:
            return None, gettext("unknown items: %(ids)s.") % {"ids": ", ".join(str(m) for m in missing)}
        return sorted(set(value)), None
    if kind in (CHOICES, CHOICE):
        items = value if kind == CHOICES else [value]
        if kind == CHOICES and (not isinstance(value, list) or not value):
            return None, gettext("choose at least one value (a list).")
        if not all(isinstance(v, str) for v in items):
            return None, gettext("the values must be text.")
        allowed = known()
        unknown = [v for v in items if v not in allowed]
        if unknown:
            return None, gettext("unknown values: %(values)s.") % {"values": ", ".join(unknown[:10])}
        return (sorted(set(items)) if kind == CHOICES else value), None
    if kind == DAYS:
        if not _is_int(value) or not 0 <= value <= MAX_DAYS:
            return None, gettext("enter a whole number of days between 0 and %(max)d.") % {"max": MAX_DAYS}
        return value, None
    if kind == DATE:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) or _date_or_none(value) is None:
            return None, gettext("enter a date as YYYY-MM-DD.")
        return value, None
    if kind == NUMBER:
        if not (_is_int(value) or isinstance(value, float)) or value != value or abs(value) >= 1e15:
            return None, gettext("enter a number.")
        return value, None
    if kind == TEXT:
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            return None, gettext("enter some text (200 characters at most).")
        return value.strip(), None
    if kind == BOOL:
        if not isinstance(value, bool):
            return None, gettext("choose yes or no (true or false).")
        return value, None
    if kind == ACTIVITY:
        if not isinstance(value, dict) or set(value) - {"verb", "min", "days"}:
            return None, gettext('describe the act as {"verb": ..., "min": ..., "days": ...}.')
        verb = value.get("verb") or ""
        if not isinstance(verb, str) or (verb and (len(verb) > 64 or not VERB_RE.match(verb))):
            return None, gettext("the act must be a verb such as post.created (or empty for any act).")
        minimum = value.get("min", 1)
        if not _is_int(minimum) or not 0 <= minimum <= 100000:
            return None, gettext("the number of times must be a whole number between 0 and 100000.")
        if op.key == "did_at_least" and minimum < 1:
            return None, gettext("“at least” needs a number of times of 1 or more.")
        days = value.get("days")
        if days is not None and (not _is_int(days) or not 1 <= days <= MAX_DAYS):
            return None, gettext("the period must be a whole number of days between 1 and %(max)d.") % {
                "max": MAX_DAYS
            }
        return {"verb": verb, "min": minimum, "days": days}, None
    return None, gettext("this value is not accepted.")  # pragma: no cover - every kind is listed above


def _date_or_none(value: str) -> dt.date | None:
    try:
        return parse_date(value)
    except ValueError:  # well formed but impossible, such as 2026-02-30
        return None


def _known_for(spec: FieldSpec, kind: str) -> Callable[[], set[Any]]:
    def known() -> set[Any]:
        if spec.key == "activity":
            return set()
        if kind == IDS:
            return _known_ids(spec.key)
        return {str(v) for v, _label in (spec.options() if spec.options else [])}

    return known


def _known_ids(key: str) -> set[int]:
    if key == "tier":
        from tribu.memberships.models import Tier

        return set(Tier.objects.values_list("pk", flat=True))
    if key == "company":
        from tribu.companies.models import Company

        return set(Company.objects.values_list("pk", flat=True))
    if key == "tag":
        from tribu.accounts.models import Tag

        return set(Tag.objects.values_list("pk", flat=True))
    if key == "group":
        from django.apps import apps

        return set(apps.get_model("groups", "Group").objects.values_list("pk", flat=True))
    if key == "event":
        from django.apps import apps

        return set(apps.get_model("events", "Event").objects.values_list("pk", flat=True))
    return set()


def spec_for(key: Any) -> FieldSpec | None:
    """The spec of a field key (a custom field by ``custom:<key>``), or None if it is not offered."""
    if not isinstance(key, str):
        return None
    if key.startswith(CUSTOM_PREFIX):
        from tribu.accounts.models import CustomField

        cf = CustomField.objects.filter(key=key[len(CUSTOM_PREFIX):], segmentable=True, active=True).first()
        return _custom_spec(cf, custom_ops()) if cf is not None else None
    if key in FIELDS and not _offered(key):
        return None
    return FIELDS.get(key)


def validate(filters: Any) -> dict[str, Any]:
    """The normalised filters, or ``ValidationError`` listing every problem in the reader's language."""
    if filters in (None, {}):
        return {"match": "all", "rules": []}
    if not isinstance(filters, dict):
        raise ValidationError(gettext('The filters must be an object: {"match": "all", "rules": [...]}.'))
    unknown_keys = set(filters) - {"match", "rules"}
    if unknown_keys:
        raise ValidationError(
            gettext("Unknown keys in the filters: %(keys)s.") % {"keys": ", ".join(sorted(map(str, unknown_keys)))}
        )
    match = filters.get("match", "all")
    if match not in ("all", "any"):
        raise ValidationError(gettext("“match” must be “all” or “any”."))
    rules = filters.get("rules", [])
    if not isinstance(rules, list):
        raise ValidationError(gettext("“rules” must be a list."))
    if len(rules) > MAX_RULES:
        raise ValidationError(gettext("A segment has at most %(n)d rules.") % {"n": MAX_RULES})
    errors: list[str] = []
    cleaned: list[dict[str, Any]] = []
    for number, rule in enumerate(rules, start=1):
        rule_clean, problem = check_rule(rule)
        if problem:
            errors.append(gettext("Rule %(n)d: %(problem)s") % {"n": number, "problem": problem})
        else:
            cleaned.append(rule_clean)
    if errors:
        raise ValidationError(errors)
    return {"match": match, "rules": cleaned}


def check_rule(rule: Any) -> tuple[dict[str, Any], str | None]:
    """One rule normalised, or a translated message saying what is wrong with it."""
    if not isinstance(rule, dict) or not {"field", "op"} <= set(rule) or set(rule) - {"field", "op", "value"}:
        return {}, gettext('write it as {"field": ..., "op": ..., "value": ...}.')
    spec = spec_for(rule["field"])
    if spec is None:
        return {}, gettext("unknown field « %(field)s ».") % {"field": str(rule["field"])[:80]}
    op = spec.ops.get(rule["op"]) if isinstance(rule["op"], str) else None
    if op is None:
        return {}, gettext("« %(field)s » has no operator « %(op)s » (use one of: %(ops)s).") % {
            "field": spec.label, "op": str(rule["op"])[:40], "ops": ", ".join(spec.ops)
        }
    value, problem = _check_value(spec, op, rule.get("value"), _known_for(spec, op.value))
    if problem:
        return {}, gettext("%(field)s (%(op)s): %(problem)s") % {
            "field": spec.label, "op": op.label, "problem": problem
        }
    return {"field": spec.key, "op": op.key, "value": value}, None


# --- building -----------------------------------------------------------------------------------------


def to_q(filters: dict[str, Any], now: dt.datetime | None = None) -> Q:
    """The condition on ``User`` for validated filters. No rule: everyone. A rule whose field is no
    longer offered (a custom field made unusable, the groups app gone) matches no one."""
    ctx = Context(now or timezone.now())
    rules = (filters or {}).get("rules") or []
    if not rules:
        return Q()
    match_any = (filters or {}).get("match") == "any"
    combined: Q | None = None
    for rule in rules:
        q = _rule_q(rule, ctx)
        combined = q if combined is None else (combined | q if match_any else combined & q)
    return combined if combined is not None else Q()


def _rule_q(rule: dict[str, Any], ctx: Context) -> Q:
    key = rule.get("field")
    op = rule.get("op")
    if isinstance(key, str) and key.startswith(CUSTOM_PREFIX):
        from tribu.accounts.models import CustomField

        cf_key = key[len(CUSTOM_PREFIX):]
        still_offered = Exists(CustomField.objects.filter(key=cf_key, segmentable=True, active=True))
        return Q(still_offered) & build_custom(cf_key, str(op), rule.get("value"))
    spec = FIELDS.get(key) if isinstance(key, str) else None
    if spec is None or op not in spec.ops or not _offered(spec.key):
        return Q(pk__in=[])
    return spec.build(op, rule.get("value"), ctx)
