"""The directory's search index: one row per member, refreshed by the actions that change what the
directory shows (profile, custom fields, membership, company). Other apps call ``refresh_on_commit``.

- ``refresh_on_commit(user_ids)``: after the current transaction commits, refresh these members
  (synchronously for a few, through a background task for many).
- ``refresh(user_ids)``: refresh now, in bulk (a fixed number of queries per 1,000 members).
- ``rebuild()``: every member (``tribu directory_rebuild``; also a periodic safety net in ``jobs.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .text import normalise

CHUNK = 1000
SYNC_LIMIT = 200  # more members than this at once: refreshed by a background task
FACETS_VERSION_KEY = "directory:version"
EPOCH_KEY = "directory:epoch"
FILTERABLE_KINDS = ("single_choice", "multiple_choice", "boolean", "number")


def refresh_on_commit(user_ids: Iterable[int]) -> None:
    """Refresh the directory entries of these members once the current transaction commits."""
    ids = sorted({int(i) for i in user_ids if i is not None})
    if not ids:
        return
    if len(ids) > SYNC_LIMIT:
        from .tasks import refresh_entries

        transaction.on_commit(lambda: refresh_entries.enqueue(user_ids=ids))
    else:
        transaction.on_commit(lambda: refresh(ids))


def bump_version() -> None:
    """Cached facet counts and suggestions carry this version; a refresh makes them stale."""
    try:
        cache.incr(FACETS_VERSION_KEY)
    except ValueError:
        cache.set(FACETS_VERSION_KEY, 1, None)


def current_version() -> int:
    return _counter(FACETS_VERSION_KEY)


def bump_epoch() -> None:
    """Forget every cached count and suggestion, including those kept for a few minutes whatever
    the changes (unfiltered facets): called when who is listed, or what they restrict, changed."""
    bump_version()
    try:
        cache.incr(EPOCH_KEY)
    except ValueError:
        cache.set(EPOCH_KEY, 1, None)


def current_epoch() -> int:
    return _counter(EPOCH_KEY)


def _counter(key: str) -> int:
    value = cache.get(key)
    if value is None:
        cache.add(key, 1, None)
        value = cache.get(key, 1)
    return int(value)


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def refresh(user_ids: Iterable[int]) -> int:
    """Rebuild the entries of these members now; members that no longer exist lose theirs."""
    ids = sorted({int(i) for i in user_ids if i is not None})
    done = 0
    privacy_changed = False
    for chunk in _chunks(ids, CHUNK):
        count, changed = _refresh_chunk(chunk)
        done += count
        privacy_changed = privacy_changed or changed
    if privacy_changed:
        bump_epoch()
    elif ids:
        bump_version()
    return done


def rebuild(*, chunk: int = CHUNK) -> int:
    """Every member's entry, in chunks (also removes entries of members that are gone)."""
    from tribu.accounts.models import User

    from .models import DirectoryEntry

    done = 0
    last = 0
    while True:
        ids = list(User.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:chunk])
        if not ids:
            break
        done += _refresh_chunk(ids)[0]
        last = ids[-1]
    # Entries cascade with their user; this only catches rows left by a raw delete.
    DirectoryEntry.objects.exclude(user__in=User.objects.values("pk")).delete()
    bump_epoch()
    return done


def refresh_stale() -> int:
    """The safety net: members without an entry, or whose profile changed after their entry."""
    from django.db.models import F

    from tribu.accounts.models import User

    stale = User.objects.filter(
        Q(directory_entry__isnull=True) | Q(profile__updated_at__gt=F("directory_entry__refreshed_at"))
    ).values_list("pk", flat=True)
    return refresh(list(stale))


# --- Building entries ---------------------------------------------------------------------------


def _tier_ids(users: list[Any]) -> dict[int, set[int]]:
    """Tiers each member holds: their own active (or in-grace) membership and their company's.

    Uses ``memberships.access.effective_tier_ids_many`` when the memberships app provides it."""
    from tribu.memberships import access

    many = getattr(access, "effective_tier_ids_many", None)
    if many is not None:
        return {k: set(v) for k, v in many([u.pk for u in users]).items()}
    from tribu.memberships.models import GRANTING_STATUSES, Membership

    tiers: dict[int, set[int]] = defaultdict(set)
    company_of = {
        u.pk: u.company_attachment.company_id for u in users if getattr(u, "company_attachment", None) is not None
    }
    rows = Membership.objects.filter(status__in=GRANTING_STATUSES).filter(
        Q(user_id__in=[u.pk for u in users]) | Q(company_id__in=set(company_of.values()))
    )
    by_company: dict[int, set[int]] = defaultdict(set)
    for user_id, company_id, tier_id in rows.values_list("user_id", "company_id", "tier_id"):
        if user_id:
            tiers[user_id].add(tier_id)
        else:
            by_company[company_id].add(tier_id)
    for user_id, company_id in company_of.items():
        tiers[user_id] |= by_company.get(company_id, set())
    return tiers


def _custom_terms(value: Any, kind: str) -> list[tuple[str, float | None]]:
    if value is None or value == "" or value == []:
        return []
    if kind == "boolean":
        return [("yes" if value else "no", None)]
    if kind == "number":
        try:
            number = float(value)
        except (TypeError, ValueError):
            return []
        return [(str(value)[:160], number)]
    if kind == "multiple_choice":
        values = value if isinstance(value, list) else [value]
        return [(str(v)[:160], None) for v in values if v not in (None, "")]
    return [(str(value)[:160], None)]


def _refresh_chunk(ids: list[int]) -> tuple[int, bool]:
    """Rebuild these entries; also says whether who is listed, or what they restrict, changed."""
    from tribu.accounts.models import CustomFieldValue, Profile, User, Visibility
    from tribu.accounts.policies import field_visibility

    from .models import DirectoryEntry, DirectoryTerm, TermKind

    users = list(User.objects.filter(pk__in=ids).select_related("profile", "company_attachment__company"))
    found = {u.pk for u in users}
    tags: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
    for kind, through in (("skill", Profile.skills.through), ("interest", Profile.interests.through)):
        for profile_id, tag_id, tag_name in through.objects.filter(profile_id__in=found).values_list(
            "profile_id", "tag_id", "tag__name"
        ):
            tags[(profile_id, kind)].append((tag_id, tag_name))
    custom: dict[int, list[tuple[int, str, Any]]] = defaultdict(list)
    for user_id, field_id, kind, value in CustomFieldValue.objects.filter(
        user_id__in=found, field__active=True, field__kind__in=FILTERABLE_KINDS
    ).values_list("user_id", "field_id", "field__kind", "value"):
        custom[user_id].append((field_id, kind, value))
    tiers = _tier_ids(users)

    now = timezone.now()
    entries: list[DirectoryEntry] = []
    terms: list[tuple[int, str, int, str, float | None, bool, bool]] = []
    for user in users:
        profile = getattr(user, "profile", None)
        try:
            attachment = user.company_attachment
        except Exception:
            attachment = None
        company = attachment.company if attachment is not None else None

        def staff_only(field: str, profile: Any = profile) -> bool:
            return profile is not None and field_visibility(profile, field) == Visibility.STAFF

        restricted = [f for f in ("photo", "job_title", "organisation", "skills", "interests", "city", "region",
                                  "country", "company") if staff_only(f)]
        skills = tags.get((user.pk, "skill"), [])
        interests = tags.get((user.pk, "interest"), [])
        parts: list[tuple[str, str]] = [("", user.name)]
        if profile is not None:
            parts += [("job_title", profile.job_title), ("organisation", profile.organisation)]
            parts += [("skills", name) for _, name in skills]
            parts += [("interests", name) for _, name in interests]
            parts += [("city", profile.city), ("region", profile.region), ("country", profile.country)]
        if company is not None:
            parts.append(("company", company.name))
        search_staff = " ".join(filter(None, (normalise(v) for _, v in parts)))
        search_members = " ".join(filter(None, (normalise(v) for f, v in parts if f not in restricted)))
        hidden = bool(profile and profile.hidden_from_directory)
        entries.append(
            DirectoryEntry(
                user_id=user.pk,
                name=user.name[:150],
                sort_name=normalise(user.name)[:150],
                job_title=profile.job_title if profile else "",
                organisation=profile.organisation if profile else "",
                city=profile.city if profile else "",
                region=profile.region if profile else "",
                country=profile.country if profile else "",
                photo=(profile.photo_thumbnail.name or "")[:200] if profile else "",
                company_id=company.pk if company else None,
                company_name=company.name if company else "",
                restricted=restricted,
                search_members=search_members,
                search_staff=search_staff,
                hidden=hidden,
                is_active=user.is_active,
                listed=user.is_active and not hidden,
                date_joined=user.date_joined,
                last_active_at=profile.last_active_at if profile else None,
                refreshed_at=now,
            )
        )

        def term(kind: str, key: Any, field: str = "", ref: int = 0, number: float | None = None,
                 user_id: int = user.pk, restricted: list[str] = restricted,
                 listed: bool = user.is_active and not hidden) -> None:
            terms.append((user_id, str(kind), ref, str(key)[:160], number, field in restricted, listed))

        for tag_id, _ in skills:
            term(TermKind.SKILL, tag_id, "skills")
        for tag_id, _ in interests:
            term(TermKind.INTEREST, tag_id, "interests")
        for tier_id in sorted(tiers.get(user.pk, ())):
            term(TermKind.TIER, tier_id)
        if profile is not None:
            for field in ("city", "region", "country"):
                value = " ".join(getattr(profile, field).split())
                if value:
                    term(field, value, field)
        if company is not None:
            term(TermKind.COMPANY, company.pk, "company")
        for field_id, kind, value in custom.get(user.pk, ()):
            for key, number in _custom_terms(value, kind):
                term(TermKind.FIELD, key, ref=field_id, number=number)

    before = {pk: (listed, sorted(restricted or [])) for pk, listed, restricted in
              DirectoryEntry.objects.filter(pk__in=ids).values_list("pk", "listed", "restricted")}
    after = {e.user_id: (e.listed, sorted(e.restricted)) for e in entries}
    privacy_changed = any(before.get(pk, after[pk]) != after[pk] for pk in after) or bool(set(before) - set(after))
    with transaction.atomic():
        DirectoryTerm.objects.filter(entry_id__in=ids).delete()
        gone = [i for i in ids if i not in found]
        if gone:
            DirectoryEntry.objects.filter(pk__in=gone).delete()
        DirectoryEntry.objects.bulk_create(
            entries,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["user"],
            update_fields=[
                f.name for f in DirectoryEntry._meta.concrete_fields if f.name != "user"
            ],
        )
        _insert_terms(terms)
    return len(entries), privacy_changed


TERM_COLUMNS = ("entry_id", "kind", "ref", "key", "number", "staff_only", "listed")


def _insert_terms(rows: list[tuple[int, str, int, str, float | None, bool, bool]]) -> None:
    """Many small rows: COPY on PostgreSQL (psycopg 3), a bulk insert elsewhere."""
    from django.db import connection

    from .models import DirectoryTerm

    raw = getattr(connection.cursor(), "cursor", None) if connection.vendor == "postgresql" else None
    if raw is not None and hasattr(raw, "copy"):
        table = DirectoryTerm._meta.db_table
        with raw.copy(f"COPY {table} ({', '.join(TERM_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    DirectoryTerm.objects.bulk_create(
        [DirectoryTerm(**dict(zip(TERM_COLUMNS, row, strict=True))) for row in rows], batch_size=2000
    )
