"""Read side: what the membership pages and the API show, with their joins (bounded queries)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone

from tribu.core.activity_text import describe
from tribu.core.models import Activity

from .models import CURRENT_STATUSES, GRANTING_STATUSES, AreaRestriction, Membership, MembershipStatus, Tier

PAGE_SIZE = 50


def tiers(*, include_archived: bool = False) -> QuerySet[Tier]:
    rows = Tier.objects.select_related("downgrade_to")
    return rows if include_archived else rows.filter(active=True)


def selectable_tiers() -> QuerySet[Tier]:
    return Tier.objects.filter(active=True, self_selectable=True).filter(Q(seats__isnull=True) | Q(seats=0))


def area_restrictions() -> dict[str, AreaRestriction]:
    return {row.area: row for row in AreaRestriction.objects.prefetch_related("required_tiers")}


@dataclass
class Filters:
    tier: int | None = None
    status: str = ""
    expiring: int | None = None
    q: str = ""
    holder: str = ""  # "", "user", "company"

    def as_params(self) -> list[tuple[str, str]]:
        out = []
        for key in ("tier", "status", "expiring", "q", "holder"):
            value = getattr(self, key)
            if value not in (None, ""):
                out.append((key, str(value)))
        return out


def _int(value: Any, low: int = 0, high: int = 10**9) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def parse_filters(params: Any) -> Filters:
    status = params.get("status", "")
    holder = params.get("holder", "")
    return Filters(
        tier=_int(params.get("tier"), 1),
        status=status if status in MembershipStatus.values or status == "current" else "",
        expiring=_int(params.get("expiring"), 0, 3660),
        q=(params.get("q") or "").strip()[:100],
        holder=holder if holder in {"user", "company"} else "",
    )


def memberships(filters: Filters) -> QuerySet[Membership]:
    rows = Membership.objects.select_related("tier", "user", "company")
    if filters.tier:
        rows = rows.filter(tier_id=filters.tier)
    if filters.status == "current":
        rows = rows.filter(status__in=CURRENT_STATUSES)
    elif filters.status:
        rows = rows.filter(status=filters.status)
    if filters.expiring is not None:
        today = timezone.localdate()
        rows = rows.filter(status__in=GRANTING_STATUSES, ends_on__gte=today,
                           ends_on__lte=today + timedelta(days=filters.expiring))
    if filters.holder == "user":
        rows = rows.filter(user__isnull=False)
    elif filters.holder == "company":
        rows = rows.filter(company__isnull=False)
    if filters.q:
        q = filters.q
        rows = rows.filter(
            Q(user__email__icontains=q) | Q(user__display_name__icontains=q) | Q(user__first_name__icontains=q)
            | Q(user__last_name__icontains=q) | Q(company__name__icontains=q)
        )
    if filters.expiring is not None:
        return rows.order_by("ends_on", "pk")
    return rows.order_by("-updated_at", "-pk")


def page_of(rows: QuerySet, number: Any, size: int = PAGE_SIZE) -> Page:
    return Paginator(rows, size).get_page(number)


# --- history --------------------------------------------------------------------------------------------


@dataclass
class Event:
    when: Any
    text: str
    verb: str
    reason: str = ""
    actor: Any = None
    membership_id: int | None = None


def history(membership_ids: list[int], limit: int = 200) -> list[Event]:
    """The activity log of these memberships, newest first, as readable sentences (2 queries)."""
    if not membership_ids:
        return []
    ct = ContentType.objects.get_for_model(Membership)
    rows = (
        Activity.objects.filter(target_type=ct, target_id__in=[str(i) for i in membership_ids])
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        Event(when=a.created_at, text=describe(a), verb=a.verb, reason=(a.data or {}).get("reason", ""),
              actor=a.actor, membership_id=int(a.target_id))
        for a in rows
    ]


# --- a member's situation -----------------------------------------------------------------------------


@dataclass
class Overview:
    current: Membership | None = None
    past: list[Membership] = field(default_factory=list)
    company: Any = None
    company_membership: Membership | None = None
    seat_covered: bool = False
    history: list[Event] = field(default_factory=list)


def overview(user: Any) -> Overview:
    from tribu.companies.models import CompanyMember

    from . import access

    own = list(Membership.objects.filter(user=user).select_related("tier").order_by("-created_at", "-pk"))
    result = Overview()
    result.current = next((m for m in own if m.status in CURRENT_STATUSES), None)
    result.past = [m for m in own if m is not result.current]
    attachment = CompanyMember.objects.filter(user=user).select_related("company").first()
    if attachment is not None:
        result.company = attachment.company
        result.company_membership = (
            Membership.objects.filter(company_id=attachment.company_id, status__in=CURRENT_STATUSES)
            .select_related("tier").first()
        )
        cm = result.company_membership
        if cm is not None and cm.status in GRANTING_STATUSES and cm.tier.seats:
            result.seat_covered = cm.tier_id in access.effective_tier_ids(user)
    result.history = history([m.pk for m in own])
    return result


def holder_memberships(*, user: Any = None, company: Any = None) -> list[Membership]:
    rows = Membership.objects.select_related("tier").order_by("-created_at", "-pk")
    return list(rows.filter(user=user) if user is not None else rows.filter(company=company))


def members_without_membership(q: str, limit: int = 10) -> list[Any]:
    """Members matching a search who hold no current membership (to grant them one): one query."""
    from tribu.accounts.models import User

    if not q:
        return []
    return list(
        User.objects.filter(Q(email__icontains=q) | Q(display_name__icontains=q) | Q(first_name__icontains=q)
                            | Q(last_name__icontains=q))
        .exclude(memberships__status__in=CURRENT_STATUSES)
        .order_by("display_name", "email")[:limit]
    )
