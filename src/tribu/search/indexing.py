"""What other apps call so search sees their writes: ``index_later(obj)`` after creating or
changing a searchable object (a post, a comment, a resource, an event, a group) and
``remove_later(obj)`` when it is deleted or stops being searchable.

Both are called from inside the writing action's transaction and act after the commit
(``transaction.on_commit``), so a rolled-back write never reaches the index. ``index_later`` is
always safe to call: the object is re-read from the database and indexed only if it is searchable
(a published, not deleted post; a comment of such a post…), otherwise its document goes.

- ``refresh(kind, ids)``: (re)build these documents now, in chunks (a fixed number of queries per
  chunk).
- ``reindex(kind)``: every object of a kind, in batches, resumable (``tribu search_reindex``).
- ``sweep()``: the periodic safety net (``jobs.py``): recently changed posts, comments and resources,
  and every event and group whose row changed after its document.

Members are not indexed here: search reads the directory's index (``tribu.directory``), which the
accounts actions keep.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from . import text
from .backends import get_backend
from .models import Kind, ReindexCursor, SearchDocument

logger = logging.getLogger("tribu.search")

CHUNK = 500
MAX_BODY = 20_000
MAX_TITLE = 300
LABELS = {
    "feed.post": Kind.POST,
    "feed.comment": Kind.COMMENT,
    "library.resource": Kind.RESOURCE,
    "events.event": Kind.EVENT,
    "groups.group": Kind.GROUP,
}


def kind_of(obj: Any) -> str | None:
    meta = getattr(obj, "_meta", None)
    return LABELS.get(meta.label_lower) if meta is not None else None


def index_later(obj: Any) -> None:
    """Index (or re-index) ``obj`` once the current transaction commits."""
    kind = kind_of(obj)
    if kind is None or obj.pk is None:
        return
    pk = obj.pk
    transaction.on_commit(lambda: _safely(refresh, kind, [pk]), robust=True)


def remove_later(obj: Any) -> None:
    """Remove ``obj`` from the index once the current transaction commits (re-reading the object:
    a post that is deleted loses its document and its comments' documents)."""
    kind = kind_of(obj)
    if kind is None or obj.pk is None:
        return
    pk = obj.pk
    transaction.on_commit(lambda: _safely(refresh, kind, [pk]), robust=True)


def _safely(func: Callable[..., Any], *args: Any) -> None:
    # A failed refresh must not break the page that saved the object; the sweep catches up.
    try:
        func(*args)
    except Exception:
        logger.exception("search: could not index %s %s", *args)


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _reverse(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _tags(names: Iterable[str]) -> str:
    folded = [text.fold(n).replace("|", " ") for n in names if n]
    return ("|" + "|".join(folded) + "|")[:600] if folded else ""


def _tiers(ids: Iterable[int]) -> str:
    ids = sorted(set(ids))
    return ("|" + "|".join(str(i) for i in ids) + "|") if ids else ""


# --- builders: source rows → documents -------------------------------------------------------------


def _post_url(post: Any) -> str:
    from tribu.feed.actions import post_url

    try:
        return post_url(post)
    except NoReverseMatch:
        return ""


def _post_title(post: Any) -> str:
    if post.title:
        return post.title
    words = text.plain(post.body, 400).split()
    return " ".join(words[:12]) + (" …" if len(words) > 12 else "")


def build_posts(ids: list[int]) -> list[SearchDocument]:
    from tribu.feed.models import Post

    posts = Post.objects.filter(pk__in=ids, status="published", deleted_at__isnull=True).select_related(
        "group").prefetch_related("tags")
    return [
        SearchDocument(
            kind=Kind.POST, object_id=p.pk, group_id=p.group_id, author_id=p.author_id,
            title=_post_title(p)[:MAX_TITLE], body=text.plain(p.body, MAX_BODY),
            tags=_tags(t.name for t in p.tags.all()), url=_post_url(p)[:500],
            created_at=p.published_at or p.created_at,
        )
        for p in posts
    ]


def build_comments(ids: list[int]) -> list[SearchDocument]:
    from tribu.feed.models import Comment

    comments = Comment.objects.filter(
        pk__in=ids, deleted_at__isnull=True, post__status="published", post__deleted_at__isnull=True
    ).select_related("post__group")
    return [
        SearchDocument(
            kind=Kind.COMMENT, object_id=c.pk, group_id=c.post.group_id, author_id=c.author_id,
            parent_id=c.post_id, title=_post_title(c.post)[:MAX_TITLE], body=text.plain(c.body, MAX_BODY),
            url=(f"{_post_url(c.post)}#comment-{c.pk}")[:500], created_at=c.created_at,
        )
        for c in comments
    ]


def build_events(ids: list[int]) -> list[SearchDocument]:
    from tribu.events.models import Event

    docs = []
    for e in Event.objects.filter(pk__in=ids):
        body = " ".join(filter(None, [e.summary, text.plain(e.description, MAX_BODY), e.venue, e.address]))
        docs.append(SearchDocument(
            kind=Kind.EVENT, object_id=e.pk, group_id=e.group_id, author_id=e.organiser_id,
            title=e.title[:MAX_TITLE], body=body[:MAX_BODY], url=_reverse("events:detail", e.slug)[:500],
            created_at=e.starts_at,
        ))
    return docs


def build_groups(ids: list[int]) -> list[SearchDocument]:
    from tribu.groups.models import Group

    docs = []
    for g in Group.objects.filter(pk__in=ids):
        body = " ".join(filter(None, [g.summary, text.plain(g.purpose, MAX_BODY)]))
        docs.append(SearchDocument(
            kind=Kind.GROUP, object_id=g.pk, title=g.name[:MAX_TITLE], body=body[:MAX_BODY],
            url=_reverse("groups:detail", g.slug)[:500], created_at=g.created_at,
        ))
    return docs


def build_resources(ids: list[int]) -> list[SearchDocument]:
    from . import resources

    return resources.build(ids)


BUILDERS: dict[str, Callable[[list[int]], list[SearchDocument]]] = {
    Kind.POST: build_posts,
    Kind.COMMENT: build_comments,
    Kind.RESOURCE: build_resources,
    Kind.EVENT: build_events,
    Kind.GROUP: build_groups,
}


# --- writing ---------------------------------------------------------------------------------------


def refresh(kind: str, ids: Iterable[int]) -> int:
    """(Re)build the documents of these objects now; objects that are gone or no longer searchable
    lose theirs. A post that stops being live takes its comments' documents with it; one that
    becomes live (or moves to another group) brings them back (or along)."""
    ids = sorted({int(i) for i in ids})
    done = 0
    for chunk in _chunks(ids, CHUNK):
        done += _refresh_chunk(kind, chunk)
    return done


def _refresh_chunk(kind: str, ids: list[int]) -> int:
    backend = get_backend()
    docs = BUILDERS[kind](ids)
    for doc in docs:
        backend.prepare(doc)
    before: dict[int, int | None] = {}
    if kind == Kind.POST:
        before = dict(SearchDocument.objects.filter(kind=kind, object_id__in=ids, teaser=False)
                      .values_list("object_id", "group_id"))
    with transaction.atomic():
        SearchDocument.objects.filter(kind=kind, object_id__in=ids).delete()
        created = SearchDocument.objects.bulk_create(docs)
        backend.after_write([d.pk for d in created])
        if kind == Kind.POST:
            _follow_posts(ids, before, {d.object_id: d.group_id for d in docs})
    return len(docs)


def _follow_posts(ids: list[int], before: dict[int, int | None], after: dict[int, int | None]) -> None:
    gone = [i for i in ids if i not in after]
    if gone:
        SearchDocument.objects.filter(kind=Kind.COMMENT, parent_id__in=gone).delete()
    moved: dict[int | None, list[int]] = {}
    for post_id, group_id in after.items():
        if post_id in before and before[post_id] != group_id:
            moved.setdefault(group_id, []).append(post_id)
    for group_id, post_ids in moved.items():
        SearchDocument.objects.filter(kind=Kind.COMMENT, parent_id__in=post_ids).update(group_id=group_id)
    back = [i for i in after if i not in before]
    if back:
        from tribu.feed.models import Comment

        comment_ids = list(Comment.objects.filter(post_id__in=back, deleted_at__isnull=True)
                           .values_list("pk", flat=True))
        for chunk in _chunks(comment_ids, CHUNK):
            _refresh_chunk(Kind.COMMENT, chunk)


def _source_ids(kind: str) -> Any:
    """Every candidate id of a kind, ascending (for the reindex)."""
    if kind == Kind.POST:
        from tribu.feed.models import Post

        return Post.objects.filter(status="published", deleted_at__isnull=True)
    if kind == Kind.COMMENT:
        from tribu.feed.models import Comment

        return Comment.objects.filter(deleted_at__isnull=True, post__status="published",
                                      post__deleted_at__isnull=True)
    if kind == Kind.EVENT:
        from tribu.events.models import Event

        return Event.objects.all()
    if kind == Kind.GROUP:
        from tribu.groups.models import Group

        return Group.objects.all()
    from . import resources

    return resources.source()


def reindex(kind: str, *, batch: int = 2000, resume: bool = False,
            progress: Callable[[str, int, int], None] | None = None) -> int:
    """Rebuild every document of ``kind`` in batches of ``batch`` ids, recording the last id done so
    ``resume=True`` continues an interrupted run. Documents of objects that are gone are removed."""
    source = _source_ids(kind)
    if source is None:
        return 0
    cursor, _ = ReindexCursor.objects.get_or_create(kind=kind)
    last = cursor.last_id if resume else 0
    if not resume:
        # Documents whose object is no longer searchable: removed up front (the batches re-add the rest).
        stale = SearchDocument.objects.filter(kind=kind).exclude(object_id__in=source.values("pk"))
        stale.delete()
    done = 0
    while True:
        ids = list(source.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            break
        done += refresh(kind, ids)
        last = ids[-1]
        ReindexCursor.objects.filter(pk=cursor.pk).update(last_id=last, updated_at=timezone.now())
        if progress is not None:
            progress(kind, last, done)
    ReindexCursor.objects.filter(pk=cursor.pk).update(last_id=0, updated_at=timezone.now())
    return done


def sweep(window: timedelta = timedelta(minutes=30)) -> int:
    """Catch what the actions missed: posts, comments and resources changed in the last ``window``,
    events and groups whose row changed after their document (or that have none), and documents of
    events and groups that are gone."""
    from django.db.models import Exists, OuterRef

    from tribu.events.models import Event
    from tribu.feed.models import Comment, Post
    from tribu.groups.models import Group

    since = timezone.now() - window
    done = refresh(Kind.POST, Post.objects.filter(updated_at__gte=since).values_list("pk", flat=True))
    done += refresh(Kind.COMMENT, Comment.objects.filter(created_at__gte=since).values_list("pk", flat=True))
    done += refresh(Kind.COMMENT, Comment.objects.filter(edited_at__gte=since).values_list("pk", flat=True))
    for kind, model in ((Kind.EVENT, Event), (Kind.GROUP, Group)):
        fresh = SearchDocument.objects.filter(kind=kind, object_id=OuterRef("pk"), indexed_at__gte=OuterRef(
            "updated_at"))
        done += refresh(kind, model.objects.exclude(Exists(fresh)).values_list("pk", flat=True))
        SearchDocument.objects.filter(kind=kind).exclude(object_id__in=model.objects.values("pk")).delete()
    from . import resources

    done += resources.sweep(since)
    return done
