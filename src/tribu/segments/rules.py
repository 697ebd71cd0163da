"""How each field of a segment rule becomes SQL on ``User``, and what values it offers.

Every builder returns a ``Q`` made of ``EXISTS`` (or correlated count) subqueries on the member's
row, so a segment with any number of rules is counted in one SQL query. ``filters.py`` holds the
registry that names these builders, validation and ``to_q``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    JSONNull,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
    Window,
)
from django.db.models.functions import Cast, Coalesce, RowNumber
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

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


def make_ops(*ops: Op) -> dict[str, Op]:
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


def _ids(qs: Any, column: str = "user_id") -> Q:
    """``User.pk IN (<qs's column>)``: a non-correlated subquery the database hashes once (or turns
    into a semi-join), cheaper than a correlated EXISTS when rules are combined with OR or NOT. The
    column must not be NULL (``NOT IN`` with a NULL matches nothing)."""
    return Q(pk__in=qs.order_by().values(column))


def _seat_holders(tier_ids: list[int] | None = None) -> Any:
    """The attachments a seat of their company's granting membership covers (the first ``seats``
    attached members by ``joined_at``, as ``memberships.access`` decides): attachments joined to their
    company's current membership (one at most, a database constraint) and its tier, ranked by a
    window function."""
    from tribu.companies.models import CompanyMember

    current = {"company__memberships__status__in": _granting(), "company__memberships__tier__seats__gt": 0}
    if tier_ids is not None:
        current["company__memberships__tier_id__in"] = tier_ids
    return (
        CompanyMember.objects.filter(**current)
        .annotate(
            seats=F("company__memberships__tier__seats"),
            seat_rank=Window(RowNumber(), partition_by=[F("company_id")],
                             order_by=[F("joined_at").asc(), F("pk").asc()]),
        )
        .filter(seat_rank__lte=F("seats"))
    )


def _seat_covered(tier_ids: list[int] | None = None) -> Q:
    return _ids(_seat_holders(tier_ids))


def _holds(tier_ids: list[int] | None = None) -> Q:
    """Holds one of ``tier_ids`` (any tier when None) right now: their own active or in-grace
    membership, or a seat of their company's."""
    from tribu.memberships.models import Membership

    own = Membership.objects.filter(user__isnull=False, status__in=_granting())
    if tier_ids is not None:
        own = own.filter(tier_id__in=tier_ids)
    # One IN over a UNION rather than two INs joined by OR: the database can then semi-join it with
    # the other rules instead of testing both sets on every member.
    holders = own.order_by().values("user_id").union(_seat_holders(tier_ids).order_by().values("user_id"))
    return Q(pk__in=holders)


def tier_options() -> list[tuple[Any, str]]:
    from tribu.memberships.models import Tier

    return [(t.pk, t.name) for t in Tier.objects.order_by("position", "pk")]


def build_tier(op: str, value: Any, ctx: Context) -> Q:
    q = _holds(list(value))
    return q if op == "in" else ~q


STATUS_ACTIVE = "active"
STATUS_GRACE = "grace"
STATUS_PENDING = "pending"
STATUS_LAPSED = "lapsed"
STATUS_NONE = "none"


def status_options() -> list[tuple[Any, str]]:
    return [
        (STATUS_ACTIVE, gettext("Active (their own membership or a seat of their company)")),
        (STATUS_GRACE, gettext("In grace period")),
        (STATUS_PENDING, gettext("Pending")),
        (STATUS_LAPSED, gettext("Lapsed (had a membership, holds none now)")),
        (STATUS_NONE, gettext("Never had a membership")),
    ]


def _status_q(status: str) -> Q:
    from tribu.memberships.models import Membership, MembershipStatus

    mine = Membership.objects.filter(user__isnull=False)
    if status == STATUS_ACTIVE:
        return _holds(None)
    if status == STATUS_GRACE:
        return _ids(mine.filter(status=MembershipStatus.GRACE))
    if status == STATUS_PENDING:
        return _ids(mine.filter(status=MembershipStatus.PENDING))
    if status == STATUS_LAPSED:
        ended = _ids(mine.filter(status__in=[MembershipStatus.EXPIRED, MembershipStatus.CANCELLED]))
        current = _ids(mine.filter(status__in=[MembershipStatus.PENDING, *_granting()]))
        return ended & ~current & ~_seat_covered(None)
    # never had one: no membership of their own, no seat
    return ~_ids(mine) & ~_seat_covered(None)


def build_status(op: str, value: Any, ctx: Context) -> Q:
    from tribu.memberships.models import Membership

    if op == "expiring_within":
        return _ids(
            Membership.objects.filter(
                user__isnull=False,
                status__in=_granting(),
                ends_on__gte=ctx.today,
                ends_on__lte=ctx.today + dt.timedelta(days=int(value)),
            )
        )
    q = Q()
    for status in value:
        q |= _status_q(status)
    return q if op == "in" else ~q


# --- company, tags, role, dates, activity, consent --------------------------------------------------


def company_options() -> list[tuple[Any, str]]:
    from tribu.companies.models import Company

    return list(Company.objects.order_by("name", "pk").values_list("pk", "name"))


def build_company(op: str, value: Any, ctx: Context) -> Q:
    from tribu.companies.models import CompanyMember

    attached = CompanyMember.objects.all()
    if op in ("in", "not_in"):
        q = _ids(attached.filter(company_id__in=list(value)))
        return q if op == "in" else ~q
    if op == "is_contact":
        return _ids(attached.filter(is_contact=True))
    q = _ids(attached)
    return q if op == "is_set" else ~q


def tag_options() -> list[tuple[Any, str]]:
    from tribu.accounts.models import Tag

    return [
        (pk, f"{name} ({gettext('skill') if kind == 'skill' else gettext('interest')})")
        for pk, name, kind in Tag.objects.order_by("name", "pk").values_list("pk", "name", "kind")
    ]


def build_tag(op: str, value: Any, ctx: Context) -> Q:
    from tribu.accounts.models import Profile

    ids = list(value)
    q = _ids(Profile.skills.through.objects.filter(tag_id__in=ids), "profile_id") | _ids(
        Profile.interests.through.objects.filter(tag_id__in=ids), "profile_id"
    )
    return q if op == "any_of" else ~q


def role_options() -> list[tuple[Any, str]]:
    from tribu.accounts.models import Role

    return [(r.value, str(r.label)) for r in Role]


def build_role(op: str, value: Any, ctx: Context) -> Q:
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


def build_signup(op: str, value: Any, ctx: Context) -> Q:
    return _date_q("date_joined", op, value, ctx)


def build_last_seen(op: str, value: Any, ctx: Context) -> Q:
    """The last time the member was seen on the site (``Profile.last_active_at``); a member never
    seen counts as "not seen for N days"."""
    from tribu.accounts.models import Profile

    if op == "never":
        return ~_ids(Profile.objects.filter(last_active_at__isnull=False))
    q = _ids(Profile.objects.filter(_date_q("last_active_at", "within_days", value, ctx)))
    return q if op == "within_days" else ~q


def build_activity(op: str, value: Any, ctx: Context) -> Q:
    """Engagement signals from the activity log (acts the member did themselves). "No activity for N
    days" is a NOT EXISTS on the (actor, time) index; "at least / at most N times" one grouped,
    non-correlated subquery (the database counts every member's acts once)."""
    from tribu.core.models import Activity

    if op in ("none_for_days", "any_within_days"):
        recent = Exists(Activity.objects.filter(actor_id=OuterRef("pk"), created_at__gte=ctx.days_ago(int(value))))
        return Q(recent) if op == "any_within_days" else ~Q(recent)
    verb, minimum, days = value.get("verb") or "", int(value["min"]), value.get("days")
    acts = Activity.objects.filter(actor_id__isnull=False)
    if verb:
        acts = acts.filter(verb=verb)
    if days is not None:
        acts = acts.filter(created_at__gte=ctx.days_ago(int(days)))
    threshold = minimum + 1 if op == "did_at_most" else max(minimum, 1)
    if threshold > 1:
        acts = acts.order_by().values("actor_id").annotate(n=Count("pk")).filter(n__gte=threshold)
    q = _ids(acts, "actor_id")
    return ~q if op == "did_at_most" else q


def verb_options() -> list[tuple[Any, str]]:
    from tribu.core.activity_text import SENTENCES

    return [(verb, verb) for verb in sorted(SENTENCES)]


def consent_options() -> list[tuple[Any, str]]:
    from tribu.privacy.models import ConsentKind

    return [(k.value, str(k.label)) for k in (ConsentKind.NEWSLETTER, ConsentKind.EVENT_ANNOUNCEMENTS)]


def build_consent(op: str, value: Any, ctx: Context) -> Q:
    """The member's latest consent of that kind is a "yes" (no record, or a withdrawal: not given)."""
    from tribu.privacy.models import Consent

    latest = Consent.objects.filter(user_id=OuterRef("pk"), kind=value).order_by("-created_at", "-id")
    q = Q(Exact(Coalesce(Subquery(latest.values("granted")[:1]), Value(False)), True))
    return q if op == "given" else ~q


# --- groups (read from the groups app once it has its membership table) -----------------------------


def group_membership_model() -> Any:
    """The groups app's membership table (``user`` + ``group``), or None while it has none."""
    from django.apps import apps

    try:
        model = apps.get_model("groups", "GroupMembership")
    except LookupError:
        return None
    names = {f.name for f in model._meta.get_fields()}
    return model if {"user", "group"} <= names else None


def group_options() -> list[tuple[Any, str]]:
    from django.apps import apps

    try:
        group = apps.get_model("groups", "Group")
    except LookupError:
        return []
    return list(group.objects.order_by("path", "name", "pk").values_list("pk", "name"))


def build_group(op: str, value: Any, ctx: Context) -> Q:
    q = _ids(group_membership_model().objects.filter(group_id__in=list(value)))
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


def event_options() -> list[tuple[Any, str]]:
    from django.apps import apps
    from django.utils.formats import date_format

    event = apps.get_model("events", "Event")
    rows = event.objects.exclude(status="draft").order_by("-starts_at", "-pk").values_list("pk", "title", "starts_at")
    return [
        (pk, f"{title} ({date_format(timezone.localtime(starts), 'SHORT_DATE_FORMAT')})")
        for pk, title, starts in rows[:500]
    ]


def build_event(op: str, value: Any, ctx: Context) -> Q:
    """``registered_to`` (a confirmed registration to one of these events), ``attended`` (checked in at
    one of them), ``attended_within_days`` / ``not_attended_within_days`` (checked in at any event
    that started in the last N days). Walk-ins without an account are not members: left out."""
    registrations = _registration_model().objects.filter(user__isnull=False)
    if op == "registered_to":
        return _ids(registrations.filter(event_id__in=list(value), status="confirmed"))
    attended = registrations.filter(checked_in_at__isnull=False)
    if op in ("attended", "not_attended"):
        q = _ids(attended.filter(event_id__in=list(value)))
        return q if op == "attended" else ~q
    q = _ids(attended.filter(event__starts_at__gte=ctx.days_ago(int(value)), event__starts_at__lte=ctx.now))
    return q if op == "attended_within_days" else ~q


# --- custom profile fields ---------------------------------------------------------------------------

CUSTOM_PREFIX = "custom:"

CUSTOM_OPS: dict[str, dict[str, Op]] = {}


def custom_ops() -> dict[str, dict[str, Op]]:
    if not CUSTOM_OPS:
        is_set = Op("is_set", _("is answered"), NONE)
        not_set = Op("is_not_set", _("is not answered"), NONE)
        text = make_ops(Op("contains", _("contains"), TEXT), Op("equals", _("is exactly"), TEXT), is_set, not_set)
        CUSTOM_OPS.update(
            short_text=text,
            long_text=text,
            url=text,
            single_choice=make_ops(Op("any_of", _("is one of"), CHOICES), Op("none_of", _("is none of"), CHOICES),
                               is_set, not_set),
            multiple_choice=make_ops(Op("any_of", _("includes one of"), CHOICES),
                                 Op("none_of", _("includes none of"), CHOICES), is_set, not_set),
            number=make_ops(Op("eq", _("equals"), NUMBER), Op("gte", _("is at least"), NUMBER),
                        Op("lte", _("is at most"), NUMBER), is_set, not_set),
            date=make_ops(Op("before", _("is before"), DATE), Op("on_or_after", _("is on or after"), DATE),
                      is_set, not_set),
            boolean=make_ops(Op("is", _("is"), BOOL), is_set, not_set),
            file=make_ops(is_set, not_set),
        )
    return CUSTOM_OPS


def _custom_values(key: str) -> Any:
    from tribu.accounts.models import CustomFieldValue

    return CustomFieldValue.objects.filter(field__key=key)


def build_custom(key: str, op: str, value: Any) -> Q:
    """The same SQL whatever the field's type (validation already checked the operator fits it), so
    evaluating a rule needs no query to read the field first."""
    values = _custom_values(key)
    if op in ("is_set", "is_not_set"):
        answered = values.filter(
            ~Q(file="") | (Q(value__isnull=False) & ~Q(value=JSONNull()) & ~Q(value="") & ~Q(value=[]))
        )
        q = _ids(answered)
        return q if op == "is_set" else ~q
    if op in ("contains", "equals"):
        texts = values.annotate(t=JsonText("value"))
        if op == "contains":
            return _ids(texts.filter(t__icontains=value))
        return _ids(texts.filter(t__iexact=value))
    if op in ("any_of", "none_of"):
        # a single choice is a JSON string, a multiple choice a JSON list of strings
        cond = Q(value__in=list(value))  # JSON equality: no text conversion of every answer
        if connection.vendor == "postgresql":
            for v in value:
                cond |= Q(value__contains=[v])
        else:
            for v in value:
                cond |= Q(raw__startswith="[") & Q(raw__contains=_json_quoted(v))
        match = values.annotate(raw=Cast("value", CharField())).filter(cond)
        q = _ids(match)
        return q if op == "any_of" else ~q
    if op in ("eq", "gte", "lte"):
        lookup = {"eq": "exact", "gte": "gte", "lte": "lte"}[op]
        return _ids(values.annotate(n=JsonNumber("value")).filter(**{f"n__{lookup}": float(value)}))
    if op in ("before", "on_or_after"):
        texts = values.annotate(t=JsonText("value")).filter(t__regex=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
        lookup = "lt" if op == "before" else "gte"
        return _ids(texts.filter(**{f"t__{lookup}": value}))
    if op == "is":
        return _ids(values.filter(value=bool(value)))
    return Q(pk__in=[])


def _json_quoted(text: str) -> str:
    return json.dumps(text)


