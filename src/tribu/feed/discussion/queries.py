"""Read side of discussions: the comments of a post page by page (top-level comments oldest first, each
with its replies), the reaction summaries of posts and comments (one query for a whole page).

The discussion page reads in three statements whatever the number of comments and the size of the
data: ``post_for(..., for_page=True)`` (the post with its group, its author's name, its tag names and
whether it has attachments), the viewer's group roles (``groups.policies.viewer``), and
``discussion_page`` (a page of top-level comments, their replies, the accepted answer and every
reaction count of the post and of those comments, in one statement); the attachments only when the
post has some.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from functools import lru_cache
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from tribu.feed.models import Comment, Emoji, Post, Reaction, Tag

from . import policies

#: Top-level comments per page (each shown with all its replies).
PAGE_SIZE = 30
SYMBOLS = {code: str(label) for code, label in Emoji.choices}
#: What a screen reader says for each emoji.
NAMES = {"like": _("Like"), "heart": _("Love"), "clap": _("Bravo"), "laugh": _("Funny"), "idea": _("Interesting"),
         "thanks": _("Thanks")}


@dataclass
class ReactionSummary:
    """The reactions of one post or comment as its reader sees them."""

    counts: dict[str, int] = field(default_factory=dict)  # emoji → count
    mine: set[str] = field(default_factory=set)  # the reader's own emojis
    can_react: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def items(self) -> list[dict[str, Any]]:
        """The like (always) and every emoji someone used, in a fixed order, with its count, whether the
        reader chose it and a label for screen readers; the unused ones are in ``spare``."""
        rows = []
        for code, symbol in SYMBOLS.items():
            count = self.counts.get(code, 0)
            if code == Emoji.LIKE or count:
                rows.append({"code": code, "symbol": symbol, "count": count, "mine": code in self.mine,
                             "label": label(code, count, code in self.mine)})
        return rows

    @property
    def spare(self) -> list[dict[str, str]]:
        return [{"code": code, "symbol": symbol, "label": label(code, 0, False)} for code, symbol in SYMBOLS.items()
                if code != Emoji.LIKE and not self.counts.get(code)]


def label(code: str, count: int, mine: bool) -> str:
    """What a screen reader says for a reaction button, in the active language."""
    return _cached_label(get_language(), code, count, mine)


@lru_cache(maxsize=2048)
def _cached_label(language: str, code: str, count: int, mine: bool) -> str:
    """What a screen reader says for a reaction button ("Like: 3, including you"), per language."""
    name = str(NAMES[code])
    if mine:
        return ngettext("%(name)s: %(count)d, including you", "%(name)s: %(count)d, including you", count) % {
            "name": name, "count": count}
    return ngettext("%(name)s: %(count)d", "%(name)s: %(count)d", count) % {"name": name, "count": count}


def _summaries(post_ids: Iterable[int], comment_ids: Iterable[int], user: Any) -> tuple[
        dict[int, ReactionSummary], dict[int, ReactionSummary]]:
    """Summaries of these posts and comments, in one query."""
    post_ids, comment_ids = list(post_ids), list(comment_ids)
    posts = {pk: ReactionSummary() for pk in post_ids}
    comments = {pk: ReactionSummary() for pk in comment_ids}
    if not post_ids and not comment_ids:
        return posts, comments
    clauses, params = [], [getattr(user, "pk", None) or 0]
    if post_ids:
        clauses.append(f"post_id IN ({', '.join(['%s'] * len(post_ids))})")
        params += post_ids
    if comment_ids:
        clauses.append(f"comment_id IN ({', '.join(['%s'] * len(comment_ids))})")
        params += comment_ids
    # Plain SQL (the ORM's compilation of this grouped CASE cost more than the query on a full page).
    sql = (f"SELECT post_id, comment_id, emoji, COUNT(*), MAX(CASE WHEN user_id = %s THEN 1 ELSE 0 END) "  # noqa: S608
           f"FROM {Reaction._meta.db_table} WHERE {' OR '.join(clauses)} GROUP BY post_id, comment_id, emoji")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [{"post_id": r[0], "comment_id": r[1], "emoji": r[2], "n": r[3], "mine": r[4]}
                for r in cursor.fetchall()]
    for row in rows:
        target = posts.get(row["post_id"]) if row["post_id"] else comments.get(row["comment_id"])
        if target is None:
            continue
        target.counts[row["emoji"]] = row["n"]
        if row["mine"]:
            target.mine.add(row["emoji"])
    return posts, comments


def reaction_summaries(objects: Sequence[Any], user: Any) -> dict[int, ReactionSummary]:
    """{pk: summary} for a list of posts or of comments (one query). ``can_react`` is decided from the
    post (a comment's ``post`` should be loaded: ``select_related("post__group")``)."""
    objects = list(objects)
    if not objects:
        return {}
    if isinstance(objects[0], Comment):
        _, found = _summaries((), [c.pk for c in objects], user)
        for comment in objects:
            found[comment.pk].can_react = comment.deleted_at is None and policies.can_react(user, comment.post)
        return found
    found, _ = _summaries([p.pk for p in objects], (), user)
    for post in objects:
        found[post.pk].can_react = policies.can_react(user, post)
    return found


def summary_for(target: Any, user: Any) -> ReactionSummary:
    """The summary of one post or comment (after a toggle)."""
    return reaction_summaries([target], user)[target.pk]


# --- the discussion page ---------------------------------------------------------------------------


class AuthorRow:
    """The few facts of a comment's author a page shows (no model instance: a page has a hundred)."""

    __slots__ = ("initials", "name", "pk")

    def __init__(self, pk: int, display_name: str, first_name: str, last_name: str, email: str):
        self.pk = pk
        self.name = display_name or f"{first_name} {last_name}".strip() or email.split("@")[0]
        parts = self.name.replace("-", " ").split()
        self.initials = "".join(p[0] for p in parts[:2]).upper() or "?"


class CommentRow:
    """A comment as a page shows it, read with ``values_list`` (building a hundred model instances
    with their authors was a good part of the 100-comment page). Same attribute names as ``Comment``."""

    __slots__ = ("author", "author_id", "body", "body_html", "can_accept", "can_delete", "can_edit", "created_at",
                 "deleted_at", "edited_at", "is_accepted", "parent_id", "pk", "post", "post_id", "reaction_count",
                 "shown_replies", "summary")

    def __init__(self, row: tuple[Any, ...]):
        (self.pk, self.post_id, self.parent_id, self.author_id, self.body_html, self.reaction_count, self.edited_at,
         self.deleted_at, self.created_at, *author) = row
        self.author = AuthorRow(self.author_id, *author) if self.author_id else None
        self.body = ""  # the Markdown source is not read for a page (the API reads it when it lists)
        self.shown_replies: list[CommentRow] = []
        self.summary: ReactionSummary | None = None
        self.can_accept = self.can_delete = self.can_edit = self.is_accepted = False

    @property
    def id(self) -> int:
        return self.pk


@dataclass
class DiscussionPage:
    comments: list[CommentRow]  # top-level comments of this page, each with ``.shown_replies``
    next_after: int | None  # the id to continue after, or None on the last page
    accepted: CommentRow | None  # the accepted answer (shown first), when there is one
    post_summary: ReactionSummary | None
    accepted_in_page: bool = False  # the accepted answer is one of ``comments`` (its place in the thread)


_SQLITE_TIMES = (7, 8, 9)  # edited_at, deleted_at, created_at in a comment row (after its kind)


def _as_time(value: Any) -> Any:
    """SQLite hands back naive UTC times (or text): make them aware like the ORM."""
    from django.utils.dateparse import parse_datetime

    if isinstance(value, str):
        value = parse_datetime(value)
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


#: psycopg prepares a statement run with server-side binding from its second run on a connection.
#: Django's own cursors bind on the client and never prepare, whatever the threshold; a connection
#: used for one request only (ASGI without a pool) never reaches it, so it pays no extra round trip.
PREPARE_THRESHOLD = 1


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """The rows of one of this module's fixed statements. On PostgreSQL the statement runs with
    server-side binding and is prepared on a connection that runs it again (psycopg's
    ``prepare_threshold``): parsed and planned once per connection rather than on every page (Django's
    client-bound cursors prepare nothing; planning was a third of the discussion statement's server
    time). Same wrapping as ``connection.cursor()`` (query logging, execute wrappers), so query counts
    see it.

    A pooler in transaction mode must keep prepared statements (PgBouncer ≥ 1.21 with
    ``max_prepared_statements``), or set the environment variable ``TRIBU_PREPARED_STATEMENTS=false``."""
    if connection.vendor != "postgresql" or not getattr(settings, "TRIBU_PREPARED_STATEMENTS", True):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    import psycopg

    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:  # Django's default: psycopg then prepares nothing
        raw.prepare_threshold = PREPARE_THRESHOLD
    with connection._prepare_cursor(psycopg.Cursor(raw)) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@lru_cache(maxsize=4)
def _page_sql(size: int) -> str:
    """One statement for a page of the discussion: rows of kind 0 are comments (a page of top-level
    comments and one more to know whether another page follows, their replies and the accepted answer,
    with their author's name fields), rows of kind 1 the reaction counts of the post (by emoji) and of
    each of those comments, with whether the reader chose it. In no order (sorting the comments' long
    texts cost the server more than sorting a hundred ids here). Plain SQL: the ORM's query building
    was a measurable part of the 100-comment page, for a statement that never changes; the round trips
    of four statements were another."""
    from tribu.accounts.models import User

    comment, user, reaction = Comment._meta.db_table, User._meta.db_table, Reaction._meta.db_table
    # The clauses are fixed strings of this module; every value is a parameter.
    return (
        f"WITH top AS (SELECT id FROM {comment} WHERE post_id = %s AND parent_id IS NULL AND id > %s "  # noqa: S608
        f"ORDER BY id LIMIT {int(size) + 1}), "
        f"shown AS (SELECT c.id, c.post_id, c.parent_id, c.author_id, c.body_html, c.reaction_count, c.edited_at, "
        f"c.deleted_at, c.created_at FROM {comment} c WHERE c.post_id = %s "
        f"AND (coalesce(c.parent_id, c.id) IN (SELECT id FROM top) OR c.id = %s)) "
        f"SELECT 0, c.id, c.post_id, c.parent_id, c.author_id, c.body_html, c.reaction_count, c.edited_at, "
        f"c.deleted_at, c.created_at, u.display_name, u.first_name, u.last_name, u.email "
        f"FROM shown c LEFT JOIN {user} u ON u.id = c.author_id "
        f"UNION ALL "
        f"SELECT 1, NULL, r.post_id, NULL, MAX(CASE WHEN r.user_id = %s THEN 1 ELSE 0 END), r.emoji, COUNT(*), "
        f"NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM {reaction} r WHERE r.post_id = %s GROUP BY r.post_id, r.emoji "
        f"UNION ALL "
        f"SELECT 1, r.comment_id, NULL, NULL, MAX(CASE WHEN r.user_id = %s THEN 1 ELSE 0 END), r.emoji, COUNT(*), "
        f"NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM {reaction} r JOIN shown c ON c.id = r.comment_id "
        f"GROUP BY r.comment_id, r.emoji")


def discussion_page(post: Post, user: Any, *, after: int | None = None, size: int | None = None,
                    with_post: bool = True) -> DiscussionPage:
    """One page of the post's discussion for ``user``: top-level comments with id > ``after``, their
    replies, the reaction summaries (and the post's when ``with_post``), rights on each comment. One
    statement (``_page_sql``)."""
    size = size or PAGE_SIZE
    uid = getattr(user, "pk", None)
    # 0 is no row's id: "no accepted answer", "not the post's reactions".
    params = [post.pk, int(after or 0), post.pk, post.accepted_comment_id or 0, uid or 0,
              post.pk if with_post else 0, uid or 0]
    rows = _rows(_page_sql(size), params)
    sqlite = connection.vendor == "sqlite"
    by_id: dict[int, CommentRow] = {}
    post_sums: dict[int, ReactionSummary] = {post.pk: ReactionSummary()} if with_post else {}
    comment_sums: dict[int, ReactionSummary] = {}
    comment_rows = []
    for row in rows:
        if row[0] == 0:
            comment_rows.append(row)
            continue
        target = (comment_sums.setdefault(row[1], ReactionSummary()) if row[1] is not None
                  else post_sums.get(row[2]))
        if target is None:
            continue
        target.counts[row[5]] = row[6]
        if row[4]:
            target.mine.add(row[5])
    comment_rows.sort(key=itemgetter(1))  # by id: the order they were written
    top: list[CommentRow] = []
    for row in comment_rows:
        if sqlite:
            row = tuple(_as_time(v) if i in _SQLITE_TIMES else v for i, v in enumerate(row))
        comment = CommentRow(row[1:])
        by_id[comment.pk] = comment
        if comment.parent_id is None:
            top.append(comment)
    # ``top`` may hold the accepted answer of another page: before this page, or after its
    # ``size + 1`` comments (ids in order), so past the cut either way.
    after_id = int(after or 0)
    page = [c for c in top if c.pk > after_id]
    next_after = None
    if len(page) > size:
        page = page[:size]
        next_after = page[-1].pk
    replies: dict[int, list[CommentRow]] = {c.pk: [] for c in page}
    for comment in by_id.values():
        if comment.parent_id in replies:
            replies[comment.parent_id].append(comment)
    # A deleted comment stays only as a placeholder for its replies.
    page = [c for c in page if c.deleted_at is None or any(r.deleted_at is None for r in replies[c.pk])]
    accepted = None
    accepted_in_page = False
    if post.accepted_comment_id:
        accepted = by_id.get(post.accepted_comment_id)
        accepted_in_page = accepted is not None and any(c.pk == accepted.pk for c in page)
        if accepted is not None and accepted.deleted_at is not None:
            accepted = None
    shown: list[CommentRow] = []
    for comment in page:
        comment.shown_replies = [r for r in replies[comment.pk] if r.deleted_at is None]
        shown.append(comment)
        shown.extend(comment.shown_replies)
    if accepted is not None and not accepted_in_page:
        shown.append(accepted)
    can_react = policies.can_react(user, post)
    moderates = policies.moderates(user, post)
    can_comment = policies.can_comment(user, post)
    can_accept = policies.can_accept(user, post)
    archived = bool(post.group_id and post.group.is_archived)
    for comment in shown:
        comment.post = post
        summary = comment_sums.get(comment.pk) or ReactionSummary()
        summary.can_react = can_react and comment.deleted_at is None
        comment.summary = summary
        mine = comment.author_id is not None and comment.author_id == uid
        live = comment.deleted_at is None
        comment.can_edit = live and (moderates or (mine and can_comment))
        comment.can_delete = live and (moderates or (mine and not archived))
        comment.can_accept = live and can_accept and not comment.parent_id
        comment.is_accepted = comment.pk == post.accepted_comment_id
    post_summary = None
    if with_post:
        post_summary = post_sums[post.pk]
        post_summary.can_react = can_react
    return DiscussionPage(comments=page, next_after=next_after, accepted=accepted, post_summary=post_summary,
                          accepted_in_page=accepted_in_page)


def live_comment(post: Post, comment_id: Any) -> Comment | None:
    """A comment of ``post`` that is not deleted (None for a bad id)."""
    try:
        pk = int(comment_id)
    except (TypeError, ValueError):
        return None
    return Comment.objects.filter(pk=pk, post_id=post.pk, deleted_at__isnull=True).select_related("author").first()


#: What the discussion page reads of the post's group and author (not the group's long texts, the
#: author's password hash…); the other fields load on access.
GROUP_SKIPS = ("TextField", "JSONField")
AUTHOR_FIELDS = ("id", "display_name", "first_name", "last_name", "email")


@lru_cache(maxsize=2)
def _page_post_plan(vendor: str) -> tuple[str, list[tuple[Any, list[str], list[Any]]]]:
    """The statement reading a post for its page and, per model read (post, group, author), the
    fields and each column's converters (the ones the ORM would apply: SQLite's booleans and times…)."""
    from django.db.models.expressions import Col

    from tribu.accounts.models import User
    from tribu.groups.models import Group
    from tribu.media.models import Attachment

    def fields_of(model: Any, keep: Any) -> list[Any]:
        return [f for f in model._meta.concrete_fields if keep(f)]

    parts = [
        (Post, "p", fields_of(Post, lambda f: f.attname != "body")),
        (Group, "g", fields_of(Group, lambda f: f.get_internal_type() not in GROUP_SKIPS)),
        (User, "u", fields_of(User, lambda f: f.attname in AUTHOR_FIELDS)),
    ]
    plan, columns = [], []
    for model, alias, fields in parts:
        converters = []
        for f in fields:
            col = Col(alias, f)
            converters.append((col, connection.ops.get_db_converters(col) + f.get_db_converters(connection)))
            columns.append(f'{alias}."{f.column}"')
        plan.append((model, [f.attname for f in fields], converters))
    tags = "string_agg(t.name, %s)" if vendor == "postgresql" else "group_concat(t.name, %s)"
    through = Post.tags.through
    sql = (f"SELECT {', '.join(columns)}, "  # noqa: S608 - fixed names of this module; values are parameters
           f"(SELECT {tags} FROM {through._meta.db_table} pt JOIN {Tag._meta.db_table} t ON t.id = pt.tag_id "
           f"WHERE pt.post_id = p.id), "
           f"EXISTS (SELECT 1 FROM {Attachment._meta.db_table} a WHERE a.owner_type_id = %s AND a.owner_id = p.id) "
           f"FROM {Post._meta.db_table} p LEFT JOIN {Group._meta.db_table} g ON g.id = p.group_id "
           f"LEFT JOIN {User._meta.db_table} u ON u.id = p.author_id WHERE p.id = %s")
    return sql, plan


TAG_SEPARATOR = "\n"


def _page_post(post_id: int) -> Post | None:
    """The post for its page in one statement: with its group (``select_related`` style), its author's
    name fields, ``tag_names`` (sorted) and ``has_attachments``."""
    from django.contrib.contenttypes.models import ContentType

    sql, plan = _page_post_plan(connection.vendor)
    found = _rows(sql, [TAG_SEPARATOR, ContentType.objects.get_for_model(Post).pk, int(post_id)])
    if not found:
        return None
    row = found[0]
    objects, at = [], 0
    for model, names, converters in plan:
        values = list(row[at:at + len(names)])
        at += len(names)
        for i, (col, convs) in enumerate(converters):
            for convert in convs:
                values[i] = convert(values[i], col, connection)
        objects.append(model.from_db(connection.alias, names, values) if values[0] is not None else None)
    post, group, author = objects
    Post._meta.get_field("group").set_cached_value(post, group)
    Post._meta.get_field("author").set_cached_value(post, author)
    names, has_files = row[at], row[at + 1]
    post.tag_names = sorted(names.split(TAG_SEPARATOR)) if names else []  # type: ignore[attr-defined]
    post.has_attachments = bool(has_files)  # type: ignore[attr-defined]
    return post


def post_for(user: Any, post_id: int, *, for_page: bool = False) -> Post | None:
    """The post if ``user`` may see it, else None (pages answer 404): one query, plus the group's
    ancestors (one, for a sub-group) for the visibility rules. ``for_page``: what the discussion page
    shows, in one statement (``_page_post``); the writes take the whole rows."""
    from tribu.groups import policies as group_policies
    from tribu.groups import queries as group_queries

    if for_page:
        post = _page_post(post_id)
    else:
        post = Post.objects.select_related("group", "author").filter(pk=post_id).first()
    if post is None:
        return None
    if post.group_id:
        if not group_policies.knows_exists(user, post.group):
            return None
        group_queries.load_ancestors(post.group)
    return post if policies.can_view(user, post) else None
