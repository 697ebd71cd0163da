# ruff: noqa: S608 - SQL built from fixed fragments and integers of the bench itself
"""The bare-SQL reference of the feed benchmark: the rows Tribu's two pages need, read with hand-written
SQL through psycopg and joined into HTML with plain string formatting, served by the same server as
Tribu (uvicorn, same worker count). No Django, no ORM, no templates, no session: the viewer is fixed
by ``BARE_VIEWER`` (the logged-in member of the Tribu run). It answers:

- ``/feed/``: the viewer's home feed page: the pinned community posts (``PINNED_SQL``), 20 live posts
  (+1 to know if there is more) from the community feed, their groups and the members and tags they
  follow, readable by them, newest first, with author and group (``HOME_SQL``), their tags
  (``TAGS_SQL``) and reaction counts (``POST_REACTIONS_SQL``);
- ``/feed/posts/<id>/``: the post with its author and group (``POST_SQL``), the viewer's membership,
  every live comment and reply with its author (``COMMENTS_SQL``) and the reaction counts per emoji of
  the post and of each comment with "mine" (``REACTIONS_SQL``).

``bench/feed.py`` also runs these statements in-process (no HTTP) for the raw SQL latency.

    BARE_DSN=postgres://postgres@127.0.0.1:5432/tribu_feedbench BARE_VIEWER=42 \
        python -m uvicorn bare_feed:app --workers 2 --app-dir bench/peers
"""

from __future__ import annotations

import asyncio
import html
import os
import re

PAGE_SIZE = 21  # 20 cards and one more to know whether a next page exists
LIVE = "p.status = 'published' AND p.deleted_at IS NULL"
# What the viewer may read: the community feed, public/moderated groups, and groups they belong to.
READABLE = ("(p.group_id IS NULL OR g.effective_visibility IN ('public', 'moderated') "
            "OR p.group_id IN (SELECT group_id FROM groups_groupmembership WHERE user_id = %(viewer)s))")
# The home feed as a person who knows the indexes would write it: the newest PAGE_SIZE candidates of
# each source (community feed; each of their groups and each followed member through a lateral index
# scan; the followed tags), readable ones only, merged and cut.
_CANDIDATE = (f"SELECT p.id, p.published_at FROM feed_post p LEFT JOIN groups_group g ON g.id = p.group_id "
              f"WHERE {LIVE} AND {READABLE} AND NOT (p.pinned AND p.group_id IS NULL)")
_ORDER = f"ORDER BY p.published_at DESC, p.id DESC LIMIT {PAGE_SIZE}"
HOME_SQL = f"""
SELECT p.id, p.kind, p.title, p.body_html, p.published_at, p.comment_count, p.reaction_count, p.pinned,
       p.solved_at, u.id, u.display_name, g.name, g.slug
FROM (SELECT c.id, c.published_at FROM (
    ({_CANDIDATE} AND p.group_id IS NULL {_ORDER})
    UNION
    (SELECT c.id, c.published_at FROM groups_groupmembership m CROSS JOIN LATERAL (
        {_CANDIDATE} AND p.group_id = m.group_id {_ORDER}) c WHERE m.user_id = %(viewer)s)
    UNION
    (SELECT c.id, c.published_at FROM feed_follow f CROSS JOIN LATERAL (
        {_CANDIDATE} AND p.author_id = f.user_id {_ORDER}) c WHERE f.follower_id = %(viewer)s)
    UNION
    ({_CANDIDATE} AND p.id IN (SELECT pt.post_id FROM feed_post_tags pt JOIN feed_follow f ON f.tag_id = pt.tag_id
                               WHERE f.follower_id = %(viewer)s) {_ORDER})
) c ORDER BY c.published_at DESC, c.id DESC LIMIT {PAGE_SIZE}) c
JOIN feed_post p ON p.id = c.id
LEFT JOIN accounts_user u ON u.id = p.author_id
LEFT JOIN groups_group g ON g.id = p.group_id
ORDER BY p.published_at DESC, p.id DESC
LIMIT {PAGE_SIZE}
"""
PINNED_SQL = f"""
SELECT p.id, p.title, p.body_html, p.published_at, u.display_name FROM feed_post p
LEFT JOIN accounts_user u ON u.id = p.author_id
WHERE {LIVE} AND p.pinned AND p.group_id IS NULL ORDER BY p.published_at DESC, p.id DESC LIMIT 5
"""
TAGS_SQL = ("SELECT pt.post_id, t.name FROM feed_post_tags pt JOIN feed_tag t ON t.id = pt.tag_id "
            "WHERE pt.post_id = ANY(%(ids)s) ORDER BY t.name")
POST_REACTIONS_SQL = """
SELECT post_id, emoji, count(*), bool_or(user_id = %(viewer)s) FROM feed_reaction
WHERE post_id = ANY(%(ids)s) GROUP BY post_id, emoji
"""
POST_SQL = f"""
SELECT p.id, p.kind, p.title, p.body_html, p.published_at, p.comment_count, p.reaction_count, p.locked_at,
       p.solved_at, p.accepted_comment_id, p.group_id, u.id, u.display_name, g.name, g.slug,
       g.effective_visibility
FROM feed_post p
LEFT JOIN accounts_user u ON u.id = p.author_id
LEFT JOIN groups_group g ON g.id = p.group_id
WHERE p.id = %(post)s AND {LIVE}
"""
MEMBERSHIP_SQL = "SELECT role FROM groups_groupmembership WHERE group_id = %(group)s AND user_id = %(viewer)s"
COMMENTS_SQL = """
SELECT c.id, c.parent_id, c.body_html, c.created_at, c.edited_at, c.reaction_count, u.id, u.display_name
FROM feed_comment c
LEFT JOIN accounts_user u ON u.id = c.author_id
WHERE c.post_id = %(post)s AND c.deleted_at IS NULL
ORDER BY c.created_at, c.id
"""
REACTIONS_SQL = """
SELECT r.post_id, NULL::bigint, r.emoji, count(*), bool_or(r.user_id = %(viewer)s) FROM feed_reaction r
WHERE r.post_id = %(post)s GROUP BY r.post_id, r.emoji
UNION ALL
SELECT NULL, r.comment_id, r.emoji, count(*), bool_or(r.user_id = %(viewer)s)
FROM feed_comment c JOIN feed_reaction r ON r.comment_id = c.id
WHERE c.post_id = %(post)s AND c.deleted_at IS NULL GROUP BY r.comment_id, r.emoji
"""


def home_rows(execute, viewer: int) -> tuple[list, list]:
    """The two statements of the home page; ``execute(sql, params) -> rows``."""
    pinned = execute(PINNED_SQL, {})
    posts = execute(HOME_SQL, {"viewer": viewer})
    ids = [row[0] for row in posts]
    tags = execute(TAGS_SQL, {"ids": ids})
    reactions = execute(POST_REACTIONS_SQL, {"viewer": viewer, "ids": ids})
    return pinned, posts, tags, reactions


def discussion_rows(execute, viewer: int, post: int) -> tuple | None:
    rows = execute(POST_SQL, {"post": post})
    if not rows:
        return None
    head = rows[0]
    if head[10] is not None:
        role = execute(MEMBERSHIP_SQL, {"group": head[10], "viewer": viewer})
        if head[15] == "private" and not role:
            return None
    comments = execute(COMMENTS_SQL, {"post": post})
    reactions = execute(REACTIONS_SQL, {"post": post, "viewer": viewer})
    return head, comments, reactions


# --- The ASGI app ---------------------------------------------------------------------------------

_POOL: asyncio.Queue | None = None
_POOL_LOCK = asyncio.Lock()
POOL_SIZE = 4
esc = html.escape


async def _pool() -> asyncio.Queue:
    global _POOL  # one pool per worker process, made on first use
    async with _POOL_LOCK:
        if _POOL is None:
            import psycopg

            queue: asyncio.Queue = asyncio.Queue()
            for _ in range(POOL_SIZE):
                queue.put_nowait(await psycopg.AsyncConnection.connect(os.environ["BARE_DSN"], autocommit=True))
            _POOL = queue
    return _POOL


async def _run(work):
    pool = await _pool()
    conn = await pool.get()
    try:
        async def execute(sql, params):
            cur = await conn.execute(sql, params)
            return await cur.fetchall()

        return await work(execute)
    finally:
        pool.put_nowait(conn)


async def _home(execute) -> str:
    viewer = int(os.environ["BARE_VIEWER"])
    pinned = await execute(PINNED_SQL, {})
    posts = await execute(HOME_SQL, {"viewer": viewer})
    ids = [row[0] for row in posts]
    tags = await execute(TAGS_SQL, {"ids": ids})
    reactions = await execute(POST_REACTIONS_SQL, {"viewer": viewer, "ids": ids})
    names: dict[int, list[str]] = {}
    for post_id, name in tags:
        names.setdefault(post_id, []).append(f"<a href='/feed/tags/{esc(name)}/'>#{esc(name)}</a>")
    counts: dict[int, list[str]] = {}
    for post_id, emoji, count, mine in reactions:
        counts.setdefault(post_id, []).append(f"<li{' class=mine' if mine else ''}>{emoji} {count}</li>")
    items = "".join(
        f"<article><h2><a href='/feed/posts/{p[0]}/'>{esc(p[2])}</a></h2><p>{esc(p[10] or '')} · "
        f"{esc(p[11] or '')} · {p[4]:%d/%m/%Y %H:%M}</p>{p[3]}<ul>{''.join(counts.get(p[0], []))}</ul>"
        f"<p>{' '.join(names.get(p[0], []))}</p><p>{p[5]} commentaires</p></article>"
        for p in posts[:PAGE_SIZE - 1]
    )
    top = "".join(f"<article><h2>{esc(p[1])}</h2>{p[2]}</article>" for p in pinned)
    return f"<!doctype html><html lang=fr><title>Fil</title><main>{top}{items}</main></html>"


def _discussion(post: int):
    async def page(execute) -> str | None:
        viewer = int(os.environ["BARE_VIEWER"])
        rows = await execute(POST_SQL, {"post": post})
        if not rows:
            return None
        head = rows[0]
        if head[10] is not None:
            role = await execute(MEMBERSHIP_SQL, {"group": head[10], "viewer": viewer})
            if head[15] == "private" and not role:
                return None
        comments = await execute(COMMENTS_SQL, {"post": post})
        reactions = await execute(REACTIONS_SQL, {"post": post, "viewer": viewer})
        by_target: dict[tuple, list[str]] = {}
        for post_id, comment_id, emoji, count, mine in reactions:
            by_target.setdefault((post_id, comment_id), []).append(
                f"<li{' class=mine' if mine else ''}>{emoji} {count}</li>")
        replies: dict[int, list] = {}
        for c in comments:
            if c[1] is not None:
                replies.setdefault(c[1], []).append(c)

        def one(c) -> str:
            return (f"<article id=c{c[0]}><p>{esc(c[7] or '')} · {c[3]:%d/%m/%Y %H:%M}</p>{c[2]}"
                    f"<ul>{''.join(by_target.get((None, c[0]), []))}</ul>")

        thread = "".join(one(c) + "".join(one(r) + "</article>" for r in replies.get(c[0], [])) + "</article>"
                         for c in comments if c[1] is None)
        return (f"<!doctype html><html lang=fr><title>{esc(head[2])}</title><main><h1>{esc(head[2])}</h1>"
                f"<p>{esc(head[12] or '')} · {esc(head[13] or '')}</p>{head[3]}"
                f"<ul>{''.join(by_target.get((post, None), []))}</ul><section>{thread}</section></main></html>")

    return page


DETAIL = re.compile(r"^/feed/posts/(\d+)/$")


async def app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    path = scope["path"]
    body: str | None
    if path == "/feed/":
        body = await _run(_home)
    elif match := DETAIL.match(path):
        body = await _run(_discussion(int(match.group(1))))
    else:
        body = None
    status = 200 if body is not None else 404
    data = (body or "not found").encode()
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
