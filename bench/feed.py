# ruff: noqa: S608 - SQL built from fixed fragments and integers of the bench itself
"""Home feed and a 100-comment discussion page on PostgreSQL with 1,000,000 posts and comments:
Tribu served as in production vs the bare SQL of the same rows vs django-spirit (a peer forum loaded
with the same data), in the same run, same server, same worker count.

    .venv/bin/python bench/feed.py [--total 1000000] [--seconds 10] [--connections 8] [--workers 2]
                                   [--reuse] [--no-spirit] [--no-save]

1. Data (database ``tribu_feedbench``, created and migrated; ``--reuse`` keeps an already seeded one):
   20,000 members, 200 groups (60 % public, 25 % moderated, 15 % private, 5 % reserved to a tier),
   about three groups per member, and posts + comments written by ``INSERT … SELECT`` in two steps:
   first 10,000 (the small size), then up to ``--total`` (1 post for 4 comments; comments skewed to
   recent posts; a third of them replies; reactions on a third of the posts and a fifth of the
   comments; text 60–500 characters). The measured member belongs to 12 groups (two private ones),
   follows 20 members and 3 tags. The measured discussion is a question in one of their groups
   with exactly 100 comments (25 top-level with 3 replies each) and about 240 reactions; a second post
   has 10.
2. Queries per page: Tribu's ``feed:index`` and ``feed:detail`` (100- and 10-comment posts) through
   Django's test client with ``CaptureQueriesContext`` after each data step: they must not change.
3. Servers, one at a time, each with ``--workers`` processes on 127.0.0.1, DEBUG off:
   - Tribu: ``tribu web --workers 2`` (uvicorn, the production command), Redis cache (db 7),
     logged-in session cookie of the member;
   - bare: ``bench/peers/bare_feed.py`` under the same uvicorn: the same rows by hand-written SQL
     through psycopg, HTML by string formatting (no Django) — the floor any page can reach;
   - django-spirit (``bench/peers/spirit_setup.py`` installs it in ``var/peers/spirit``), database
     ``spirit_bench`` loaded with the same users, groups as categories, posts as topics (the post's body
     as the opening comment), comments and likes, copied row for row from Tribu's tables; its
     ``comments_per_page`` set to 101 so its page shows the same 100 comments as Tribu's. Served under
     uvicorn (same server type as Tribu) and under gunicorn sync workers (Spirit's own deployment);
     the faster of the two is the reference.
4. Load from another process: ``wrk`` (Debian package), one connection (latency) then
   ``--connections`` connections (throughput), after a warm-up; p50/p95 ms and req/s. The raw SQL of
   each page is also timed in-process (psycopg, sequential).

Targets (issue 6): discussion page ≥ 2× Spirit's req/s and within 3× the bare SQL; queries per page
constant as the data grows. Writes ``bench/results/<date>-feed.json`` and a line to ``results/feed.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import admin_sql, run_facts, timed
from run import free_port, run_wrk, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PEERS = ROOT / "bench" / "peers"
VENV_BIN = Path(sys.executable).parent
SPIRIT_HOME = ROOT / "var" / "peers" / "spirit"
DB_NAME = "tribu_feedbench"
SPIRIT_DB = "spirit_bench"
REDIS_DB = 7
SMALL = 10_000
MEMBERS = 20_000
GROUPS = 200
POST_OFFSET = 1000  # ordinary posts have ids above this; the measured posts are 1 and 2
HOT, WARM = 1, 2  # the 100-comment and the 10-comment posts
TARGET_VS_SPIRIT = 2.0
TARGET_VS_BARE = 3.0
LOREM = (
    "Bonjour à toutes et à tous, je cherche des retours d'expérience sur l'organisation d'un événement "
    "régional : combien de bénévoles prévoir, quel budget pour la salle, comment gérer les inscriptions "
    "et les badges, et surtout comment faire venir les adhérents qui ne participent jamais. Nous avons "
    "essayé les invitations personnelles, les relances par courriel et un petit-déjeuner thématique, "
    "avec des résultats inégaux selon les antennes. Qu'est-ce qui a marché chez vous ? Les ateliers "
    "courts en fin de journée attirent plus de monde que les conférences, mais la logistique est plus "
    "lourde. Merci d'avance pour vos idées, vos modèles de documents et vos contacts de prestataires "
    "fiables en Bretagne, en Occitanie ou ailleurs. Nous publierons une synthèse dans la bibliothèque "
    "du réseau pour que tout le monde en profite, avec les chiffres de participation et les coûts. "
)


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# --- Seeding ------------------------------------------------------------------------------------


def _columns(model, given: dict[str, str | tuple[str, list]]) -> tuple[str, str, list]:
    """Column list, SELECT expressions and their parameters for ``INSERT … SELECT``: ``given`` SQL
    expressions by column (with their parameters as ``(sql, params)``), the model's defaults (as
    parameters) for the rest, now() for auto_now fields. A new column without a default stops the
    bench instead of seeding wrong rows."""
    from django.db import connection
    from django.db.models import DateTimeField

    columns, exprs, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.column in given:
            sql, extra = given[field.column] if isinstance(given[field.column], tuple) else (given[field.column], [])
            exprs.append(sql)
            params.extend(extra)
        elif field.primary_key:
            continue
        elif isinstance(field, DateTimeField) and (field.auto_now or field.auto_now_add):
            exprs.append("now()")
        elif field.has_default() or field.null or field.blank:
            value = field.get_default()
            exprs.append("%s")
            params.append(None if value is None and field.null else field.get_db_prep_save(value, connection))
        else:
            raise SystemExit(f"bench/feed.py: {model.__name__}.{field.name} needs a value in the seed")
        columns.append(f'"{field.column}"')
    return ", ".join(columns), ", ".join(exprs), params


def insert_select(model, given: dict, source: str, args: list | None = None) -> int:
    from django.db import connection

    columns, exprs, params = _columns(model, given)
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {model._meta.db_table} ({columns}) SELECT {exprs} {source}",
                    [*params, *(args or [])])
        return cur.rowcount


def seed_base() -> dict:
    """Members, groups, memberships, tags, follows, and the two measured posts with their comments."""
    from django.db import connection
    from django.utils import timezone

    from tribu.accounts.models import User
    from tribu.feed.models import Comment, Follow, Post, Reaction, Tag
    from tribu.groups.models import Group, GroupMembership
    from tribu.memberships.models import Membership, Tier

    now = timezone.now()
    User.objects.bulk_create([User(email=f"m{i}@bench.example", password="!",  # noqa: S106 - unusable
                                   display_name=f"Membre {i}", date_joined=now) for i in range(1, MEMBERS + 1)],
                             batch_size=5000)
    first, last = User.objects.order_by("pk").values_list("pk", flat=True)[:: MEMBERS - 1]
    assert last - first == MEMBERS - 1, "user ids are not contiguous"
    premium = Tier.objects.create(slug="premium", name_fr="Premium")
    groups = []
    for i in range(1, GROUPS + 1):
        visibility = "public" if i % 20 < 12 else "moderated" if i % 20 < 17 else "private"
        groups.append(Group(pk=i, name=f"Groupe {i}", slug=f"groupe-{i}", path=f"{i:08d}.", depth=0,
                            visibility=visibility, effective_visibility=visibility, summary=f"Le groupe {i}"))
    Group.objects.bulk_create(groups)
    with connection.cursor() as cur:
        cur.execute("SELECT setval(pg_get_serial_sequence('groups_group', 'id'), %s)", [GROUPS])
    Group.required_tiers.through.objects.bulk_create(
        [Group.required_tiers.through(group_id=g, tier_id=premium.pk) for g in range(10, GROUPS + 1, 20)])
    # About three groups per member; the viewer in 12 (two private), animating none.
    insert_select(GroupMembership, {"group_id": f"1 + (u.id * k + k * 37) %% {GROUPS}", "user_id": "u.id",
                                    "role": "'member'", "joined_at": "now()"},
                  "FROM accounts_user u CROSS JOIN generate_series(1, 3) k ON CONFLICT DO NOTHING")
    viewer = User.objects.get(pk=first + 41)
    mine = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 18, 19]  # 1 public, …, 18 and 19 private (i % 20 >= 17)
    for g in mine:
        GroupMembership.objects.get_or_create(group_id=g, user=viewer)
    Membership.objects.create(user=viewer, tier=premium, status="active")
    with connection.cursor() as cur:
        cur.execute("UPDATE groups_group g SET member_count = (SELECT count(*) FROM groups_groupmembership m "
                    "WHERE m.group_id = g.id)")
    tags = Tag.objects.bulk_create([Tag(name=n) for n in (
        "événements", "bénévolat", "financement", "export", "numérique", "rse", "formation", "adhésion")])
    Follow.objects.bulk_create([Follow(follower=viewer, user_id=first + 100 + 7 * i) for i in range(20)]
                               + [Follow(follower=viewer, tag=t) for t in tags[:3]])
    # The measured posts: a question in the viewer's public group with 100 comments, 25 top-level ones
    # with 3 replies each (every comment on the first page of Tribu's discussion, 30 threads a page).
    users = list(range(first, last + 1))
    hot = Post.objects.create(pk=HOT, author_id=users[500], group_id=1, kind="question",
                              title="Comment faire venir les adhérents à nos événements régionaux ?",
                              body=LOREM[:480], body_html=f"<p>{LOREM[:480]}</p>",
                              published_at=now - dt.timedelta(hours=2))
    warm = Post.objects.create(pk=WARM, author_id=users[501], group_id=1, kind="discussion",
                               title="Retour sur l'assemblée générale", body=LOREM[:300],
                               body_html=f"<p>{LOREM[:300]}</p>", published_at=now - dt.timedelta(hours=3))
    # A recent link post in their feed, so the first home page shows a link card at every data size
    # (the card lookup is one more query, only when a link is listed).
    Post.objects.create(pk=3, author_id=users[502], group_id=2, kind="link", title="Un guide utile",
                        body=LOREM[:200], body_html=f"<p>{LOREM[:200]}</p>", link_url="https://example.org/guide",
                        published_at=now - dt.timedelta(hours=1))
    with connection.cursor() as cur:
        cur.execute("SELECT setval(pg_get_serial_sequence('feed_post', 'id'), %s)", [POST_OFFSET])
    for post, count in ((hot, 100), (warm, 10)):
        top = [Comment(post=post, author_id=users[(600 + i * 13) % MEMBERS],
                       body=f"Réponse n°{i + 1} : {LOREM[i:i + 180]}",
                       body_html=f"<p>Réponse n°{i + 1} : {LOREM[i:i + 180]}</p>")
               for i in range(count // 4)]
        Comment.objects.bulk_create(top)
        replies = [Comment(post=post, parent=top[i % len(top)], author_id=users[(900 + i * 17) % MEMBERS],
                           body=f"Réponse n°{len(top) + i + 1} : {LOREM[i * 3:i * 3 + 120]}",
                           body_html=f"<p>Réponse n°{len(top) + i + 1} : {LOREM[i * 3:i * 3 + 120]}</p>")
                   for i in range(count - len(top))]
        Comment.objects.bulk_create(replies)
        comments = top + replies
        reactions = [Reaction(user_id=users[(50 + i) % MEMBERS], post=post, emoji=("like", "heart", "idea")[i % 3])
                     for i in range(count // 4)]
        reactions.append(Reaction(user=viewer, post=post, emoji="clap"))
        for j, comment in enumerate(comments):
            reactions += [Reaction(user_id=users[(70 + j * 5 + k) % MEMBERS], comment=comment,
                                   emoji=("like", "thanks", "laugh")[k]) for k in range(j % 3 + 1)]
        reactions += [Reaction(user=viewer, comment=c, emoji="like") for c in comments[::9]]
        Reaction.objects.bulk_create(reactions)
        for i, comment in enumerate(comments):
            Comment.objects.filter(pk=comment.pk).update(created_at=post.published_at + dt.timedelta(minutes=3 + i))
    return {"viewer_id": viewer.pk, "first_user": first, "members": MEMBERS, "groups": GROUPS,
            "viewer_groups": mine, "hot_post": HOT, "warm_post": WARM}


def seed_posts(first_user: int, start: int, end: int, total_comments_from: int, total_comments_to: int) -> None:
    """Posts with ids [start, end) and comments numbered [from, to), then counters and reactions."""
    from django.db import connection

    from tribu.feed.models import Comment, Post, Reaction

    span = f"({POST_OFFSET + 200_000} - i)"  # posts 5 minutes apart, the newest last
    kind = ("CASE WHEN i %% 40 = 0 THEN 'announcement' WHEN i %% 7 = 0 THEN 'question' WHEN i %% 31 = 0 "
            "THEN 'article' WHEN i %% 37 = 0 THEN 'link' ELSE 'discussion' END")
    insert_select(Post, {
        "id": "i", "author_id": f"{first_user} + (i::bigint * 7919) %% {MEMBERS}",
        "group_id": f"CASE WHEN i %% 20 = 0 THEN NULL ELSE 1 + (i::bigint * 31) %% {GROUPS} END",
        "kind": kind, "status": "'published'",
        "title": ("'Sujet n°' || i || ' : ' || substr(%s, 1 + i %% 300, 40 + i %% 60)", [LOREM]),
        "body": ("'Message ' || i || ' : ' || substr(%s, 1 + i %% 200, 150 + i %% 350)", [LOREM]),
        "body_html": ("'<p>Message ' || i || ' : ' || substr(%s, 1 + i %% 200, 150 + i %% 350) || '</p>'", [LOREM]),
        "link_url": "CASE WHEN i %% 37 = 0 THEN 'https://example.org/article/' || i ELSE '' END",
        "published_at": f"now() - interval '2 days' - {span} * interval '5 minutes'",
        "last_activity_at": f"now() - interval '2 days' - {span} * interval '5 minutes'",
        "created_at": f"now() - interval '2 days' - {span} * interval '5 minutes'",
        "deleted_at": "CASE WHEN i %% 97 = 0 THEN now() ELSE NULL END",
    }, "FROM generate_series(%s, %s) i", [start, end - 1])
    with connection.cursor() as cur:
        cur.execute("SELECT setseed(%s)", [start / 1e7])
        cur.execute("SELECT max(id) FROM feed_post")
        top = cur.fetchone()[0]
    # Comments on ordinary posts, skewed to recent ones (sqrt of a uniform draw).
    insert_select(Comment, {
        "post_id": "s.pid", "author_id": f"{first_user} + (s.i::bigint * 104729) %% {MEMBERS}",
        "body": ("'Commentaire ' || s.i || ' : ' || substr(%s, 1 + s.i %% 300, 60 + s.i %% 240)", [LOREM]),
        "body_html": ("'<p>Commentaire ' || s.i || ' : ' || substr(%s, 1 + s.i %% 300, 60 + s.i %% 240) || '</p>'",
                      [LOREM]),
        "created_at": "p.published_at + (s.i %% 4000) * interval '1 minute'",
    }, f"FROM (SELECT i, {POST_OFFSET + 1} + floor(({top} - {POST_OFFSET}) * sqrt(random()))::int AS pid "
       "FROM generate_series(%s, %s) i) s JOIN feed_post p ON p.id = LEAST(s.pid, %s)",
                  [total_comments_from, total_comments_to - 1, top])
    with connection.cursor() as cur:
        # A third of the new comments become replies to the first comment of their post.
        cur.execute("""
            WITH firsts AS (SELECT post_id, min(id) AS first_id FROM feed_comment
                            WHERE parent_id IS NULL AND post_id > %s GROUP BY post_id)
            UPDATE feed_comment c SET parent_id = f.first_id FROM firsts f
            WHERE c.post_id = f.post_id AND c.id <> f.first_id AND c.id %% 3 = 0 AND c.parent_id IS NULL
              AND c.id > (SELECT coalesce(max(id), 0) - %s FROM feed_comment)""",
                    [POST_OFFSET, total_comments_to - total_comments_from])
    # Reactions: 1-3 on every third new post, one on every fifth new comment.
    for k in range(1, 4):
        insert_select(Reaction, {
            "user_id": f"{first_user} + (p.id * 13 + {k} * 1009) %% {MEMBERS}", "post_id": "p.id",
            "comment_id": "NULL",
            "emoji": f"(ARRAY['like','heart','clap','laugh','idea','thanks'])[1 + (p.id + {k}) %% 6]",
        }, "FROM feed_post p WHERE p.id BETWEEN %s AND %s AND p.id %% 3 = 0 AND p.id %% 4 >= %s - 1",
            [start, end - 1, k])
    insert_select(Reaction, {
        "user_id": f"{first_user} + (c.id * 17) %% {MEMBERS}", "post_id": "NULL", "comment_id": "c.id",
        "emoji": "'like'"}, "FROM feed_comment c WHERE c.post_id > %s AND c.id %% 5 = 0 "
                            "AND c.id > (SELECT max(id) FROM feed_comment) - %s",
        [POST_OFFSET, total_comments_to - total_comments_from])
    with connection.cursor() as cur:
        cur.execute("""
            UPDATE feed_post p SET comment_count = s.n, last_activity_at = s.last
            FROM (SELECT post_id, count(*) AS n, max(created_at) AS last FROM feed_comment
                  WHERE deleted_at IS NULL GROUP BY post_id) s WHERE s.post_id = p.id""")
        cur.execute("""
            UPDATE feed_post p SET reaction_count = s.n
            FROM (SELECT post_id, count(*) AS n FROM feed_reaction WHERE post_id IS NOT NULL GROUP BY post_id) s
            WHERE s.post_id = p.id""")
        cur.execute("""
            UPDATE feed_comment c SET reaction_count = s.n
            FROM (SELECT comment_id, count(*) AS n FROM feed_reaction WHERE comment_id IS NOT NULL
                  AND comment_id > (SELECT max(id) FROM feed_comment) - %s GROUP BY comment_id) s
            WHERE s.comment_id = c.id""", [total_comments_to - total_comments_from + 200])
        # Tags on one post in ten.
        cur.execute("INSERT INTO feed_post_tags (post_id, tag_id) SELECT p.id, t.id FROM feed_post p "
                    "JOIN feed_tag t ON t.id = (SELECT min(id) FROM feed_tag) + p.id %% 8 "
                    "WHERE p.id BETWEEN %s AND %s AND p.id %% 10 = 0", [start, end - 1])
        cur.execute("SELECT setval(pg_get_serial_sequence('feed_post', 'id'), (SELECT max(id) FROM feed_post))")
        cur.execute("VACUUM ANALYZE")


def data_counts() -> dict:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM feed_post), (SELECT count(*) FROM feed_comment), "
                    "(SELECT count(*) FROM feed_reaction), "
                    "(SELECT count(*) FROM feed_comment WHERE parent_id IS NOT NULL)")
        posts, comments, reactions, replies = cur.fetchone()
    return {"posts": posts, "comments": comments, "posts_and_comments": posts + comments,
            "reactions": reactions, "replies": replies}


def grow_to(total: int, first_user: int) -> dict:
    """Add posts and comments until posts + comments = ``total`` (1 post for 4 comments)."""
    have = data_counts()
    missing = total - have["posts_and_comments"]
    if missing <= 0:
        return have
    new_posts = missing // 5
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT greatest(max(id), %s) FROM feed_post", [POST_OFFSET])
        start = cur.fetchone()[0] + 1
        cur.execute("SELECT count(*) FROM feed_comment")
        comments_before = cur.fetchone()[0]
    seed_posts(first_user, start, start + new_posts, comments_before + 1, comments_before + 1 + missing - new_posts)
    return data_counts()


# --- Query counts -------------------------------------------------------------------------------


def tribu_urls() -> dict[str, str | None]:
    from django.urls import NoReverseMatch, reverse

    urls = {}
    for name, key, args in (("home", "feed:index", []), ("discussion", "feed:detail", [HOT]),
                            ("discussion_10", "feed:detail", [WARM])):
        try:
            urls[name] = reverse(key, args=args)
        except NoReverseMatch:
            urls[name] = None
    return urls


def query_counts(viewer_id: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tribu.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(pk=viewer_id))
    counts: dict = {}
    for name, url in tribu_urls().items():
        if url is None:
            counts[name] = None
            continue
        try:
            client.get(url)
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
        except Exception as exc:  # a page being written by another helper may not render yet
            counts[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
            continue
        counts[name] = len(ctx.captured_queries) if response.status_code == 200 else f"HTTP {response.status_code}"
        counts[f"{name}_sql"] = [q["sql"][:300] for q in ctx.captured_queries]
    return counts


CPU_CODE = """
import statistics, sys, time
from django.contrib.auth import get_user_model
from django.test import Client
client = Client()
client.force_login(get_user_model().objects.get(pk={viewer}))
for _ in range(3):
    client.get({path!r})
samples = []
for _ in range({runs}):
    started = time.process_time()
    response = client.get({path!r})
    samples.append(time.process_time() - started)
assert response.status_code == 200, response.status_code
print(round(statistics.median(samples) * 1000, 1))
"""


def cpu_per_page(viewer: int, path: str, runs: int = 20, spirit: bool = False) -> float | None:
    """Median CPU milliseconds of the web process for one page through Django's test client (the
    database server's share excluded): much steadier than wall time on a loaded machine."""
    code = CPU_CODE.format(viewer=viewer, path=path, runs=runs)
    try:
        return _cpu_child(code, spirit)
    except subprocess.CalledProcessError as exc:  # a page another helper is editing may not render
        log(f"CPU per page of {path} failed: {exc.stderr.strip().splitlines()[-1:]}")
        return None


def _cpu_child(code: str, spirit: bool) -> float:
    if spirit:
        out = subprocess.run([str(SPIRIT_HOME / "venv" / "bin" / "python"), "manage.py", "shell", "-c", code],
                             cwd=SPIRIT_HOME / "project", env=spirit_env(), check=True, capture_output=True, text=True)
    else:
        out = subprocess.run([str(VENV_BIN / "tribu"), "shell", "-c", code], env=os.environ.copy(), check=True,
                             capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


# --- Spirit -------------------------------------------------------------------------------------


def _pipe(src, dst, select: str, table: str, columns: str) -> None:
    with src.cursor().copy(f"COPY ({select}) TO STDOUT") as out, \
            dst.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as into:
        for block in out:
            into.write(block)


def seed_spirit(server: str) -> dict:
    """Spirit's tables from Tribu's rows (same ids, texts, dates): users, groups as categories, posts
    as topics whose opening comment is the post's body, comments (replies flattened: Spirit has none),
    reactions as likes (post reactions on the opening comment, one like per member and comment)."""
    import psycopg

    t0 = time.monotonic()
    comment_offset = 10_000_000  # Spirit comment id = Tribu comment id + offset; opening comment id = post id
    with psycopg.connect(f"{server}/{DB_NAME}") as src, psycopg.connect(f"{server}/{SPIRIT_DB}") as dst:
        dst.execute("TRUNCATE auth_user, spirit_topic_topic, spirit_comment_comment, spirit_comment_like_commentlike,"
                    " spirit_user_userprofile, spirit_topic_unread_topicunread,"
                    " spirit_comment_bookmark_commentbookmark,"
                    " spirit_topic_notification_topicnotification CASCADE")
        dst.execute("DELETE FROM spirit_category_category WHERE id > 2")
        _pipe(src, dst, "SELECT id, '!', NULL, false, 'm' || id, display_name, '', email, false, true, date_joined "
                        "FROM accounts_user", "auth_user",
              "id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, "
              "date_joined")
        _pipe(src, dst, "SELECT id, 'm' || id, '', now(), 'UTC', false, false, true, 0, 0, id, '', display_name, '', 3 "
                        "FROM accounts_user", "spirit_user_userprofile",
              "id, slug, location, last_seen, timezone, is_administrator, is_moderator, is_verified, topic_count, "
              "comment_count, user_id, last_post_hash, nickname, avatar, notify")
        _pipe(src, dst, "SELECT id + 10, name, slug, summary, false, false, false, NULL, true, '', now(), id "
                        "FROM groups_group", "spirit_category_category",
              "id, title, slug, description, is_closed, is_removed, is_private, parent_id, is_global, color, "
              "reindex_at, sort")
        _pipe(src, dst, "SELECT id, title, 'sujet-' || id, published_at, last_activity_at, false, false, false, "
                        "deleted_at IS NOT NULL, 0, comment_count + 1, coalesce(group_id + 10, 2), author_id, now() "
                        "FROM feed_post", "spirit_topic_topic",
              "id, title, slug, date, last_active, is_pinned, is_globally_pinned, is_closed, is_removed, view_count, "
              "comment_count, category_id, user_id, reindex_at")
        _pipe(src, dst, "SELECT id, body, body_html, 0, published_at, deleted_at IS NOT NULL, false, 0, "
                        "reaction_count, "
                        "id, author_id FROM feed_post", "spirit_comment_comment",
              "id, comment, comment_html, action, date, is_removed, is_modified, modified_count, likes_count, "
              "topic_id, user_id")
        _pipe(src, dst, f"SELECT id + {comment_offset}, body, body_html, 0, created_at, deleted_at IS NOT NULL, false, "
                        "0, reaction_count, post_id, author_id FROM feed_comment", "spirit_comment_comment",
              "id, comment, comment_html, action, date, is_removed, is_modified, modified_count, likes_count, "
              "topic_id, user_id")
        _pipe(src, dst, f"SELECT DISTINCT ON (coalesce(post_id, comment_id + {comment_offset}), user_id) "
                        f"coalesce(post_id, comment_id + {comment_offset}), user_id, created_at FROM feed_reaction "
                        f"ORDER BY coalesce(post_id, comment_id + {comment_offset}), user_id",
              "spirit_comment_like_commentlike", "comment_id, user_id, date")
        for table in ("auth_user", "spirit_user_userprofile", "spirit_category_category", "spirit_topic_topic",
                      "spirit_comment_comment", "spirit_comment_like_commentlike"):
            dst.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        dst.execute("DELETE FROM djconfig_config WHERE key = 'comments_per_page'")
        dst.execute("INSERT INTO djconfig_config (key, value) VALUES ('comments_per_page', '100')")
        dst.commit()
        dst.autocommit = True
        dst.execute("VACUUM ANALYZE")
        topics, comments = dst.execute("SELECT (SELECT count(*) FROM spirit_topic_topic), "
                                       "(SELECT count(*) FROM spirit_comment_comment)").fetchone()
    return {"seconds": round(time.monotonic() - t0, 1), "topics": topics, "comments_incl_opening": comments}


def spirit_loaded(server: str) -> dict | None:
    """With ``--reuse``: Spirit's counts when it holds as many topics as Tribu has posts, else None."""
    import psycopg

    with psycopg.connect(f"{server}/{DB_NAME}") as src, psycopg.connect(f"{server}/{SPIRIT_DB}") as dst:
        posts = src.execute("SELECT count(*) FROM feed_post").fetchone()[0]
        topics, comments = dst.execute("SELECT (SELECT count(*) FROM spirit_topic_topic), "
                                       "(SELECT count(*) FROM spirit_comment_comment)").fetchone()
    return {"reused": True, "topics": topics, "comments_incl_opening": comments} if topics == posts else None


def spirit_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TRIBU_"))
           and k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "benchforum.settings.bench", "SPIRIT_DB": SPIRIT_DB,
                "PYTHONWARNINGS": "ignore", "PYTHONPATH": str(SPIRIT_HOME / "project")})
    return env


def spirit_cookie(viewer_id: int) -> str:
    code = ("from django.test import Client; from django.contrib.auth import get_user_model; "
            f"c = Client(); c.force_login(get_user_model().objects.get(pk={viewer_id})); "
            "print('sessionid=' + c.cookies['sessionid'].value)")
    out = subprocess.run([str(SPIRIT_HOME / "venv" / "bin" / "python"), "manage.py", "shell", "-c", code],
                         cwd=SPIRIT_HOME / "project", env=spirit_env(), check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


# --- Serving and loading ------------------------------------------------------------------------


class Server:
    def __init__(self, name: str, argv: list[str], env: dict[str, str], cwd: Path, port: int, log_dir: Path):
        self.name, self.port = name, port
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT)
        wait_until_up(self.base, self.proc, timeout=60)

    def stop(self) -> int:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()
        text = self.log_path.read_text(errors="replace")
        if "Traceback" in text:  # keep the first one beside the count, the log goes with the data dir
            first = text[text.index("Traceback"):].splitlines()
            end = next((i for i, line in enumerate(first[1:], 1) if line and not line.startswith(" ")), len(first))
            (RESULTS.parent / "results" / f".{self.name}-first-traceback.tmp").write_text("\n".join(first[:end + 1]))
        return text.count("Traceback")


def fetch(base: str, path: str, cookie: str) -> tuple[int, bytes]:
    request = urllib.request.Request(base + path, headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def load(base: str, path: str, cookie: str, seconds: int, connections: int) -> dict:
    """Warm up, then one connection (latency) and ``connections`` connections (throughput)."""
    run_wrk(base + path, cookie, 3, connections, 1)
    single = run_wrk(base + path, cookie, seconds, 1, 1)
    loaded = run_wrk(base + path, cookie, seconds, connections, 1)
    return {"c1": single, f"c{connections}": loaded, "rps": loaded["rps"], "p50_ms": single["p50_ms"],
            "p95_ms": single["p95_ms"], "loaded_p50_ms": loaded["p50_ms"], "loaded_p95_ms": loaded["p95_ms"],
            "errors": single["errors"] + loaded["errors"], "bytes": single["bytes_per_response"]}


def check_page(base: str, path: str, cookie: str, marker: bytes | None) -> dict:
    """Size of the page and how many of the measured discussion's comments it shows (``Réponse n°N``)."""
    import re

    status, body = fetch(base, path, cookie)
    if status != 200:
        raise SystemExit(f"{base}{path}: HTTP {status}")
    if marker is not None and marker not in body:
        raise SystemExit(f"{base}{path}: {marker!r} is not on the page")
    shown = set(re.findall(rb"R\xc3\xa9ponse n\xc2\xb0(\d+) ", body))
    return {"html_bytes": len(body), "comments_shown": len(shown)}


def raw_sql(server: str, viewer: int, runs: int) -> dict:
    """The bare statements in-process, sequential (no HTTP, no HTML): the database's own share."""
    import psycopg

    sys.path.insert(0, str(PEERS))
    import bare_feed

    with psycopg.connect(f"{server}/{DB_NAME}", autocommit=True) as conn:
        def execute(sql, params):
            return conn.execute(sql, params).fetchall()

        home = timed(lambda: bare_feed.home_rows(execute, viewer), runs)
        discussion = timed(lambda: bare_feed.discussion_rows(execute, viewer, HOT), runs)
        assert len(bare_feed.discussion_rows(execute, viewer, HOT)[1]) == 100
    return {"home": home, "discussion": discussion}


def data_path(viewer: int, runs: int) -> dict:
    """What the two views call before rendering (the read side: queries, rules, decoration), in-process
    and sequential, each with a fresh user object — the figure the bare SQL is compared with, as in
    the other benchmarks (``groups.py``); the whole pages over HTTP are measured beside."""
    from tribu.accounts.models import User
    from tribu.feed import queries as feed_queries
    from tribu.feed.discussion import queries as discussion_queries

    email = User.objects.get(pk=viewer).email

    def fresh():
        return User(pk=viewer, role="member", is_active=True, email=email)

    def home() -> int:
        user = fresh()
        posts, _next = feed_queries.home_feed(user)
        pinned = feed_queries.pinned_on_home(user)
        feed_queries.decorate(pinned + posts, user)
        return len(posts) + len(feed_queries.welcome_blocks_for(user))

    def discussion() -> int:
        user = fresh()
        post = discussion_queries.post_for(user, HOT, for_page=True)  # as the view: tags and a files flag inside
        page = discussion_queries.discussion_page(post, user)
        from tribu.media.queries import attachments_for

        if post.has_attachments:
            attachments_for([post])
        return len(page.comments) + len(post.tag_names)

    out = {}
    for name, func in (("home", home), ("discussion", discussion)):
        try:
            out[name] = timed(func, runs)
        except Exception as exc:  # a function another helper is reshaping
            log(f"data path of {name} failed: {exc!r}")
            out[name] = None
    return out


# --- Main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--total", type=int, default=1_000_000, help="posts + comments")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--server", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--redis", default=f"redis://127.0.0.1:6379/{REDIS_DB}")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database (skip seeding)")
    parser.add_argument("--seed-only", action="store_true", help="seed both databases and count queries, then stop")
    parser.add_argument("--no-spirit", action="store_true")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")

    started = time.monotonic()
    data_dir = Path(tempfile.mkdtemp(prefix="tribu-bench-feed-"))
    for key in [k for k in os.environ if k.startswith(("TRIBU_", "DJANGO_")) or k in {"REDIS_URL", "DATABASE_URL"}]:
        del os.environ[key]
    tribu_env = {
        "DJANGO_SETTINGS_MODULE": "tribu.settings", "TRIBU_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"{args.server}/{DB_NAME}", "REDIS_URL": args.redis, "DEBUG": "false",
        "ALLOWED_HOSTS": "testserver,127.0.0.1", "TRIBU_LOG_LEVEL": "WARNING",
    }
    os.environ.update(tribu_env)
    sys.path.insert(0, str(ROOT / "src"))
    seeded_before = False
    if args.reuse:
        import psycopg

        with psycopg.connect(f"{args.server}/postgres") as conn:
            seeded_before = bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone())
    if not seeded_before:
        admin_sql(args.server, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        admin_sql(args.server, f"CREATE DATABASE {DB_NAME}")
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    cache.clear()
    setup: dict = {}
    counts: dict = {}
    meta_path = data_dir.parent / f"{DB_NAME}-setup.json"
    if seeded_before and meta_path.exists():
        setup = json.loads(meta_path.read_text())
        if setup.get("query_counts_small"):
            counts["small"] = setup["query_counts_small"]
        log(f"reusing {DB_NAME}: { {k: v for k, v in setup.items() if k != 'query_counts_small'} }")
    else:
        t0 = time.monotonic()
        setup = seed_base()
        setup["small"] = grow_to(SMALL, setup["first_user"])
        log(f"small size seeded in {time.monotonic() - t0:.0f}s: {setup['small']}")
        counts["small"] = setup["query_counts_small"] = query_counts(setup["viewer_id"])
        log(f"queries at {SMALL:,}: { {k: v for k, v in counts['small'].items() if not k.endswith('_sql')} }")
        t0 = time.monotonic()
        setup["large"] = grow_to(args.total, setup["first_user"])
        setup["seed_large_s"] = round(time.monotonic() - t0, 1)
        log(f"grown in {setup['seed_large_s']}s: {setup['large']}")
        meta_path.write_text(json.dumps(setup))
    counts["large"] = query_counts(setup["viewer_id"])
    log(f"queries at {args.total:,}: { {k: v for k, v in counts['large'].items() if not k.endswith('_sql')} }")
    viewer = setup["viewer_id"]
    urls = tribu_urls()

    spirit_setup = None
    if not args.no_spirit:
        subprocess.run([sys.executable, str(PEERS / "spirit_setup.py"), "--server", args.server, "--db", SPIRIT_DB],
                       check=True)
        spirit_setup = spirit_loaded(args.server) if args.reuse else None
        if spirit_setup is None:
            spirit_setup = seed_spirit(args.server)
        log(f"spirit loaded: {spirit_setup}")

    if args.seed_only:
        return
    cpu = {page: cpu_per_page(viewer, urls[page]) for page in ("home", "discussion") if urls[page]}
    if not args.no_spirit:
        cpu["spirit_discussion"] = cpu_per_page(viewer, f"/topic/{HOT}/sujet-{HOT}/", spirit=True)
    log(f"CPU ms per page (web process, test client): {cpu}")
    raw = raw_sql(args.server, viewer, 200)
    log(f"raw SQL (in-process): home p50 {raw['home']['p50_ms']} ms, discussion p50 {raw['discussion']['p50_ms']} ms")
    data = data_path(viewer, 200)
    log(f"Tribu's read side (in-process): {data}")

    from django.test import Client

    from tribu.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(pk=viewer))
    tribu_cookie = f"sessionid={client.cookies['sessionid'].value}"
    connection.close()

    results: dict = {}
    tracebacks: dict = {}
    # The last comment each page must show (Spirit's 100 per page include the opening post).
    markers = {("tribu", "discussion"): "Réponse n°100 ".encode(), ("bare", "discussion"): "Réponse n°100 ".encode(),
               ("spirit_uvicorn", "discussion"): "Réponse n°99 ".encode(),
               ("spirit_gunicorn", "discussion"): "Réponse n°99 ".encode()}
    uvicorn = [str(VENV_BIN / "python"), "-m", "uvicorn", "--host", "127.0.0.1", "--workers", str(args.workers),
               "--no-access-log", "--log-level", "warning"]

    def measure(name: str, server: Server, cookie: str, pages: dict[str, str | None]) -> None:
        try:
            for page, path in pages.items():
                if path is None:
                    results.setdefault(page, {})[name] = None
                    continue
                try:
                    shown = check_page(server.base, path, cookie, markers.get((name, page)))
                except SystemExit as exc:
                    log(f"{name} {page}: not measured: {exc}")
                    results.setdefault(page, {})[name] = {"error": str(exc)}
                    continue
                log(f"{name} {page}: {path} {shown}…")
                row = {**load(server.base, path, cookie, args.seconds, args.connections), **shown}
                results.setdefault(page, {})[name] = row
                log(f"  {row['rps']} req/s at c{args.connections}; p50 {row['p50_ms']} / p95 {row['p95_ms']} ms "
                    f"at c1; errors {row['errors']}")
        finally:
            tracebacks[name] = server.stop()

    page_paths = {"home": urls["home"], "discussion": urls["discussion"]}
    if any(page_paths.values()):
        port = free_port()
        measure("tribu", Server("tribu", [str(VENV_BIN / "tribu"), "web", "--host", "127.0.0.1", "--port", str(port),
                                          "--workers", str(args.workers)], {**os.environ, **tribu_env}, data_dir,
                                port, data_dir), tribu_cookie, page_paths)
    port = free_port()
    bare_env = {**os.environ, "BARE_DSN": f"{args.server}/{DB_NAME}", "BARE_VIEWER": str(viewer)}
    measure("bare", Server("bare", [*uvicorn, "--port", str(port), "--app-dir", str(PEERS), "bare_feed:app"],
                           bare_env, data_dir, port, data_dir), "",
            {"home": "/feed/", "discussion": f"/feed/posts/{HOT}/"})
    if not args.no_spirit:
        cookie = spirit_cookie(viewer)
        spirit_bin = SPIRIT_HOME / "venv" / "bin"
        for name, argv in (
            ("spirit_uvicorn", [str(spirit_bin / "python"), "-m", "uvicorn", "--host", "127.0.0.1", "--workers",
                                str(args.workers), "--no-access-log", "--log-level", "warning",
                                "benchforum.asgi:application"]),
            ("spirit_gunicorn", [str(spirit_bin / "gunicorn"), "--workers", str(args.workers), "--log-level", "warning",
                                 "benchforum.wsgi:application"]),
        ):
            port = free_port()
            argv = [*argv, "--port", str(port)] if "uvicorn" in name else [*argv, "--bind", f"127.0.0.1:{port}"]
            measure(name, Server(name, argv, spirit_env(), SPIRIT_HOME / "project", port, data_dir), cookie,
                    {"discussion": f"/topic/{HOT}/sujet-{HOT}/"})

    # Figures against the references.
    def ok(row: dict | None) -> dict | None:
        return row if row and "rps" in row else None

    disc = results.get("discussion", {})
    tribu_d, bare_d = ok(disc.get("tribu")), ok(disc.get("bare"))
    spirits = [r for k, r in disc.items() if k.startswith("spirit") and ok(r)]
    spirit_best = max(spirits, key=lambda r: r["rps"]) if spirits else None
    verdict: dict = {}
    if tribu_d and bare_d:
        verdict["discussion_rps_vs_spirit"] = round(tribu_d["rps"] / spirit_best["rps"], 2) if spirit_best else None
        verdict["discussion_bare_rps_over_tribu"] = round(bare_d["rps"] / tribu_d["rps"], 2)
        verdict["discussion_p50_vs_bare"] = round(tribu_d["p50_ms"] / bare_d["p50_ms"], 2)
        verdict["discussion_p95_vs_bare"] = round(tribu_d["p95_ms"] / bare_d["p95_ms"], 2)
        verdict["meets_vs_spirit"] = (verdict["discussion_rps_vs_spirit"] or 0) >= TARGET_VS_SPIRIT
        verdict["page_meets_vs_bare_page"] = (verdict["discussion_bare_rps_over_tribu"] <= TARGET_VS_BARE
                                    and verdict["discussion_p95_vs_bare"] <= TARGET_VS_BARE)
    home = {k: ok(v) for k, v in results.get("home", {}).items()}
    if home.get("tribu") and home.get("bare"):
        verdict["home_bare_rps_over_tribu"] = round(home["bare"]["rps"] / home["tribu"]["rps"], 2)
        verdict["home_p50_vs_bare"] = round(home["tribu"]["p50_ms"] / home["bare"]["p50_ms"], 2)
        verdict["home_p95_vs_bare"] = round(home["tribu"]["p95_ms"] / home["bare"]["p95_ms"], 2)
    for page in ("home", "discussion"):
        if data.get(page):
            verdict[f"{page}_data_p50_vs_bare_sql"] = round(data[page]["p50_ms"] / raw[page]["p50_ms"], 2)
            verdict[f"{page}_data_p95_vs_bare_sql"] = round(data[page]["p95_ms"] / raw[page]["p95_ms"], 2)
    if data.get("discussion"):
        verdict["meets_vs_bare_sql"] = verdict["discussion_data_p95_vs_bare_sql"] <= TARGET_VS_BARE
    if cpu.get("discussion") and cpu.get("spirit_discussion"):
        verdict["discussion_cpu_spirit_over_tribu"] = round(cpu["spirit_discussion"] / cpu["discussion"], 2)
    numbers = {size: {k: v for k, v in c.items() if not k.endswith("_sql")} for size, c in counts.items()}
    if "small" in numbers:
        verdict["queries_constant"] = numbers["small"] == numbers["large"]
    verdict["queries_constant_100_vs_10_comments"] = numbers["large"].get("discussion") == numbers["large"].get(
        "discussion_10")

    now = dt.datetime.now().astimezone()
    with __import__("psycopg").connect(f"{args.server}/postgres") as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    result = {
        "name": "feed", **run_facts(ROOT), "platform": platform.platform(), "postgresql": pg_version,
        "seconds": args.seconds, "connections": args.connections, "workers": args.workers,
        "servers": {
            "tribu": f"tribu web --workers {args.workers} (uvicorn, access log on as in production), Redis cache",
            "bare": f"uvicorn bench/peers/bare_feed.py --workers {args.workers}, psycopg async, 4 connections/worker",
            "spirit_uvicorn": f"django-spirit 0.14.3 ASGI under uvicorn --workers {args.workers}",
            "spirit_gunicorn": f"django-spirit 0.14.3 WSGI under gunicorn --workers {args.workers} (sync)",
        },
        "load_generator": "wrk -t1; latency at 1 connection, req/s at --connections",
        "setup": setup, "spirit_setup": spirit_setup, "pages": urls, "results": results,
        "raw_sql": raw, "tribu_read_side": data,
        "cpu_ms_per_page": cpu, "query_counts": counts, "verdict": verdict, "server_tracebacks": tracebacks,
        "targets": {"discussion_rps_vs_spirit": TARGET_VS_SPIRIT, "vs_bare": TARGET_VS_BARE},
        "wall_s": round(time.monotonic() - started),
    }
    print()
    print(f"{'page':<12}{'server':<17}{'req/s':>9}{'p50':>9}{'p95':>9}{'loaded p95':>12}{'errors':>8}")
    for page, rows in results.items():
        for name, row in rows.items():
            if ok(row):
                print(f"{page:<12}{name:<17}{row['rps']:>9}{row['p50_ms']:>9}{row['p95_ms']:>9}"
                      f"{row['loaded_p95_ms']:>12}{row['errors']:>8}")
            else:
                print(f"{page:<12}{name:<17}  not measured: {row}")
    print(f"queries: {numbers}")
    print(f"verdict: {verdict}")
    shutil.rmtree(data_dir, ignore_errors=True)
    if args.no_save:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{now:%Y-%m-%d-%H%M}-feed.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")

    def fig(row: dict | None) -> str:
        return f"{row['rps']} req/s, p50 {row['p50_ms']} / p95 {row['p95_ms']} ms" if row else "n/a"

    size = setup.get("large", {}).get("posts_and_comments")
    load_avg = "/".join(f"{x:.1f}" for x in result["load_average_after"] or ())
    short = ", ".join(f"{k} {v}" for k, v in verdict.items())
    line = (f"- {now:%Y-%m-%d %H:%M} `{result['commit']}` {size} posts+comments,"
            f" {args.workers} workers, c{args.connections}, load average {load_avg}: "
            f"discussion Tribu {fig(tribu_d)}; bare {fig(bare_d)}; spirit {fig(spirit_best)}; "
            f"home Tribu {fig(home.get('tribu'))}; bare {fig(home.get('bare'))}; CPU ms/page {cpu}; "
            f"queries {numbers}; {short}\n")
    with (RESULTS / "feed.md").open("a") as out:
        out.write(line)
    log(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
