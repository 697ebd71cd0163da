"""Read side of discussions: the comments of a post page by page (top-level comments oldest first, each
with its replies), the reaction summaries of posts and comments (one query for a whole page).

``discussion_page`` runs a fixed number of queries whatever the number of comments: top-level comments
(one query), their replies (one), the reactions of the post and of every shown comment (one), the
accepted answer when the question has one (one).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from functools import lru_cache
from typing import Any

from django.db import connection
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from tribu.feed.models import Comment, Emoji, Post, Reaction

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


def _select_comments(where: str, params: list[Any], limit: int | None = None) -> list[CommentRow]:
    """Comments (with their author's name fields) in one plain SQL query: the ORM's query building was a
    measurable part of the 100-comment page, for a statement that never changes."""
    from tribu.accounts.models import User

    # The clauses are fixed strings of this module; every value is a parameter.
    sql = (f"SELECT c.id, c.post_id, c.parent_id, c.author_id, c.body_html, c.reaction_count, c.edited_at, "  # noqa: S608
           f"c.deleted_at, c.created_at, u.display_name, u.first_name, u.last_name, u.email "
           f"FROM {Comment._meta.db_table} c LEFT JOIN {User._meta.db_table} u ON u.id = c.author_id "
           f"WHERE {where} ORDER BY c.id")
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":  # SQLite hands back naive UTC times (or text): make them aware like the ORM
        from django.utils.dateparse import parse_datetime

        def as_time(value: Any) -> Any:
            if isinstance(value, str):
                value = parse_datetime(value)
            return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

        rows = [(*r[:6], as_time(r[6]), as_time(r[7]), as_time(r[8]), *r[9:]) for r in rows]
    return [CommentRow(row) for row in rows]


def _comments(post: Post, *, parent_ids: list[int] | None = None, pk: int | None = None) -> list[CommentRow]:
    if parent_ids is not None:
        marks = ", ".join(["%s"] * len(parent_ids))
        return _select_comments(f"c.post_id = %s AND c.parent_id IN ({marks})", [post.pk, *parent_ids])
    return _select_comments("c.post_id = %s AND c.id = %s AND c.deleted_at IS NULL", [post.pk, pk])


def discussion_page(post: Post, user: Any, *, after: int | None = None, size: int | None = None,
                    with_post: bool = True) -> DiscussionPage:
    """One page of the post's discussion for ``user``: top-level comments with id > ``after``, their
    replies, the reaction summaries (and the post's when ``with_post``), rights on each comment."""
    size = size or PAGE_SIZE
    page = _select_comments("c.post_id = %s AND c.parent_id IS NULL AND c.id > %s", [post.pk, int(after or 0)],
                            limit=size + 1)
    next_after = None
    if len(page) > size:
        page = page[:size]
        next_after = page[-1].pk
    replies: dict[int, list[CommentRow]] = {c.pk: [] for c in page}
    if page:
        for reply in _comments(post, parent_ids=list(replies)):
            replies[reply.parent_id].append(reply)
    # A deleted comment stays only as a placeholder for its replies.
    page = [c for c in page if c.deleted_at is None or any(r.deleted_at is None for r in replies[c.pk])]
    accepted = None
    if post.accepted_comment_id:
        accepted = next((c for c in page if c.pk == post.accepted_comment_id), None)
        if accepted is None:
            found = _comments(post, pk=post.accepted_comment_id)
            accepted = found[0] if found else None
    shown: list[CommentRow] = []
    for comment in page:
        comment.shown_replies = [r for r in replies[comment.pk] if r.deleted_at is None]
        shown.append(comment)
        shown.extend(comment.shown_replies)
    if accepted is not None and all(c.pk != accepted.pk for c in shown):
        shown.append(accepted)
    post_sums, comment_sums = _summaries([post.pk] if with_post else [], [c.pk for c in shown], user)
    can_react = policies.can_react(user, post)
    moderates = policies.moderates(user, post)
    can_comment = policies.can_comment(user, post)
    can_accept = policies.can_accept(user, post)
    uid = getattr(user, "pk", None)
    archived = bool(post.group_id and post.group.is_archived)
    for comment in shown:
        comment.post = post
        summary = comment_sums[comment.pk]
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
    return DiscussionPage(comments=page, next_after=next_after, accepted=accepted, post_summary=post_summary)


def live_comment(post: Post, comment_id: Any) -> Comment | None:
    """A comment of ``post`` that is not deleted (None for a bad id)."""
    try:
        pk = int(comment_id)
    except (TypeError, ValueError):
        return None
    return Comment.objects.filter(pk=pk, post_id=post.pk, deleted_at__isnull=True).select_related("author").first()


def post_for(user: Any, post_id: int) -> Post | None:
    """The post if ``user`` may see it, else None (pages answer 404): one query, plus the group's
    ancestors (one) for the visibility rules."""
    from tribu.groups import policies as group_policies
    from tribu.groups import queries as group_queries

    post = Post.objects.select_related("group", "author").filter(pk=post_id).first()
    if post is None:
        return None
    if post.group_id:
        if not group_policies.knows_exists(user, post.group):
            return None
        group_queries.load_ancestors(post.group)
    return post if policies.can_view(user, post) else None
