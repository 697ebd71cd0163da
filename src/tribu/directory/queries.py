"""Reads of the members directory: the search (one queryset for the page, the API and the benchmark),
facet counts, cards, "people like you".

Every read starts from a ``Viewer`` (``viewer_for(user)``): whether they are on the community team
(who see hidden members and staff-only fields) and the filterable custom fields they may see. A
non-team viewer's search runs on ``search_members`` and on terms not restricted to the team, so
a value they may not see can neither match nor be counted.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from tribu.accounts.models import CustomField, Visibility
from tribu.accounts.policies import audience_levels
from tribu.core import policies as core_policies
from tribu.core.i18n_fields import localized

from .backends import get_backend
from .index import FILTERABLE_KINDS, current_epoch, current_version
from .models import DirectoryEntry, DirectoryTerm, TermKind
from .text import search_words

PAGE_SIZE = 24
MAX_VALUES = 20  # per filter
FACET_CACHE_SECONDS = 600
UNFILTERED_FACETS_SECONDS = 300
LIKE_CACHE_SECONDS = 600
FIELDS_CACHE_SECONDS = 60  # a custom field an admin changes shows in the filters within a minute
TOP = {"skill": 12, "interest": 12, "city": 12, "company": 12, "region": 20, "country": 20, "tier": 50}
SORTS = {
    "name": gettext_lazy("Name"),
    "newest": gettext_lazy("Newest members"),
    "active": gettext_lazy("Recently active"),
}
# Standard filters: query-string parameter → term kind, and whether its keys are ids.
STANDARD_FILTERS = {
    "tier": (TermKind.TIER, True),
    "skill": (TermKind.SKILL, True),
    "interest": (TermKind.INTEREST, True),
    "region": (TermKind.REGION, False),
    "country": (TermKind.COUNTRY, False),
    "city": (TermKind.CITY, False),
    "company": (TermKind.COMPANY, True),
}
FACET_LABELS = {
    "tier": gettext_lazy("Membership tier"),
    "skill": gettext_lazy("Skills"),
    "interest": gettext_lazy("Interests"),
    "region": gettext_lazy("Region"),
    "country": gettext_lazy("Country"),
    "city": gettext_lazy("City"),
    "company": gettext_lazy("Company"),
}


@dataclass
class Viewer:
    user: Any
    team: bool
    fields: list[CustomField]  # filterable custom fields this viewer may see

    @property
    def field_ids(self) -> list[int]:
        return [f.pk for f in self.fields]

    @property
    def search_column(self) -> str:
        return "search_staff" if self.team else "search_members"


def viewer_for(user: Any) -> Viewer:
    """The filterable custom fields ``user`` may see (one query, then cached for a minute)."""
    levels = sorted(audience_levels(user))
    key = f"directory:fields:{','.join(levels)}"
    fields = cache.get(key)
    if fields is None:
        fields = list(
            CustomField.objects.filter(
                active=True, directory_filter=True, visibility__in=levels, kind__in=FILTERABLE_KINDS
            ).order_by("position", "id")
        )
        cache.set(key, fields, FIELDS_CACHE_SECONDS)
    return Viewer(user=user, team=core_policies.is_team(user), fields=fields)


@dataclass
class Filters:
    q: str = ""
    standard: dict[str, list[str]] = field(default_factory=dict)  # "skill" → ["12", "14"]
    custom: dict[int, list[str]] = field(default_factory=dict)  # field id → values
    ranges: dict[int, tuple[float | None, float | None]] = field(default_factory=dict)
    sort: str = "name"

    @property
    def words(self) -> list[str]:
        return search_words(self.q)

    @property
    def narrowed(self) -> bool:
        return bool(self.words or self.standard or self.custom or self.ranges)

    def as_params(self, viewer: Viewer) -> list[tuple[str, str]]:
        """The query string that reproduces these filters (for pagination and sort links)."""
        params: list[tuple[str, str]] = []
        if self.q:
            params.append(("q", self.q))
        for name, values in self.standard.items():
            params += [(name, v) for v in values]
        by_id = {f.pk: f for f in viewer.fields}
        for field_id, values in self.custom.items():
            params += [(f"f_{by_id[field_id].key}", v) for v in values]
        for field_id, (low, high) in self.ranges.items():
            if low is not None:
                params.append((f"f_{by_id[field_id].key}_min", _number_text(low)))
            if high is not None:
                params.append((f"f_{by_id[field_id].key}_max", _number_text(high)))
        if self.sort != "name":
            params.append(("sort", self.sort))
        return params

    def cache_key(self) -> str:
        raw = json.dumps(
            [self.words, sorted(self.standard.items()), sorted(self.custom.items()), sorted(self.ranges.items())],
            default=str,
        )
        return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _float(text: str | None) -> float | None:
    try:
        return float(str(text).replace(",", ".")) if text not in (None, "") else None
    except ValueError:
        return None


def parse_filters(params: Any, viewer: Viewer) -> Filters:
    """Filters from a query string (a ``QueryDict`` or a dict of lists). Unknown or malformed values
    are ignored, as is any custom field the viewer may not see."""

    def getlist(name: str) -> list[str]:
        values = params.getlist(name) if hasattr(params, "getlist") else params.get(name, [])
        if isinstance(values, str):
            values = [values]
        out: list[str] = []
        for value in values:
            value = " ".join(str(value).split())[:160]
            if value and value not in out:
                out.append(value)
        return out[:MAX_VALUES]

    def getone(name: str) -> str:
        values = getlist(name)
        return values[0] if values else ""

    filters = Filters(q=" ".join(getone("q").split())[:200])
    for name, (_kind, numeric) in STANDARD_FILTERS.items():
        values = getlist(name)
        if numeric:
            values = [v for v in values if v.isdigit() and len(v) < 10]
        if values:
            filters.standard[name] = values
    for custom_field in viewer.fields:
        name = f"f_{custom_field.key}"
        if custom_field.kind == "number":
            low, high = _float(getone(f"{name}_min")), _float(getone(f"{name}_max"))
            if low is not None or high is not None:
                filters.ranges[custom_field.pk] = (low, high)
            continue
        values = getlist(name)
        if custom_field.kind == "boolean":
            values = [v for v in values if v in {"yes", "no"}]
        if values:
            filters.custom[custom_field.pk] = values
    sort = getone("sort")
    filters.sort = sort if sort in SORTS else "name"
    return filters


def _terms(viewer: Viewer) -> QuerySet[DirectoryTerm]:
    terms = DirectoryTerm.objects.all()
    return terms if viewer.team else terms.filter(listed=True, staff_only=False)


def search(viewer: Viewer, filters: Filters) -> QuerySet[DirectoryEntry]:
    """The members matching ``filters`` that ``viewer`` may find, in the requested order."""
    entries = DirectoryEntry.objects.all()
    if not viewer.team:
        entries = entries.filter(listed=True)
    words = filters.words
    if words:
        entries = get_backend().match(entries, viewer.search_column, words)
    for name, values in filters.standard.items():
        kind = STANDARD_FILTERS[name][0]
        entries = entries.filter(pk__in=_terms(viewer).filter(kind=kind, ref=0, key__in=values).values("entry_id"))
    allowed = set(viewer.field_ids)
    for field_id, values in filters.custom.items():
        if field_id in allowed:
            matching = _terms(viewer).filter(kind=TermKind.FIELD, ref=field_id, key__in=values)
            entries = entries.filter(pk__in=matching.values("entry_id"))
    for field_id, (low, high) in filters.ranges.items():
        if field_id in allowed:
            matching = _terms(viewer).filter(kind=TermKind.FIELD, ref=field_id, number__isnull=False)
            if low is not None:
                matching = matching.filter(number__gte=low)
            if high is not None:
                matching = matching.filter(number__lte=high)
            entries = entries.filter(pk__in=matching.values("entry_id"))
    if filters.sort == "newest":
        return entries.order_by("-date_joined", "-pk")
    if filters.sort == "active":
        return entries.order_by(F("last_active_at").desc(nulls_last=True), "sort_name", "pk")
    return entries.order_by("sort_name", "pk")


def page_of(
    entries: QuerySet[DirectoryEntry], number: Any, per_page: int = PAGE_SIZE, *, viewer: Viewer | None = None,
    filters: Filters | None = None,
) -> Page:
    """Two queries: the count and the page (without the search texts). Given the viewer and the
    filters, a search on one filter alone is counted from the terms' index (see ``fast_count``)."""
    paginator = Paginator(entries.defer("search_members", "search_staff"), per_page)
    if viewer is not None and filters is not None:
        count = fast_count(viewer, filters)
        if count is not None:
            paginator.__dict__["count"] = count  # Paginator.count is a cached property
    return paginator.get_page(number)


def _single_filter(viewer: Viewer, filters: Filters) -> QuerySet[DirectoryTerm] | None:
    """The terms answering a search made of one filter alone (None for any other search)."""
    if filters.words or filters.ranges or len(filters.standard) + len(filters.custom) != 1:
        return None
    if filters.standard:
        name, values = next(iter(filters.standard.items()))
        ref, kind = 0, STANDARD_FILTERS[name][0]
    else:
        ref, values = next(iter(filters.custom.items()))
        kind = TermKind.FIELD
        if ref not in viewer.field_ids:
            return None
    return _terms(viewer).filter(kind=kind, ref=ref, key__in=values)


def fast_count(viewer: Viewer, filters: Filters) -> int | None:
    """The number of results of a search on a single filter, counted on the terms alone (an
    index-only scan on PostgreSQL, instead of a join with every entry); None for other searches."""
    terms = _single_filter(viewer, filters)
    if terms is None:
        return None
    if _needs_distinct(filters):
        return terms.values("entry_id").distinct().count()
    return terms.count()


def _needs_distinct(filters: Filters) -> bool:
    """Several values, or a multiple-choice answer, may give one member several matching terms."""
    values = next(iter(filters.standard.values()), None) or next(iter(filters.custom.values()), [])
    return len(values) > 1 or bool(filters.custom)


# --- Facets -------------------------------------------------------------------------------------


def facet_counts(
    viewer: Viewer, entries: QuerySet[DirectoryEntry], filters: Filters | None = None
) -> dict[tuple[str, int, str], int]:
    """One query: how many of ``entries`` have each (kind, ref, key) the viewer may see.

    Given the filters, the commonest searches skip the join with the entries: every member
    (the terms carry ``listed``), or a single filter (the terms of that filter)."""
    terms = _terms(viewer).filter(~Q(kind=TermKind.FIELD) | Q(ref__in=viewer.field_ids, number__isnull=True))
    single = _single_filter(viewer, filters) if filters is not None else None
    if filters is not None and not filters.narrowed:
        pass
    elif single is not None:
        terms = terms.filter(entry_id__in=single.values("entry_id"))
    else:
        terms = terms.filter(entry_id__in=entries.order_by().values("pk"))
    rows = terms.values_list("kind", "ref", "key").annotate(n=Count("id")).order_by()
    return {(kind, ref, key): n for kind, ref, key, n in rows}


def _labels(kind_ids: dict[str, set[int]]) -> dict[tuple[str, int], str]:
    from tribu.accounts.models import Tag
    from tribu.companies.models import Company
    from tribu.memberships.models import Tier

    labels: dict[tuple[str, int], str] = {}
    tag_ids = kind_ids.get("skill", set()) | kind_ids.get("interest", set())
    if tag_ids:
        for pk, name in Tag.objects.filter(pk__in=tag_ids).values_list("pk", "name"):
            labels[("skill", pk)] = labels[("interest", pk)] = name
    if kind_ids.get("tier"):
        for tier in Tier.objects.filter(pk__in=kind_ids["tier"]).only("pk", "slug", "name_fr", "name_en"):
            labels[("tier", tier.pk)] = tier.name
    if kind_ids.get("company"):
        for pk, name in Company.objects.filter(pk__in=kind_ids["company"]).values_list("pk", "name"):
            labels[("company", pk)] = name
    return labels


def _choice_label(custom_field: CustomField, value: str) -> str:
    if custom_field.kind == "boolean":
        return _("Yes") if value == "yes" else _("No")
    for choice in custom_field.choices or []:
        if isinstance(choice, dict) and str(choice.get("value")) == value:
            labels = SimpleNamespace(**{k: v for k, v in choice.items() if k.startswith("label_")})
            return localized(labels, "label") or value
    return value


def facets(viewer: Viewer, filters: Filters, entries: QuerySet[DirectoryEntry]) -> list[dict[str, Any]]:
    """The facets of the current result set, for the page and the API (cached until the index changes)."""
    # Narrowed searches are counted afresh after any change to the index; the unfiltered facets
    # (the costliest: every member) are kept for a few minutes, unless who is listed changed.
    freshness = f"v{current_version()}" if filters.narrowed else f"t{int(time.time() // UNFILTERED_FACETS_SECONDS)}"
    key = "directory:facets:{}:{}:{}:{}:{}:{}".format(
        current_epoch(), freshness, int(viewer.team), ",".join(map(str, viewer.field_ids)), get_language(),
        filters.cache_key(),
    )
    cached = cache.get(key)
    if cached is not None:
        return _mark_selected(cached, filters, viewer)
    counts = facet_counts(viewer, entries, filters)
    grouped: dict[str, list[tuple[str, int]]] = {}
    custom_groups: dict[int, list[tuple[str, int]]] = {}
    for (kind, ref, term_key), n in counts.items():
        if kind == TermKind.FIELD:
            custom_groups.setdefault(ref, []).append((term_key, n))
        else:
            grouped.setdefault(kind, []).append((term_key, n))
    selected = filters.standard
    kept: dict[str, list[tuple[str, int]]] = {}
    kind_ids: dict[str, set[int]] = {}
    for name, (kind, numeric) in STANDARD_FILTERS.items():
        rows = sorted(grouped.get(kind, []), key=lambda r: (-r[1], r[0]))
        top = rows[: TOP[name]]
        top += [r for r in rows[TOP[name] :] if r[0] in selected.get(name, [])]
        kept[name] = top
        if numeric:
            kind_ids[name] = {int(k) for k, _ in top}
    labels = _labels(kind_ids)
    result: list[dict[str, Any]] = []
    for name, (_kind, numeric) in STANDARD_FILTERS.items():
        options = [
            {"value": k, "label": labels.get((name, int(k)), k) if numeric else k, "count": n} for k, n in kept[name]
        ]
        if name == "tier":
            options.sort(key=lambda o: o["label"].lower())
        result.append({"param": name, "label": str(FACET_LABELS[name]), "kind": "choice", "options": options})
    for custom_field in viewer.fields:
        param = f"f_{custom_field.key}"
        if custom_field.kind == "number":
            result.append({"param": param, "label": custom_field.label, "kind": "range", "options": []})
            continue
        rows = sorted(custom_groups.get(custom_field.pk, []), key=lambda r: (-r[1], r[0]))
        options = [{"value": k, "label": _choice_label(custom_field, k), "count": n} for k, n in rows]
        result.append({"param": param, "label": custom_field.label, "kind": "choice", "options": options})
    cache.set(key, result, FACET_CACHE_SECONDS)
    return _mark_selected(result, filters, viewer)


def _mark_selected(result: list[dict[str, Any]], filters: Filters, viewer: Viewer) -> list[dict[str, Any]]:
    """Tick the chosen options (and fill the chosen range) on a copy of the facets."""
    by_param = {f"f_{f.key}": f.pk for f in viewer.fields}
    marked = []
    for facet in result:
        field_id = by_param.get(facet["param"])
        if field_id is None:
            picked = set(filters.standard.get(facet["param"], []))
            extra: dict[str, str] = {}
        else:
            picked = set(filters.custom.get(field_id, []))
            low, high = filters.ranges.get(field_id, (None, None))
            extra = {"min": _number_text(low) if low is not None else "",
                     "max": _number_text(high) if high is not None else ""}
        options = [{**o, "selected": o["value"] in picked} for o in facet["options"]]
        marked.append({**facet, **extra, "options": options, "active": any(o["selected"] for o in options)
                       or bool(extra.get("min") or extra.get("max"))})
    return marked


# --- Cards --------------------------------------------------------------------------------------


_PROFILE_URL_FORMS = (lambda i: ((i,), {}), lambda i: ((), {"user_id": i}), lambda i: ((), {"pk": i}))
_profile_url_form: list = []  # which argument form ``profile:detail`` takes, found once per process


def profile_url(user_id: int) -> str | None:
    """The member's profile page, once the profile app provides ``profile:detail``."""
    if not _profile_url_form:
        found = None
        for form in _PROFILE_URL_FORMS:
            args, kwargs = form(1)
            try:
                reverse("profile:detail", args=args, kwargs=kwargs)
            except NoReverseMatch:
                continue
            found = form
            break
        _profile_url_form.append(found)
    form = _profile_url_form[0]
    if form is None:
        return None
    args, kwargs = form(user_id)
    return reverse("profile:detail", args=args, kwargs=kwargs)


def card(viewer: Viewer, entry: DirectoryEntry) -> dict[str, Any]:
    """What a card shows of ``entry``: each field only if the viewer may see it."""
    full = viewer.team or getattr(viewer.user, "pk", None) == entry.user_id
    restricted = set() if full else set(entry.restricted or [])

    def shown(name: str, value: Any) -> Any:
        return value if name not in restricted else ""

    photo = shown("photo", entry.photo)
    return {
        "id": entry.user_id,
        "name": entry.name,
        "initials": entry.initials,
        "photo_url": default_storage.url(photo) if photo else "",
        "job_title": shown("job_title", entry.job_title),
        "organisation": shown("organisation", entry.organisation),
        "city": shown("city", entry.city),
        "region": shown("region", entry.region),
        "country": shown("country", entry.country),
        "company_id": entry.company_id if "company" not in restricted else None,
        "company_name": shown("company", entry.company_name),
        "hidden": entry.hidden,
        "is_active": entry.is_active,
        "profile_url": profile_url(entry.user_id),
        "is_self": getattr(viewer.user, "pk", None) == entry.user_id,
    }


# --- People like you ----------------------------------------------------------------------------

LIKE_WEIGHTS = {TermKind.INTEREST: 3, TermKind.SKILL: 2, TermKind.CITY: 2, TermKind.REGION: 1}


def people_like_you(viewer: Viewer, limit: int = 6) -> list[DirectoryEntry]:
    """Up to ``limit`` listed members sharing the most interests, skills, city and region with the
    viewer, never the viewer or hidden members, matched only on what members may see. Two queries,
    then kept for ten minutes (or until someone hides or restricts their profile)."""
    user_id = getattr(viewer.user, "pk", None)
    if user_id is None:
        return []
    key = f"directory:like:{current_epoch()}:{user_id}:{limit}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    mine: dict[str, list[str]] = {}
    for kind, term_key in DirectoryTerm.objects.filter(entry_id=user_id, kind__in=list(LIKE_WEIGHTS)).values_list(
        "kind", "key"
    ):
        mine.setdefault(kind, []).append(term_key)
    if not mine:
        return []
    shared = Q()
    for kind, keys in mine.items():
        shared |= Q(terms__kind=kind, terms__key__in=keys)
    weight = Case(
        *[When(terms__kind=kind, then=Value(w)) for kind, w in LIKE_WEIGHTS.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    people = list(
        DirectoryEntry.objects.filter(listed=True)
        .exclude(pk=user_id)
        .filter(shared, terms__staff_only=False, terms__ref=0)
        .annotate(score=Sum(weight))
        .defer("search_members", "search_staff")
        .order_by("-score", "sort_name", "pk")[:limit]
    )
    cache.set(key, people, LIKE_CACHE_SECONDS)
    return people


# --- Contact ------------------------------------------------------------------------------------


def contactable_member(viewer: Any, user_id: int) -> Any:
    """The member ``viewer`` may write to, or ``Http404``: hidden, deactivated, unknown members, and
    anyone without a listed entry, stay unknown (the team included)."""
    from tribu.accounts.models import User

    user = User.objects.filter(pk=user_id, is_active=True).select_related("profile").first()
    if user is None:
        raise Http404
    profile = getattr(user, "profile", None)
    if profile is not None and profile.hidden_from_directory:
        raise Http404
    return user


__all__ = [
    "PAGE_SIZE",
    "SORTS",
    "Filters",
    "Viewer",
    "Visibility",
    "card",
    "contactable_member",
    "facets",
    "page_of",
    "parse_filters",
    "people_like_you",
    "search",
    "viewer_for",
]
