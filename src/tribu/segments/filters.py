"""The fields a segment can filter on, their operators and values, and how each rule becomes SQL.

A segment's ``filters`` is ``{"match": "all" | "any", "rules": [{"field", "op", "value"}, ...]}``.

- ``FIELDS``: the registry. Each ``FieldSpec`` has a translated label, its operators (each with the
  kind of value it takes, which is also the builder's widget) and ``build(op, value, ctx) -> Q`` on
  ``User``. Every rule is an ``EXISTS`` (or a correlated subquery) on the member's row, so counting a
  segment is one SQL query whatever the number of rules.
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
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import (
    CharField,
    Count,
    Exists,
    FloatField,
    Func,
    JSONNull,
    OuterRef,
    Q,
    Subquery,
    TextField,
)
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

MAX_RULES = 30
MAX_LIST = 200
MAX_DAYS = 36500
VERB_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")

# --- value kinds (also the builder's widgets) -----------------------------------------------------

IDS = "ids"  # a non-empty list of ids picked among ``options``
CHOICES = "choices"  # a non-empty list of strings picked among ``options``
CHOICE = "choice"  # one string among ``options``
DAYS = "days"  # a whole number of days, 0 or more
DATE = "date"  # an ISO date, "2026-11-23"
NUMBER = "number"
TEXT = "text"
BOOL = "bool"
NONE = "none"  # the operator takes no value
ACTIVITY = "activity"  # {"verb": "post.created" or "" for any act, "min": 1, "days": 30 or null}


@dataclass(frozen=True)
class Op:
    key: str
    label: Promise | str
    value: str


@dataclass
class Context:
    """What rules are evaluated against: the current time and the community's today."""

    now: dt.datetime

    @property
    def today(self) -> dt.date:
        return timezone.localdate(self.now)

    def days_ago(self, days: int) -> dt.datetime:
        return self.now - dt.timedelta(days=days)


@dataclass
class FieldSpec:
    key: str
    label: Promise | str
    category: Promise | str
    ops: dict[str, Op]
    build: Callable[[str, Any, Context], Q]
    options: Callable[[], list[tuple[Any, str]]] | None = None  # for IDS / CHOICES / CHOICE values
    help: Promise | str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _ops(*ops: Op) -> dict[str, Op]:
    return {op.key: op for op in ops}


# --- JSON helpers for custom-field values (same SQL meaning on SQLite and PostgreSQL) -------------


class JsonText(Func):
    """A JSON scalar as text (a string without its quotes), NULL for arrays and objects."""

    output_field = TextField()

    def as_sql(self, compiler: Any, conn: Any, **extra: Any) -> Any:  # SQLite
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"CASE WHEN JSON_TYPE({sql}) IN ('text', 'integer', 'real') THEN JSON_EXTRACT({sql}, '$') END",
            [*params, *params],
        )

    def as_postgresql(self, compiler: Any, conn: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"CASE WHEN JSONB_TYPEOF({sql}) IN ('string', 'number') THEN ({sql} #>> '{{}}') END",
            [*params, *params],
        )


class JsonNumber(Func):
    """A JSON number as a float, NULL for anything else (never a cast error)."""

    output_field = FloatField()

    def as_sql(self, compiler: Any, conn: Any, **extra: Any) -> Any:  # SQLite
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"CASE WHEN JSON_TYPE({sql}) IN ('integer', 'real') THEN CAST(JSON_EXTRACT({sql}, '$') AS REAL) END",
            [*params, *params],
        )

    def as_postgresql(self, compiler: Any, conn: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"CASE WHEN JSONB_TYPEOF({sql}) = 'number' THEN ({sql} #>> '{{}}')::double precision END",
            [*params, *params],
        )


# --- tier and membership status ---------------------------------------------------------------------


def _granting() -> list[str]:
    from tribu.memberships.models import GRANTING_STATUSES

    return [str(s) for s in GRANTING_STATUSES]


def _seat_covered(tier_ids: list[int] | None = None) -> Exists:
    """The member is attached to a company whose granting membership has a seat for them (the first
    ``seats`` attached members by ``joined_at``, as ``memberships.access`` decides)."""
    from tribu.companies.models import CompanyMember
    from tribu.memberships.models import Membership

    ahead = (
        CompanyMember.objects.filter(company_id=OuterRef(OuterRef("company_id")))
        .filter(
            Q(joined_at__lt=OuterRef(OuterRef("joined_at")))
            | Q(joined_at=OuterRef(OuterRef("joined_at")), pk__lt=OuterRef(OuterRef("pk")))
        )
        .order_by()
        .values("company_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    company_memberships = Membership.objects.filter(
        company_id=OuterRef("company_id"), status__in=_granting(), tier__seats__gt=Coalesce(Subquery(ahead), 0)
    )
    if tier_ids is not None:
        company_memberships = company_memberships.filter(tier_id__in=tier_ids)
    return Exists(CompanyMember.objects.filter(user_id=OuterRef("pk")).filter(Exists(company_memberships)))


def _holds(tier_ids: list[int] | None = None) -> Q:
    """Holds one of ``tier_ids`` (any tier when None) right now: their own active or in-grace
    membership, or a seat of their company's."""
    from tribu.memberships.models import Membership

    own = Membership.objects.filter(user_id=OuterRef("pk"), status__in=_granting())
    if tier_ids is not None:
        own = own.filter(tier_id__in=tier_ids)
    return Q(Exists(own)) | Q(_seat_covered(tier_ids))


def _tier_options() -> list[tuple[Any, str]]:
    from tribu.memberships.models import Tier

    return [(t.pk, t.name) for t in Tier.objects.order_by("position", "pk")]


def _build_tier(op: str, value: Any, ctx: Context) -> Q:
    q = _holds(list(value))
    return q if op == "in" else ~q


STATUS_ACTIVE = "active"
STATUS_GRACE = "grace"
STATUS_PENDING = "pending"
STATUS_LAPSED = "lapsed"
STATUS_NONE = "none"


def _status_options() -> list[tuple[Any, str]]:
    return [
        (STATUS_ACTIVE, gettext("Active (their own membership or a seat of their company)")),
        (STATUS_GRACE, gettext("In grace period")),
        (STATUS_PENDING, gettext("Pending")),
        (STATUS_LAPSED, gettext("Lapsed (had a membership, holds none now)")),
        (STATUS_NONE, gettext("Never had a membership")),
    ]


def _status_q(status: str) -> Q:
    from tribu.memberships.models import Membership, MembershipStatus

    mine = Membership.objects.filter(user_id=OuterRef("pk"))
    if status == STATUS_ACTIVE:
        return _holds(None)
    if status == STATUS_GRACE:
        return Q(Exists(mine.filter(status=MembershipStatus.GRACE)))
    if status == STATUS_PENDING:
        return Q(Exists(mine.filter(status=MembershipStatus.PENDING)))
    if status == STATUS_LAPSED:
        ended = Exists(mine.filter(status__in=[MembershipStatus.EXPIRED, MembershipStatus.CANCELLED]))
        current = Exists(mine.filter(status__in=[MembershipStatus.PENDING, *_granting()]))
        return Q(ended) & ~Q(current) & ~Q(_seat_covered(None))
    # never had one: no membership of their own, no seat
    return ~Q(Exists(mine)) & ~Q(_seat_covered(None))


def _build_status(op: str, value: Any, ctx: Context) -> Q:
    from tribu.memberships.models import Membership

    if op == "expiring_within":
        return Q(
            Exists(
                Membership.objects.filter(
                    user_id=OuterRef("pk"),
                    status__in=_granting(),
                    ends_on__gte=ctx.today,
                    ends_on__lte=ctx.today + dt.timedelta(days=int(value)),
                )
            )
        )
    q = Q()
    for status in value:
        q |= _status_q(status)
    return q if op == "in" else ~q


# --- company, tags, role, dates, activity, consent --------------------------------------------------


def _company_options() -> list[tuple[Any, str]]:
    from tribu.companies.models import Company

    return list(Company.objects.order_by("name", "pk").values_list("pk", "name"))


def _build_company(op: str, value: Any, ctx: Context) -> Q:
    from tribu.companies.models import CompanyMember

    attached = CompanyMember.objects.filter(user_id=OuterRef("pk"))
    if op in ("in", "not_in"):
        q = Q(Exists(attached.filter(company_id__in=list(value))))
        return q if op == "in" else ~q
    if op == "is_contact":
        return Q(Exists(attached.filter(is_contact=True)))
    q = Q(Exists(attached))
    return q if op == "is_set" else ~q


def _tag_options() -> list[tuple[Any, str]]:
    from tribu.accounts.models import Tag

    return [
        (pk, f"{name} ({gettext('skill') if kind == 'skill' else gettext('interest')})")
        for pk, name, kind in Tag.objects.order_by("name", "pk").values_list("pk", "name", "kind")
    ]


def _build_tag(op: str, value: Any, ctx: Context) -> Q:
    from tribu.accounts.models import Profile

    ids = list(value)
    q = Q(Exists(Profile.skills.through.objects.filter(profile_id=OuterRef("pk"), tag_id__in=ids))) | Q(
        Exists(Profile.interests.through.objects.filter(profile_id=OuterRef("pk"), tag_id__in=ids))
    )
    return q if op == "any_of" else ~q


def _role_options() -> list[tuple[Any, str]]:
    from tribu.accounts.models import Role

    return [(r.value, str(r.label)) for r in Role]


def _build_role(op: str, value: Any, ctx: Context) -> Q:
    q = Q(role__in=list(value))
    return q if op == "in" else ~q


def _date_q(column: str, op: str, value: Any, ctx: Context) -> Q:
    """``before``/``on_or_after`` an ISO date (the community's day), ``within_days``/``more_than_days``."""
    if op in ("before", "on_or_after"):
        day = dt.date.fromisoformat(value)
        start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        return Q(**{f"{column}__lt": start}) if op == "before" else Q(**{f"{column}__gte": start})
    since = ctx.days_ago(int(value))
    if op == "within_days":
        return Q(**{f"{column}__gte": since})
    return Q(**{f"{column}__lt": since})


def _build_signup(op: str, value: Any, ctx: Context) -> Q:
    return _date_q("date_joined", op, value, ctx)


def _build_last_seen(op: str, value: Any, ctx: Context) -> Q:
    """The last time the member was seen on the site (``Profile.last_active_at``); a member never
    seen counts as "not seen for N days"."""
    from tribu.accounts.models import Profile

    profiles = Profile.objects.filter(user_id=OuterRef("pk"))
    if op == "never":
        return ~Q(Exists(profiles.filter(last_active_at__isnull=False)))
    q = Q(Exists(profiles.filter(_date_q("last_active_at", "within_days", value, ctx))))
    return q if op == "within_days" else ~q


def _build_activity(op: str, value: Any, ctx: Context) -> Q:
    """Engagement signals from the activity log (acts the member did themselves)."""
    from tribu.core.models import Activity

    acts = Activity.objects.filter(actor_id=OuterRef("pk"))
    if op == "none_for_days":
        return ~Q(Exists(acts.filter(created_at__gte=ctx.days_ago(int(value)))))
    if op == "any_within_days":
        return Q(Exists(acts.filter(created_at__gte=ctx.days_ago(int(value)))))
    verb, minimum, days = value.get("verb") or "", int(value["min"]), value.get("days")
    if verb:
        acts = acts.filter(verb=verb)
    if days is not None:
        acts = acts.filter(created_at__gte=ctx.days_ago(int(days)))
    if op == "did_at_most":
        if minimum == 0:
            return ~Q(Exists(acts))
        counted = acts.order_by().values("actor_id").annotate(n=Count("pk")).values("n")
        return ~Q(GreaterThanOrEqual(Coalesce(Subquery(counted), 0), minimum + 1))
    if minimum <= 1:
        return Q(Exists(acts))
    counted = acts.order_by().values("actor_id").annotate(n=Count("pk")).values("n")
    return Q(GreaterThanOrEqual(Coalesce(Subquery(counted), 0), minimum))


def _verb_options() -> list[tuple[Any, str]]:
    from tribu.core.activity_text import SENTENCES

    return [(verb, verb) for verb in sorted(SENTENCES)]


def _consent_options() -> list[tuple[Any, str]]:
    from tribu.privacy.models import ConsentKind

    return [(k.value, str(k.label)) for k in (ConsentKind.NEWSLETTER, ConsentKind.EVENT_ANNOUNCEMENTS)]


def _build_consent(op: str, value: Any, ctx: Context) -> Q:
    """The member's latest consent of that kind is a "yes" (no record, or a withdrawal: not given)."""
    from tribu.privacy.models import Consent

    q = Q(
        Exists(
            Consent.objects.filter(user_id=OuterRef("pk"), kind=value, granted=True).exclude(
                Exists(
                    Consent.objects.filter(user_id=OuterRef("user_id"), kind=OuterRef("kind")).filter(
                        Q(created_at__gt=OuterRef("created_at"))
                        | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
                    )
                )
            )
        )
    )
    return q if op == "given" else ~q


# --- groups (read from the groups app once it has its membership table) -----------------------------


def _group_membership_model() -> Any:
    """The groups app's membership table (``user`` + ``group``), or None while it has none."""
    from django.apps import apps

    try:
        model = apps.get_model("groups", "GroupMembership")
    except LookupError:
        return None
    names = {f.name for f in model._meta.get_fields()}
    return model if {"user", "group"} <= names else None


def _group_options() -> list[tuple[Any, str]]:
    from django.apps import apps

    try:
        group = apps.get_model("groups", "Group")
    except LookupError:
        return []
    return list(group.objects.order_by("path", "name", "pk").values_list("pk", "name"))


def _group_filter() -> dict[str, Any]:
    """Extra conditions on a group membership row so only members in good standing count."""
    model = _group_membership_model()
    names = {f.name for f in model._meta.get_fields()} if model is not None else set()
    if "status" in names:
        return {"status": "active"}
    return {}


def _build_group(op: str, value: Any, ctx: Context) -> Q:
    model = _group_membership_model()
    q = Q(Exists(model.objects.filter(user_id=OuterRef("pk"), group_id__in=list(value), **_group_filter())))
    return q if op == "in" else ~q


# --- event attendance (read from the events app's registrations) -------------------------------------


def _registration_model() -> Any:
    from django.apps import apps

    try:
        model = apps.get_model("events", "Registration")
    except LookupError:
        return None
    names = {f.name for f in model._meta.get_fields()}
    return model if {"user", "event", "status", "checked_in_at"} <= names else None


def events_available() -> bool:
    return _registration_model() is not None


def _event_options() -> list[tuple[Any, str]]:
    from django.apps import apps
    from django.utils.formats import date_format

    event = apps.get_model("events", "Event")
    rows = event.objects.exclude(status="draft").order_by("-starts_at", "-pk").values_list("pk", "title", "starts_at")
    return [
        (pk, f"{title} ({date_format(timezone.localtime(starts), 'SHORT_DATE_FORMAT')})")
        for pk, title, starts in rows[:500]
    ]


def _build_event(op: str, value: Any, ctx: Context) -> Q:
    """``registered_to`` (a confirmed registration to one of these events), ``attended`` (checked in at
    one of them), ``attended_within_days`` / ``not_attended_within_days`` (checked in at any event
    that started in the last N days)."""
    registrations = _registration_model().objects.filter(user_id=OuterRef("pk"))
    if op == "registered_to":
        return Q(Exists(registrations.filter(event_id__in=list(value), status="confirmed")))
    if op == "attended":
        return Q(Exists(registrations.filter(event_id__in=list(value), checked_in_at__isnull=False)))
    if op == "not_attended":
        return ~Q(Exists(registrations.filter(event_id__in=list(value), checked_in_at__isnull=False)))
    recent = registrations.filter(
        checked_in_at__isnull=False, event__starts_at__gte=ctx.days_ago(int(value)), event__starts_at__lte=ctx.now
    )
    q = Q(Exists(recent))
    return q if op == "attended_within_days" else ~q


# --- custom profile fields ---------------------------------------------------------------------------

CUSTOM_PREFIX = "custom:"

CUSTOM_OPS: dict[str, dict[str, Op]] = {}


def _custom_ops() -> dict[str, dict[str, Op]]:
    if not CUSTOM_OPS:
        is_set = Op("is_set", _("is answered"), NONE)
        not_set = Op("is_not_set", _("is not answered"), NONE)
        text = _ops(Op("contains", _("contains"), TEXT), Op("equals", _("is exactly"), TEXT), is_set, not_set)
        CUSTOM_OPS.update(
            short_text=text,
            long_text=text,
            url=text,
            single_choice=_ops(Op("any_of", _("is one of"), CHOICES), Op("none_of", _("is none of"), CHOICES),
                               is_set, not_set),
            multiple_choice=_ops(Op("any_of", _("includes one of"), CHOICES),
                                 Op("none_of", _("includes none of"), CHOICES), is_set, not_set),
            number=_ops(Op("eq", _("equals"), NUMBER), Op("gte", _("is at least"), NUMBER),
                        Op("lte", _("is at most"), NUMBER), is_set, not_set),
            date=_ops(Op("before", _("is before"), DATE), Op("on_or_after", _("is on or after"), DATE),
                      is_set, not_set),
            boolean=_ops(Op("is", _("is"), BOOL), is_set, not_set),
            file=_ops(is_set, not_set),
        )
    return CUSTOM_OPS


def _custom_values(key: str) -> Any:
    from tribu.accounts.models import CustomFieldValue

    return CustomFieldValue.objects.filter(user_id=OuterRef("pk"), field__key=key)


def _build_custom(key: str, op: str, value: Any) -> Q:
    """The same SQL whatever the field's type (validation already checked the operator fits it), so
    evaluating a rule needs no query to read the field first."""
    values = _custom_values(key)
    if op in ("is_set", "is_not_set"):
        answered = values.filter(
            ~Q(file="") | (Q(value__isnull=False) & ~Q(value=JSONNull()) & ~Q(value="") & ~Q(value=[]))
        )
        q = Q(Exists(answered))
        return q if op == "is_set" else ~q
    if op in ("contains", "equals"):
        texts = values.annotate(t=JsonText("value"))
        if op == "contains":
            return Q(Exists(texts.filter(t__icontains=value)))
        return Q(Exists(texts.filter(t__iexact=value)))
    if op in ("any_of", "none_of"):
        # a single choice is a JSON string, a multiple choice a JSON list of strings
        cond = Q(t__in=list(value))
        if connection.vendor == "postgresql":
            for v in value:
                cond |= Q(value__contains=[v])
        else:
            for v in value:
                cond |= Q(raw__startswith="[") & Q(raw__contains=_json_quoted(v))
        match = values.annotate(t=JsonText("value"), raw=Cast("value", CharField())).filter(cond)
        q = Q(Exists(match))
        return q if op == "any_of" else ~q
    if op in ("eq", "gte", "lte"):
        lookup = {"eq": "exact", "gte": "gte", "lte": "lte"}[op]
        return Q(Exists(values.annotate(n=JsonNumber("value")).filter(**{f"n__{lookup}": float(value)})))
    if op in ("before", "on_or_after"):
        texts = values.annotate(t=JsonText("value")).filter(t__regex=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
        lookup = "lt" if op == "before" else "gte"
        return Q(Exists(texts.filter(**{f"t__{lookup}": value})))
    if op == "is":
        return Q(Exists(values.filter(value=bool(value))))
    return Q(pk__in=[])


def _json_quoted(text: str) -> str:
    import json

    return json.dumps(text)


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
            "tier", _("Membership tier"), CATEGORY_MEMBERSHIP, _ops(*_LIST_OPS_IN), _build_tier, _tier_options,
            help=_("Tiers held right now, through their own membership or a seat of their company."),
        ),
        FieldSpec(
            "membership_status", _("Membership status"), CATEGORY_MEMBERSHIP,
            _ops(
                Op("in", _("is one of"), CHOICES),
                Op("not_in", _("is none of"), CHOICES),
                Op("expiring_within", _("ends within N days"), DAYS),
            ),
            _build_status, _status_options,
        ),
        FieldSpec(
            "company", _("Company"), CATEGORY_MEMBERSHIP,
            _ops(
                *_LIST_OPS_IN,
                Op("is_set", _("is attached to a company"), NONE),
                Op("is_not_set", _("is attached to no company"), NONE),
                Op("is_contact", _("is a company contact"), NONE),
            ),
            _build_company, _company_options,
        ),
        FieldSpec(
            "group", _("Group"), CATEGORY_MEMBERSHIP,
            _ops(Op("in", _("is in one of"), IDS), Op("not_in", _("is in none of"), IDS)),
            _build_group, _group_options,
        ),
        FieldSpec(
            "tag", _("Skills and interests"), CATEGORY_PROFILE,
            _ops(Op("any_of", _("has one of"), IDS), Op("none_of", _("has none of"), IDS)),
            _build_tag, _tag_options,
        ),
        FieldSpec(
            "role", _("Role"), CATEGORY_PROFILE,
            _ops(Op("in", _("is one of"), CHOICES), Op("not_in", _("is none of"), CHOICES)),
            _build_role, _role_options,
        ),
        FieldSpec("signup_date", _("Signup date"), CATEGORY_PROFILE, _ops(*_DATE_OPS), _build_signup),
        FieldSpec(
            "last_seen", _("Last visit"), CATEGORY_ENGAGEMENT,
            _ops(
                Op("within_days", _("within the last N days"), DAYS),
                Op("not_within_days", _("not for N days (or never)"), DAYS),
                Op("never", _("never"), NONE),
            ),
            _build_last_seen,
        ),
        FieldSpec(
            "activity", _("Activity"), CATEGORY_ENGAGEMENT,
            _ops(
                Op("none_for_days", _("no activity for N days"), DAYS),
                Op("any_within_days", _("some activity within the last N days"), DAYS),
                Op("did_at_least", _("did an act at least N times"), ACTIVITY),
                Op("did_at_most", _("did an act at most N times"), ACTIVITY),
            ),
            _build_activity, _verb_options,
            help=_("Read from the activity log: acts the member did (posted, registered, joined a group…)."),
        ),
        FieldSpec(
            "event", _("Events"), CATEGORY_ENGAGEMENT,
            _ops(
                Op("registered_to", _("is registered to one of"), IDS),
                Op("attended", _("attended one of"), IDS),
                Op("not_attended", _("attended none of"), IDS),
                Op("attended_within_days", _("attended an event in the last N days"), DAYS),
                Op("not_attended_within_days", _("attended no event in the last N days"), DAYS),
            ),
            _build_event, _event_options,
            help=_("Attendance is the check-in at the door (or online)."),
        ),
        FieldSpec(
            "email_consent", _("Email consent"), CATEGORY_CONSENT,
            _ops(Op("given", _("given"), CHOICE), Op("not_given", _("not given or withdrawn"), CHOICE)),
            _build_consent, _consent_options,
        ),
    ]
}


def groups_available() -> bool:
    return _group_membership_model() is not None


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
    ops = _custom_ops()
    for cf in CustomField.objects.filter(segmentable=True, active=True).order_by("position", "pk"):
        specs.append(_custom_spec(cf, ops))
    return specs


def _custom_spec(cf: Any, ops: dict[str, dict[str, Op]]) -> FieldSpec:
    from tribu.accounts.custom_fields import choice_label

    key, kind = cf.key, cf.kind
    return FieldSpec(
        CUSTOM_PREFIX + key, cf.label, CATEGORY_PROFILE, ops.get(kind, {}),
        lambda op, value, ctx: _build_custom(key, op, value),
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
        return _custom_spec(cf, _custom_ops()) if cf is not None else None
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
        return {}, gettext("%(field)s (%(op)s): %(problem)s") % {"field": spec.label, "op": op.label, "problem": problem}
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
        return Q(still_offered) & _build_custom(cf_key, str(op), rule.get("value"))
    spec = FIELDS.get(key) if isinstance(key, str) else None
    if spec is None or op not in spec.ops or not _offered(spec.key):
        return Q(pk__in=[])
    return spec.build(op, rule.get("value"), ctx)
