"""Tier access rules: what a member's tiers let them open.

- ``effective_tier_ids(user)``: the tiers the member holds now — their own active (or in-grace)
  membership, and their company's when one of its seats covers them (the first ``seats`` attached
  members by ``joined_at``). One query, remembered on the user object for the request.
- ``effective_tier_ids_many(user_ids)``: the same for many members in a fixed number of queries
  (the directory index uses it).
- ``decide(user, obj) -> Access``: for any ``TierRestricted`` object (``required_tiers``,
  ``restriction_mode``): ``ALLOWED``, ``TEASER`` (show a teaser and an upgrade call to action) or
  ``HIDDEN``. The team (staff, admins) always passes.
- ``require(user, obj)``: raises ``Http404`` (hidden) or ``TierRequired`` (teaser: a 403 with an
  explanation) — use it on direct access to the object in views and the API.
- ``check_area(user, area)``: the same for the community areas (``"directory"``, ``"companies"``),
  ruled by ``AreaRestriction`` rows the admins edit on the tiers page.
- ``TierRequired``: a ``PermissionDenied``; the API turns it into a 403 JSON error carrying its
  message. Pages render it with ``tier_required_response(request, exc)``, which the
  ``@area_required("directory")`` and ``@tier_page`` view decorators do for you.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from tribu.core.compiled import CompiledQuery

CACHE_ATTR = "_tribu_effective_tier_ids"
AREAS_CACHE_KEY = "memberships:area-rules:v1"


class Access(enum.Enum):
    ALLOWED = "allowed"
    TEASER = "teaser"
    HIDDEN = "hidden"


class TierRequired(PermissionDenied):
    """Refused for want of a tier: a 403 whose message explains it and names the tiers that open it."""

    def __init__(self, message: str = "", tier_ids: Iterable[int] = (), area: str = "") -> None:
        self.message = message or _("This is reserved for some membership tiers.")
        self.tier_ids = sorted(set(tier_ids))
        self.area = area
        super().__init__(self.message)

    def __str__(self) -> str:
        return str(self.message)

    def tiers(self) -> list[Any]:
        from .models import Tier

        return list(Tier.objects.filter(pk__in=self.tier_ids))


def _is_team(user: Any) -> bool:
    from tribu.core.policies import is_team

    return is_team(user)


def _seat_rank_filter(user_id: int) -> Q:
    """Company memberships of the member's company whose seats reach them (fewer attached before them
    than the tier's seats)."""
    from tribu.companies.models import CompanyMember

    mine = CompanyMember.objects.filter(user_id=user_id)
    my_joined = Subquery(mine.values("joined_at")[:1])
    my_id = Subquery(mine.values("pk")[:1])
    ahead = (
        CompanyMember.objects.filter(company_id=OuterRef("company_id"))
        .filter(Q(joined_at__lt=my_joined) | Q(joined_at=my_joined, pk__lt=my_id))
        .order_by()
        .values("company_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Q(
        company_id__in=mine.values("company_id"),
        tier__seats__gt=Coalesce(Subquery(ahead), 0),
    )


def effective_tier_ids(user: Any) -> set[int]:
    """The tiers ``user`` holds right now: their own active (or in-grace) membership, and their
    company's when a seat of it covers them."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", True):
        return set()
    cached = getattr(user, CACHE_ATTR, None)
    if cached is not None:
        return set(cached)
    ids = {row[0] for row in _TIER_IDS.rows(user.pk)}
    setattr(user, CACHE_ATTR, frozenset(ids))
    return ids


def _tier_ids_of(user_id: int) -> Any:
    from .models import GRANTING_STATUSES, Membership

    return (Membership.objects.filter(status__in=GRANTING_STATUSES)
            .filter(Q(user_id=user_id) | _seat_rank_filter(user_id))
            .order_by().values_list("tier_id", flat=True))


# ``effective_tier_ids``'s statement, compiled once per process: compiling its subqueries cost more CPU
# than running it, on most pages (search, feed, groups).
_TIER_IDS = CompiledQuery(_tier_ids_of)


def forget(user: Any) -> None:
    """Drop the per-request memo (after a change to this member's memberships)."""
    if user is not None and hasattr(user, CACHE_ATTR):
        delattr(user, CACHE_ATTR)


def seat_holders(company_ids: Iterable[int], seats_by_company: dict[int, int]) -> dict[int, list[int]]:
    """The attached members each company's seats cover, first come first served."""
    from tribu.companies.models import CompanyMember

    covered: dict[int, list[int]] = defaultdict(list)
    rows = (
        CompanyMember.objects.filter(company_id__in=list(company_ids))
        .order_by("company_id", "joined_at", "pk")
        .values_list("company_id", "user_id")
    )
    for company_id, user_id in rows:
        if len(covered[company_id]) < seats_by_company.get(company_id, 0):
            covered[company_id].append(user_id)
    return covered


def effective_tier_ids_many(user_ids: Iterable[int]) -> dict[int, set[int]]:
    """``effective_tier_ids`` for many members at once (at most four queries, whatever their number)."""
    from tribu.companies.models import CompanyMember

    from .models import GRANTING_STATUSES, Membership

    ids = list({int(i) for i in user_ids})
    result: dict[int, set[int]] = {i: set() for i in ids}
    if not ids:
        return result
    own = Membership.objects.filter(status__in=GRANTING_STATUSES, user_id__in=ids).order_by()
    for user_id, tier_id in own.values_list("user_id", "tier_id"):
        result[user_id].add(tier_id)
    company_of = dict(CompanyMember.objects.filter(user_id__in=ids).order_by().values_list("user_id", "company_id"))
    if not company_of:
        return result
    company_rows = list(
        Membership.objects.filter(
            status__in=GRANTING_STATUSES, company_id__in=set(company_of.values()), tier__seats__gt=0
        ).order_by().values_list("company_id", "tier_id", "tier__seats")
    )
    if not company_rows:
        return result
    covered = seat_holders({c for c, _t, _s in company_rows}, {c: s for c, _t, s in company_rows})
    for company_id, tier_id, _seats in company_rows:
        for user_id in covered.get(company_id, []):
            if user_id in result:
                result[user_id].add(tier_id)
    return result


# --- decisions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    tier_ids: frozenset[int]
    mode: str


def rule_of(obj: Any) -> Rule:
    """The tiers and mode of a ``TierRestricted`` object (uses a prefetched ``required_tiers``)."""
    return Rule(frozenset(t.pk for t in obj.required_tiers.all()), obj.restriction_mode)


def decide_rule(user: Any, rule: Rule) -> Access:
    if not rule.tier_ids or _is_team(user):
        return Access.ALLOWED
    if rule.tier_ids & effective_tier_ids(user):
        return Access.ALLOWED
    from .models import RestrictionMode

    return Access.HIDDEN if rule.mode == RestrictionMode.HIDDEN else Access.TEASER


def decide(user: Any, obj: Any) -> Access:
    """``ALLOWED``, ``TEASER`` or ``HIDDEN`` for ``user`` and a ``TierRestricted`` object."""
    return decide_rule(user, rule_of(obj))


def _refuse(rule: Rule, access: Access, message: str, area: str = "") -> None:
    if access == Access.HIDDEN:
        raise Http404
    if access == Access.TEASER:
        raise TierRequired(message, rule.tier_ids, area)


def require(user: Any, obj: Any, message: str = "") -> None:
    """Raise ``Http404`` (hidden) or ``TierRequired`` (teaser) when ``user`` may not open ``obj``."""
    rule = rule_of(obj)
    _refuse(rule, decide_rule(user, rule), message or _("This content is reserved for some membership tiers."))


def area_rules() -> dict[str, Rule]:
    """Every area restriction, from the cache (forgotten when an admin changes one)."""
    rules = cache.get(AREAS_CACHE_KEY)
    if rules is None:
        from .models import AreaRestriction

        rules = {
            row.area: Rule(frozenset(t.pk for t in row.required_tiers.all()), row.restriction_mode)
            for row in AreaRestriction.objects.prefetch_related("required_tiers")
        }
        cache.set(AREAS_CACHE_KEY, rules, 300)
    return rules


def forget_area_rules() -> None:
    cache.delete(AREAS_CACHE_KEY)


def area_message(area: str) -> str:
    from .models import Area

    if area == Area.DIRECTORY:
        return _("The members directory is reserved for some membership tiers.")
    if area == Area.COMPANIES:
        return _("The companies directory is reserved for some membership tiers.")
    return _("This part of the community is reserved for some membership tiers.")


def check_area(user: Any, area: str) -> None:
    """Raise ``Http404`` or ``TierRequired`` (a 403 with an explanation and an upgrade link) when a
    community area restricted to tiers (``"directory"``, ``"companies"``) is closed to ``user``."""
    if _is_team(user):
        return None
    rule = area_rules().get(area)
    if rule is None or not rule.tier_ids:
        return None
    _refuse(rule, decide_rule(user, rule), area_message(area), area)
    return None


# --- pages ------------------------------------------------------------------------------------------


def tier_required_response(request: HttpRequest, exc: TierRequired) -> HttpResponse:
    """The 403 page: what is refused, the tiers that open it, and a link to choose one."""
    return render(
        request,
        "memberships/tier_required.html",
        {"message": exc.message, "tiers": exc.tiers()},
        status=403,
    )


def tier_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Render a ``TierRequired`` raised by the view as the explanatory 403 page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except TierRequired as exc:
            return tier_required_response(request, exc)

    return wrapper


def area_required(area: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """``@area_required("directory")`` on a view: checks the area for signed-in people (anonymous
    visitors go on to the view, whose own rule sends them to the login page) and renders a refusal
    as the explanatory 403 page."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if request.user.is_authenticated:
                    check_area(request.user, area)
                return view(request, *args, **kwargs)
            except TierRequired as exc:
                return tier_required_response(request, exc)

        return wrapper

    return decorator
