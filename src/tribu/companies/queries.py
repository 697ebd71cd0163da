"""Reads of the companies app: the directory with its facets, the partners wall, a company page,
its people and seats. Each returns what a page needs in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy

from . import policies
from .models import Company, CompanyInvitation, CompanyMember, CompanySize, PartnerLevel

PAGE_SIZE = 24
RENEW_WINDOW_DAYS = 60
FACET_TOP = 15
SORTS = {"name": gettext_lazy("Name"), "newest": gettext_lazy("Newest")}
ORDERINGS = {"name": ("name", "id"), "newest": ("-created_at", "-id")}


@dataclass
class Filters:
    q: str = ""
    sector: list[str] = field(default_factory=list)
    size: list[str] = field(default_factory=list)
    city: list[str] = field(default_factory=list)
    level: list[int] = field(default_factory=list)
    sort: str = "name"

    @property
    def narrowed(self) -> bool:
        return bool(self.q or self.sector or self.size or self.city or self.level)

    def as_params(self) -> list[tuple[str, str]]:
        params: list[tuple[str, str]] = []
        if self.q:
            params.append(("q", self.q))
        for name in ("sector", "size", "city", "level"):
            params.extend((name, str(v)) for v in getattr(self, name))
        if self.sort != "name":
            params.append(("sort", self.sort))
        return params


def _getlist(data: Mapping[str, Any], key: str) -> list[str]:
    if hasattr(data, "getlist"):
        values = data.getlist(key)
    else:
        raw = data.get(key) or []
        values = raw if isinstance(raw, list | tuple) else [raw]
    return [str(v).strip()[:120] for v in values if str(v).strip()][:20]


def parse_filters(data: Mapping[str, Any]) -> Filters:
    """Unknown sizes, levels and sorts are ignored rather than refused (a shared link stays usable)."""
    q = " ".join(str(data.get("q") or "").split())[:200]
    sizes = [s for s in _getlist(data, "size") if s in CompanySize.values]
    levels = [int(v) for v in _getlist(data, "level") if v.isdigit()]
    sort = str(data.get("sort") or "name")
    return Filters(
        q=q, sector=_getlist(data, "sector"), size=sizes, city=_getlist(data, "city"), level=levels,
        sort=sort if sort in SORTS else "name",
    )


def _narrow(qs: QuerySet[Company], filters: Filters, *, skip: str = "") -> QuerySet[Company]:
    if filters.q:
        for word in filters.q.split()[:8]:
            qs = qs.filter(Q(name__icontains=word) | Q(sector__icontains=word) | Q(city__icontains=word))
    if filters.sector and skip != "sector":
        qs = qs.filter(sector__in=filters.sector)
    if filters.size and skip != "size":
        qs = qs.filter(size__in=filters.size)
    if filters.city and skip != "city":
        qs = qs.filter(city__in=filters.city)
    if filters.level and skip != "level":
        qs = qs.filter(partner_level_id__in=filters.level)
    return qs


def directory(filters: Filters) -> QuerySet[Company]:
    """The companies matching ``filters``, with their partner level and number of attached members."""
    return (
        _narrow(Company.objects.all(), filters)
        .select_related("partner_level")
        .annotate(member_count=Count("attachments"))
        .order_by(*ORDERINGS[filters.sort])
    )


def page_of(qs: QuerySet[Any], number: Any, size: int = PAGE_SIZE) -> Page:
    return Paginator(qs, size).get_page(number)


def facets(filters: Filters) -> list[dict[str, Any]]:
    """Sector, size, city and partner level, each counted with the other filters applied (4 queries)."""
    base = Company.objects.all()
    result = []

    def counted(column: str, name: str) -> list[tuple[Any, int]]:
        qs = _narrow(base, filters, skip=name).exclude(**{f"{column}__isnull": True})
        if column != "partner_level_id":
            qs = qs.exclude(**{column: ""})
        return list(qs.values_list(column).annotate(n=Count("id")).order_by("-n", column)[:FACET_TOP])

    sectors = counted("sector", "sector")
    sizes = dict(counted("size", "size"))
    cities = counted("city", "city")
    level_counts = dict(counted("partner_level_id", "level"))
    levels = {lv.pk: lv for lv in PartnerLevel.objects.filter(pk__in=list(level_counts) + filters.level)} \
        if level_counts or filters.level else {}

    def options(pairs: list[tuple[Any, Any, int]], selected: list[Any]) -> list[dict[str, Any]]:
        shown = [{"value": str(v), "label": str(label), "count": n, "selected": v in selected} for v, label, n in pairs]
        known = {o["value"] for o in shown}
        shown += [{"value": str(v), "label": str(v), "count": 0, "selected": True} for v in selected
                  if str(v) not in known]
        return shown

    result.append({"param": "sector", "label": gettext_lazy("Sector"),
                   "options": options([(s, s, n) for s, n in sectors], filters.sector)})
    result.append({"param": "size", "label": gettext_lazy("Size"),
                   "options": [{"value": v, "label": str(label), "count": sizes.get(v, 0),
                                "selected": v in filters.size}
                               for v, label in CompanySize.choices if sizes.get(v) or v in filters.size]})
    result.append({"param": "city", "label": gettext_lazy("City"),
                   "options": options([(c, c, n) for c, n in cities], filters.city)})
    ordered_levels = sorted(levels.values(), key=lambda lv: (lv.position, lv.pk))
    result.append({"param": "level", "label": gettext_lazy("Partner level"),
                   "options": [{"value": str(lv.pk), "label": lv.name, "count": level_counts.get(lv.pk, 0),
                                "selected": lv.pk in filters.level} for lv in ordered_levels]})
    return result


def partners() -> list[dict[str, Any]]:
    """Partner companies grouped by level, the highest level (lowest position) first. One query."""
    groups: list[dict[str, Any]] = []
    rows = (
        Company.objects.filter(partner_level__isnull=False)
        .select_related("partner_level")
        .order_by("partner_level__position", "partner_level_id", "name")
    )
    for company in rows:
        if not groups or groups[-1]["level"].pk != company.partner_level_id:
            groups.append({"level": company.partner_level, "companies": []})
        groups[-1]["companies"].append(company)
    return groups


def company_or_404(slug: str) -> Company:
    company = Company.objects.select_related("partner_level").filter(slug=slug).first()
    if company is None:
        raise Http404
    return company


def attachments(company: Company) -> list[CompanyMember]:
    """Every attached member with their profile (contacts first, then by arrival). One query."""
    return list(
        CompanyMember.objects.filter(company=company)
        .select_related("user", "user__profile")
        .order_by("-is_contact", "joined_at", "id")
    )


def _profile(user: Any) -> Any:
    try:
        return user.profile
    except Exception:
        return None


def visible_members(viewer: Any, company: Company, rows: list[CompanyMember] | None = None) -> list[CompanyMember]:
    """The attached members ``viewer`` may see listed on the company page (see the policy)."""
    from tribu.directory.queries import profile_url

    rows = attachments(company) if rows is None else rows
    shown = [m for m in rows if policies.can_see_member_in_listing(viewer, m.user, _profile(m.user))]
    for m in shown:
        m.profile_url = profile_url(m.user_id)  # type: ignore[attr-defined]
    return shown


def seats(company: Company) -> dict[str, Any]:
    """``{"used", "total" (None: no seat limit), "membership"}`` (two queries)."""
    from .actions import seat_membership

    membership = seat_membership(company)
    used = CompanyMember.objects.filter(company=company).count()
    total = membership.tier.seats if membership is not None and membership.tier.seats else None
    left = None if total is None else max(0, total - used)
    return {"used": used, "total": total, "membership": membership, "left": left}


def covered_user_ids(company: Company) -> set[int] | None:
    """The members a seat of the company's membership covers: the first ``seats`` attached (by
    arrival). ``None`` when the company holds no seat-bearing membership (nobody gets a tier from it)."""
    from .actions import seat_membership

    membership = seat_membership(company)
    if membership is None or not membership.tier.seats:
        return None
    rows = CompanyMember.objects.filter(company=company).order_by("joined_at", "id")
    return set(rows.values_list("user_id", flat=True)[: membership.tier.seats])


def pending_invitations(company: Company) -> QuerySet[CompanyInvitation]:
    return (
        CompanyInvitation.objects.filter(
            company=company, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("invited_by")
        .order_by("-created_at")
    )


def manage_list(q: str = "") -> QuerySet[Company]:
    qs = Company.objects.select_related("partner_level").annotate(member_count=Count("attachments"))
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(siret__startswith=q.replace(" ", "")) | Q(city__icontains=q))
    return qs.order_by("name", "id")


def partner_levels() -> QuerySet[PartnerLevel]:
    return PartnerLevel.objects.annotate(company_count=Count("companies")).order_by("position", "id")


def membership_overview(company: Company) -> dict[str, Any]:
    """What the company membership page shows its contacts: the membership a payment would start or
    renew (current, else the last one that ended), the tiers they may pay for, seats used and total,
    the pending transfers and cheques (a fixed number of queries)."""
    from tribu.payments import actions as payment_actions
    from tribu.payments import queries as payment_queries

    membership, tiers = payment_actions.company_tiers(company)
    used = CompanyMember.objects.filter(company=company).count()
    total = membership.tier.seats if membership is not None and membership.tier.seats else None
    subscribed, portal = payment_queries.company_card_state(company)
    today = timezone.localdate()
    # Like a member's "renew now" (billing's summary): from 60 days before the end, or at once when
    # there is nothing running (none yet, pending, ended).
    payable = bool(tiers) and not subscribed and (
        membership is None or membership.status in ("pending", "expired")
        or (membership.ends_on is not None and (membership.ends_on - today).days <= RENEW_WINDOW_DAYS))
    return {
        "payable": payable, "renew_from": (membership.ends_on - timedelta(days=RENEW_WINDOW_DAYS)
                                           if membership is not None and membership.ends_on else None),
        "membership": membership, "tiers": tiers, "used": used, "total": total,
        "pending": payment_queries.pending_company_offline(company),
        "subscribed": subscribed, "portal": portal,
    }
