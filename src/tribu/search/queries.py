"""The search: one function for the page, the API and the benchmark.

``search(user, params)`` → ``Results``: the current tab's page of results (highlighted), the count
per kind (the tabs), the groups the matches are in (a facet), and the members tab from the directory.
Every count and result goes through ``visible_q(user)``, the pages' own rules in SQL:

- posts, comments, resources: in the community space or in a group ``user`` may read
  (``groups.queries.readable_groups``); tier-gated resources: their full text for holders of the
  tiers, their teaser for the others (``teaser`` mode) or nothing (``hidden`` mode);
- events: ``events.queries.visible_q`` (drafts never, audiences, tiers, groups);
- groups: ``groups.queries.visible_groups`` (private groups only for their members…);
- members: the directory's rules (``directory.queries``): its tier area, hidden members and
  staff-only fields for the team only.

A search runs a bounded number of queries whatever the data: the viewer's groups and tiers, the
capped counts per kind and group with the groups' names (one query), the members tab (its count with
the entries shown), the window of the newest matches and the page with its groups' and authors' names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import BooleanField, Count, F, Q, QuerySet, Window
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tribu.core import policies as core_policies

from . import text
from .backends import get_backend
from .models import Kind, SearchDocument

PAGE_SIZE = 20
MAX_PAGE = 50
# Counts stop at COUNT_CAP matches ("more than 1,000"), and relevance ranks the RANK_WINDOW newest
# matches (or as many as the page asked for needs): a common word matching half the community costs
# about the same as a rare one. Like Discourse or GitLab, a search never counts 200,000 matches.
COUNT_CAP = 1_000
RANK_WINDOW = 100
MEMBER_PREVIEW = 4
GROUP_FACET_SIZE = 8
MEMBER = "member"
KIND_LABELS = {
    Kind.POST: gettext_lazy("Posts"),
    Kind.COMMENT: gettext_lazy("Comments"),
    Kind.RESOURCE: gettext_lazy("Resources"),
    Kind.EVENT: gettext_lazy("Events"),
    Kind.GROUP: gettext_lazy("Groups"),
    MEMBER: gettext_lazy("Members"),
}
KINDS = tuple(KIND_LABELS)
KIND_NAMES = {  # one result's kind
    Kind.POST: gettext_lazy("Post"),
    Kind.COMMENT: gettext_lazy("Comment"),
    Kind.RESOURCE: gettext_lazy("Resource"),
    Kind.EVENT: gettext_lazy("Event"),
    Kind.GROUP: gettext_lazy("Group"),
    MEMBER: gettext_lazy("Member"),
}
SORTS = ("relevance", "recent")


class QueryError(ValueError):
    """A search that cannot run as typed; the message (translated) says why."""


@dataclass
class Params:
    q: str = ""
    kind: str = ""  # "" = every kind
    group: int | None = None
    author: int | None = None
    tag: str = ""
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    page: int = 1
    words: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def narrowed(self) -> bool:
        """A filter only posts, comments, resources or events have (members do not)."""
        return bool(self.group or self.author or self.tag or self.date_from or self.date_to)

    def as_params(self, **override: Any) -> list[tuple[str, str]]:
        values = {
            "q": self.q, "kind": self.kind, "group": self.group or "", "author": self.author or "",
            "tag": self.tag, "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "sort": "" if self.sort == "relevance" else self.sort,
        }
        values.update(override)
        return [(k, str(v)) for k, v in values.items() if v not in ("", None)]


def _int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


def _date(value: Any, errors: list[str], label: str) -> date | None:
    value = str(value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(_("The %(field)s date is not a valid date (YYYY-MM-DD); it was ignored.") % {"field": label})
        return None


def parse(data: Any) -> Params:
    """Read the search box and filters from a query string; what cannot be used is reported in
    ``errors`` (translated) and left out, never raised."""
    errors: list[str] = []
    q = str(data.get("q") or "")
    if len(q) > text.MAX_QUERY_LENGTH:
        errors.append(_("The search is too long: only its first %(count)d characters were used.")
                      % {"count": text.MAX_QUERY_LENGTH})
        q = q[: text.MAX_QUERY_LENGTH]
    q = " ".join(q.split())
    kind = str(data.get("kind") or "")
    if kind not in KINDS:
        kind = ""
    sort = str(data.get("sort") or "relevance")
    page = _int(data.get("page")) or 1
    params = Params(
        q=q, kind=kind, group=_int(data.get("group")), author=_int(data.get("author")),
        tag=" ".join(text.words(str(data.get("tag") or "").lstrip("#")))[:50],
        date_from=_date(data.get("from"), errors, _("start")), date_to=_date(data.get("to"), errors, _("end")),
        sort=sort if sort in SORTS else "relevance", page=min(page, MAX_PAGE),
        words=[w for w in text.query_words(q) if len(w) > 1 or w.isdigit()], errors=errors,
    )
    if q and not params.words:
        errors.append(_("Type at least one word of two letters or more (punctuation and symbols are ignored)."))
    if params.date_from and params.date_to and params.date_from > params.date_to:
        errors.append(_("The start date is after the end date: the dates were swapped."))
        params.date_from, params.date_to = params.date_to, params.date_from
    return params


# --- visibility ------------------------------------------------------------------------------------


def visible_q(user: Any) -> Q:
    """The documents ``user`` may find (the same rules as the pages), as one SQL condition."""
    if not core_policies.is_member_area_allowed(user):
        return Q(pk__in=[])
    from tribu.events.models import Event
    from tribu.events.queries import visible_q as events_visible_q
    from tribu.groups.queries import readable_groups, visible_groups
    from tribu.memberships.access import effective_tier_ids

    events = Q(kind=Kind.EVENT, object_id__in=Event.objects.filter(events_visible_q(user)).values("pk"))
    if core_policies.is_team(user):
        return Q(kind__in=[Kind.POST, Kind.COMMENT, Kind.RESOURCE, Kind.GROUP], teaser=False) | events
    held = Q(pk__in=[])
    for tier_id in sorted(effective_tier_ids(user)):
        held |= Q(tier_ids__contains=f"|{tier_id}|")
    place = Q(group__isnull=True) | Q(group_id__in=readable_groups(user).values("pk"))
    content = (
        Q(kind__in=[Kind.POST, Kind.COMMENT, Kind.RESOURCE])
        & place
        & ((Q(teaser=False) & (Q(tier_ids="") | held)) | (Q(teaser=True) & ~held))
    )
    groups = Q(kind=Kind.GROUP, object_id__in=visible_groups(user).values("pk"))
    return content | events | groups


def _bounds(params: Params) -> Q:
    tz = ZoneInfo(settings.TIME_ZONE)
    q = Q()
    if params.date_from:
        q &= Q(created_at__gte=datetime.combine(params.date_from, time.min, tzinfo=tz))
    if params.date_to:
        q &= Q(created_at__lt=datetime.combine(params.date_to + timedelta(days=1), time.min, tzinfo=tz))
    return q


def documents(user: Any, params: Params, *, ranked: bool = False) -> QuerySet[SearchDocument]:
    """The documents matching ``params`` that ``user`` may find, every kind (no tab applied)."""
    docs = SearchDocument.objects.filter(visible_q(user))
    if params.group:
        docs = docs.filter(group_id=params.group)
    if params.author:
        docs = docs.filter(author_id=params.author)
    if params.tag:
        docs = docs.filter(tags__contains=f"|{params.tag}|")
    docs = docs.filter(_bounds(params))
    if params.words:
        docs = get_backend().match(docs, params.words, ranked=ranked)
    return docs


def members(user: Any, params: Params) -> QuerySet | None:
    """Directory entries matching the words, by the directory's rules; None when ``user`` may not use
    the directory (or a filter members do not have is set)."""
    from tribu.directory import policies as directory_policies
    from tribu.directory import queries as directory_queries
    from tribu.directory.backends import get_backend as directory_backend
    from tribu.directory.models import DirectoryEntry
    from tribu.memberships.access import check_area

    if params.narrowed or not params.words or not directory_policies.can_browse_directory(user):
        return None
    try:
        check_area(user, "directory")
    except (Http404, PermissionDenied):
        return None
    viewer = directory_queries.viewer_for(user)
    entries = DirectoryEntry.objects.all() if viewer.team else DirectoryEntry.objects.filter(listed=True)
    return directory_backend().match(entries, viewer.search_column, params.words).order_by("sort_name", "pk")


# --- the search ------------------------------------------------------------------------------------


@dataclass
class Hit:
    kind: str
    kind_label: str
    id: int
    title: SafeString
    snippet: SafeString
    url: str
    group: Any = None  # (id, name) or None
    author: Any = None  # (id, name) or None
    created_at: datetime | None = None
    teaser: bool = False
    card: dict | None = None  # members: the directory card


@dataclass
class Results:
    params: Params
    counts: dict[str, int]
    hits: list[Hit]
    has_next: bool
    groups: list[dict[str, Any]]  # facet: id, name, count
    member_preview: list[Hit]
    capped: bool = False  # more than COUNT_CAP documents matched: the counts are lower bounds

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def count(self) -> int:
        return self.counts.get(self.params.kind, 0) if self.params.kind else self.total


def _doc_hit(doc: SearchDocument, wanted: frozenset[str], groups: dict[int, str], authors: dict[int, str]) -> Hit:
    return Hit(
        kind=doc.kind, kind_label=str(KIND_NAMES.get(doc.kind, doc.kind)), id=doc.object_id,
        title=text.highlight(doc.title, wanted), snippet=text.snippet(doc.body, wanted), url=doc.url,
        group=(doc.group_id, groups[doc.group_id]) if doc.group_id in groups else None,
        author=(doc.author_id, authors[doc.author_id]) if doc.author_id in authors else None,
        created_at=doc.created_at, teaser=doc.teaser,
    )


def _member_hit(user: Any, entry: Any, wanted: frozenset[str]) -> Hit:
    from tribu.directory import queries as directory_queries

    card = directory_queries.card(directory_queries.viewer_for(user), entry)
    line = " · ".join(filter(None, [card.get("job_title"), card.get("organisation"), card.get("city")]))
    return Hit(kind=MEMBER, kind_label=str(KIND_NAMES[MEMBER]), id=entry.pk,
               title=text.highlight(entry.name, wanted, prefix=True),
               snippet=text.highlight(line, wanted, prefix=True),
               url=card.get("profile_url") or "", card=card)


def search(user: Any, params: Params, *, page_size: int = PAGE_SIZE) -> Results:
    """Run the search of ``params`` for ``user``. Without words nor filters, nothing is searched.

    The database counts the first ``COUNT_CAP`` + 1 matches per kind and group (the tabs and the
    groups facet); then the window of the newest matches is read, and the page ranked among them with
    the names of its groups and authors."""
    empty = Results(params, {}, [], False, [], [])
    if not params.words and not params.narrowed:
        return empty
    wanted = text.query_stems(params.words)
    member_wanted = frozenset(params.words)
    matching = _compiled(documents(user, params))
    tally = _tally(matching)
    per_kind: dict[str, int] = {}
    for kind, _group, _name, n in tally:
        bucket = kind if kind in _SMALL_KINDS else Kind.POST
        per_kind[bucket] = per_kind.get(bucket, 0) + n
    # The counts are lower bounds once a kind (posts and comments together) reached the cap; the
    # page's window of the tab (or of every kind) is then read newest first on the date index.
    capped = any(n > COUNT_CAP for n in per_kind.values())
    tab_bucket = (params.kind if params.kind in _SMALL_KINDS else Kind.POST) if params.kind else None
    window_capped = per_kind.get(tab_bucket, 0) > COUNT_CAP if tab_bucket else capped
    counts, groups = _facets(params, tally)
    offset = (params.page - 1) * page_size
    entries = members(user, params)
    # The members tab's count and the entries shown (its page, or the preview on the first page of
    # every kind) in one query: the count rides along each row.
    shown: list[Any] = []
    if entries is not None:
        if params.kind == MEMBER:
            shown = list(_with_total(entries)[offset : offset + page_size + 1])
        elif not params.kind and params.page == 1:
            shown = list(_with_total(entries)[:MEMBER_PREVIEW])
        if shown:
            found = shown[0].found_total
        elif params.kind in (MEMBER, "") and offset == 0:
            found = 0  # the first page was read: nothing matched
        else:
            found = entries.count()
        if found:
            counts[MEMBER] = found
    hits: list[Hit] = []
    preview: list[Hit] = []
    rows: list[Any] = []
    if params.kind == MEMBER:
        rows = shown
        hits = [_member_hit(user, e, member_wanted) for e in rows[:page_size]]
    else:
        if not params.kind or counts.get(params.kind):
            rows = _page(matching, params, window_capped, offset, page_size)
        hits = _doc_hits(rows[:page_size], wanted)
        if not params.kind and params.page == 1:
            preview = [_member_hit(user, e, member_wanted) for e in shown]
    return Results(params, counts, hits, len(rows) > page_size, groups, preview, capped)


def _with_total(entries: QuerySet) -> QuerySet:
    return entries.annotate(found_total=Window(Count("pk")))


def _compiled(docs: QuerySet[SearchDocument]) -> QuerySet[SearchDocument]:
    """The same documents, their conditions turned into SQL once: the permission rules (groups,
    tiers, events, groups' visibility) and the filters are several nested subqueries that the ORM
    would otherwise rebuild and compile again for the counts, the window and the page (about 1.5 ms
    of CPU per search). Kept as it was if the conditions need a join (none do today). The SQL names
    the table itself: use the result at the top level of a query, never inside a subquery (where
    Django renames the table and the condition would read the outer query's row)."""
    query = docs.query
    if query.is_sliced or sum(1 for alias in query.alias_map if query.alias_refcount[alias]) > 1:
        return docs
    where, where_params = query.get_compiler(docs.db).compile(query.where)
    if not where:
        return docs
    condition = RawSQL(where, where_params, output_field=BooleanField())  # noqa: S611 - the ORM's own SQL and parameters
    return SearchDocument.objects.using(docs.db).filter(condition)


# Posts and comments are counted together (they are most of the index: the first ``COUNT_CAP`` + 1
# matches stop a common word's scan early); each smaller kind on its own, so a common word's few
# resources, events or groups are counted (and get their tab) even when a thousand posts came first.
_SMALL_KINDS = (Kind.RESOURCE, Kind.EVENT, Kind.GROUP)


def _tally(docs: QuerySet[SearchDocument]) -> list[tuple[str, int | None, str | None, int]]:
    """(kind, group, group's name, count) of the first ``COUNT_CAP`` + 1 matches of posts and
    comments and of each smaller kind, counted by the database: the rows themselves never leave it,
    it stops reading at the cap, and the groups' names (for the facet) come in the same round trip."""
    from tribu.groups.models import Group

    # The matches' SQL is compiled once; each branch narrows it to its kinds (the database pushes
    # the kind down into the subquery, so the plans are those of one query per kind).
    sql, params = docs.order_by().values_list("kind", "group_id").query.sql_with_params()
    parts: list[str] = []
    sql_params: list[Any] = []
    for kinds in ((Kind.POST, Kind.COMMENT), *((k,) for k in _SMALL_KINDS)):
        marks = ", ".join(["%s"] * len(kinds))
        parts.append(f"SELECT * FROM (SELECT b.kind, b.group_id FROM ({sql}) b "  # noqa: S608 - the ORM's SQL
                     f"WHERE b.kind IN ({marks}) LIMIT {COUNT_CAP + 1}) k{len(parts)}")
        sql_params += [*params, *(str(k) for k in kinds)]
    groups = Group._meta.db_table
    with connections[docs.db].cursor() as cursor:
        cursor.execute(
            f"SELECT m.kind, m.group_id, g.name, COUNT(*) FROM ({' UNION ALL '.join(parts)}) m "  # noqa: S608 - the ORM's SQL
            f"LEFT JOIN {groups} g ON g.id = m.group_id GROUP BY m.kind, m.group_id, g.name",
            sql_params,
        )
        return [tuple(row) for row in cursor.fetchall()]


def _page(matching: QuerySet[SearchDocument], params: Params, capped: bool, offset: int, size: int) -> list[Any]:
    """The documents of the page (one more, to know whether another page follows): the newest
    matches, or by relevance among the ``RANK_WINDOW`` newest ones.

    More than ``COUNT_CAP`` matches: the window's ids are read backwards on the date index, filtering on
    the words (they are in many documents, so it stops soon). Fewer: their
    ids and dates are read from the words' index (at most ``COUNT_CAP`` of them) and sorted here —
    an ``ORDER BY created_at LIMIT`` would tempt the planner into the same backwards scan, which for a
    word in 60 documents out of a million reads the whole index."""
    ranked = params.sort == "relevance" and bool(params.words)
    limit = max(RANK_WINDOW, offset + size + 1) if ranked else offset + size + 1
    newest = matching
    if params.kind:
        newest = newest.filter(kind=params.kind)
    # Both windows are read as their own query (``matching`` is precompiled SQL naming the table, which
    # inside a subquery would be the outer query's).
    if capped:
        window = list(newest.order_by("-created_at", "-id").values_list("pk", flat=True)[:limit])
    else:
        found = sorted(newest.order_by().values_list("created_at", "pk"), reverse=True)
        window = [pk for _created, pk in found[:limit]]
    if not window:
        return []
    # The names of the page's groups and authors in the same query (joined to its 21 rows at most).
    docs = SearchDocument.objects.filter(pk__in=window).defer("vector", "title_terms", "body_terms").annotate(
        group_name=F("group__name"), author_display_name=F("author__display_name"),
        author_first_name=F("author__first_name"), author_last_name=F("author__last_name"),
        author_email=F("author__email"),
    )
    order = ["-created_at", "-id"]
    if ranked:
        docs = docs.annotate(score=get_backend().score(params.words))
        order = ["-score", *order]
    return list(docs.order_by(*order)[offset : offset + size + 1])


def _doc_hits(docs: list[SearchDocument], wanted: frozenset[str]) -> list[Hit]:
    """Hits of a page of documents (read by ``_page`` with their groups' and authors' names)."""
    from tribu.accounts.models import User

    groups: dict[int, str] = {}
    authors: dict[int, str] = {}
    for d in docs:
        if d.group_id and d.group_name is not None:
            groups[d.group_id] = d.group_name
        if d.author_id and d.author_email is not None and d.author_id not in authors:
            authors[d.author_id] = User(display_name=d.author_display_name, first_name=d.author_first_name,
                                        last_name=d.author_last_name, email=d.author_email).name
    return [_doc_hit(d, wanted, groups, authors) for d in docs]


def _facets(params: Params, tally: list[tuple]) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Counts per kind and per group of the matches (the capped tally), and the top groups' names."""
    counts: dict[str, int] = {}
    per_group: dict[int, int] = {}
    names: dict[int, str] = {}
    for kind, group_id, name, n in tally:
        counts[kind] = counts.get(kind, 0) + n
        if group_id is not None and (not params.kind or params.kind == kind):
            per_group[group_id] = per_group.get(group_id, 0) + n
            if name is not None:
                names[group_id] = name
    top = sorted(per_group.items(), key=lambda item: -item[1])[: GROUP_FACET_SIZE * 2]
    groups = sorted(
        ({"id": g, "name": names[g], "count": n} for g, n in top if g in names), key=lambda g: (-g["count"], g["name"])
    )[:GROUP_FACET_SIZE]
    return counts, groups
