"""Search on PostgreSQL with 1,000,000 posts: the real search function and page against the bare SQL.

    .venv/bin/python bench/search.py [--posts 1000000] [--runs 200] [--db NAME] [--reuse] [--keep] [--no-save]

1. Creates a dedicated database (``--db``, ``tribu_searchbench`` by default, on ``--server``;
   ``--reuse`` keeps an already seeded one, ``--keep`` does not drop it at the end), migrates it, and seeds with SQL
   (``generate_series``): 200 authors, 60 groups (public, moderated, private; some tier-restricted),
   ``--posts`` posts whose titles and bodies are drawn from a 40,000-word vocabulary (Faker's French and
   English lorem lists, accents included, then made-up words) with Zipf frequencies like real text (word k
   drawn with a probability ~ 1/k), so common words match hundreds of thousands of posts and the long
   tail a few dozen; then their search documents, built by the same
   SQL the indexer uses (``PostgresBackend.vector_sql``), and ``VACUUM ANALYZE``; then (also on
   ``--reuse``, once) 300 resource documents among them (``seed_resources``).
2. A member, Mia, belongs to 5 groups (one private); the search runs as her, so every query applies
   the permission rules (readable groups, tiers, events and groups visibility).
3. Measures, over a fixed mix of typical member searches (a rare word, a medium word, a common word,
   two words, an accent-less spelling of an accented word, a common word in a group that has posts,
   a common and a rare word together, a common word on the resources tab), p50/p95 over all of them:
   - ``search``: ``queries.search(mia, queries.parse(...))`` — counts per kind, groups facet, the
     members tab count, a ranked page of 20 with highlights: what the page and the API call;
   - ``search_cpu``: this process's CPU time per ``search`` (``time.process_time``): the Python
     side, which the machine's load does not change much (PostgreSQL's own time is not in it);
   - ``bare``: the same search written by hand with the same caps (the first 1,001 matches of posts
     and comments, and of resources, counted per kind and group in SQL with the groups' names, the
     page ranked among the 100 newest with its groups' and authors' names) run through psycopg;
   - ``page``: ``GET /search/?q=…`` through Django's test client (session, middleware, template);
   - requests per second of ``search`` from 2 threads;
   - queries per search of each query of the mix (the same whatever the data size:
     ``src/tribu/search/tests/test_pages.py`` pins that the count does not grow with the matches).
4. Writes ``bench/results/<date>-search.json`` and appends a line to ``bench/results/search.md``.

Target (issue 6): search p95 ≤ 50 ms at 1,000,000 posts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _common import admin_sql, run_facts, run_threads, summary

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DB_NAME = "tribu_searchbench"
TARGET_P95_MS = 50.0
GROUPS = 60
AUTHORS = 200


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def vocabulary(size: int = 40_000) -> list[tuple[str, str]]:
    """(word as written, folded) pairs, most common first: Faker's French and English lorem words
    (accents included, shuffled), then made-up words of two to four syllables up to ``size`` words, so
    that the seed's Zipf draw (``seed``) gives a long tail of rare words like real text has."""
    import random

    from faker.providers.lorem.en_US import Provider as English
    from faker.providers.lorem.fr_FR import Provider as French

    from tribu.search.text import fold

    seen: set[str] = set()
    words: list[tuple[str, str]] = []
    for word in [*French.word_list, *English.word_list]:
        word = word.strip()
        if len(word) > 2 and word not in seen and word.isalpha():
            seen.add(word)
            words.append((word, fold(word)))
    rng = random.Random(6)
    rng.shuffle(words)
    onsets = ["b", "br", "c", "ch", "d", "f", "g", "gr", "j", "l", "m", "n", "p", "pl", "r", "s", "t", "tr", "v", "z"]
    vowels = ["a", "e", "i", "o", "u", "ou", "é", "ai"]
    codas = ["", "", "n", "r", "l", "s", "x"]
    while len(words) < size:
        word = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(2, 4))) + rng.choice(codas)
        if word not in seen:
            seen.add(word)
            words.append((word, fold(word)))
    return words


def seed(posts: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from tribu.accounts.models import User
    from tribu.groups.models import Group, GroupMembership
    from tribu.search.backends import PostgresBackend

    words = vocabulary()
    now = timezone.now()
    User.objects.bulk_create([User(email=f"author{i}@bench.example", display_name=f"Auteur {i}", role="member",
                                   password="!") for i in range(AUTHORS)])  # noqa: S106 - unusable password
    kinds = ["public"] * 30 + ["moderated"] * 15 + ["private"] * 15
    groups = Group.objects.bulk_create([
        Group(name=f"Groupe {i}", slug=f"groupe-{i}", visibility=v, effective_visibility=v,
              path=f"{i + 1:08d}.", depth=0) for i, v in enumerate(kinds)])
    for g in groups:
        Group.objects.filter(pk=g.pk).update(path=f"{g.pk:08d}.")
    mia = User.objects.create(email="mia@bench.example", display_name="Mia Membre", role="member")
    mine = [groups[0], groups[1], groups[30], groups[31], groups[45]]  # 2 public, 2 moderated, 1 private
    GroupMembership.objects.bulk_create([GroupMembership(group=g, user=mia, role="member") for g in mine])
    first_user = User.objects.order_by("pk").values_list("pk", flat=True)[0]
    first_group = groups[0].pk
    nwords = len(words)

    def text(count: str) -> str:
        # Zipf (s = 1, like real text): power(n, random()) is log-uniform on [1, n), so word k is drawn
        # with a probability ~ 1 / k.
        return (f"(SELECT string_agg((%(words)s::text[])[floor(power({nwords}, random()))::int], ' ') "  # noqa: S608 - numbers only
                f"FROM generate_series(1, {count}))")

    log(f"seeding {posts} posts…")
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(f"""
            INSERT INTO feed_post (author_id, group_id, kind, status, title, body, body_html, cover, cover_alt,
                link_url, pinned, featured, published_at, comment_count, reaction_count, last_activity_at,
                created_at, updated_at)
            SELECT {first_user} + (g.i %% {AUTHORS}),
                   CASE WHEN g.i %% 5 = 0 THEN NULL ELSE {first_group} + (g.i %% {GROUPS}) END,
                   'discussion', 'published',
                   {text("4 + g.i %% 5")},
                   {text("20 + g.i %% 21")},
                   '', '', '', '', false, false,
                   %(now)s - make_interval(mins => g.i), 0, 0, %(now)s, %(now)s, %(now)s
            FROM generate_series(1, {posts}) g(i)
        """, {"now": now, "words": [w for w, _f in words]})  # noqa: S608 - numbers only
        log(f"  posts in {time.perf_counter() - started:.0f}s; documents…")
        # The vector in the same INSERT (the indexer's SQL over the post's columns): an UPDATE of every
        # row afterwards would leave the first half of the table empty, which a sequential scan reads.
        vector = PostgresBackend.vector_sql("p.title", "''", "p.body")
        cur.execute(f"""
            INSERT INTO search_searchdocument (kind, object_id, teaser, group_id, author_id, tier_ids, title, body,
                tags, url, created_at, indexed_at, title_terms, body_terms, vector)
            SELECT 'post', p.id, false, p.group_id, p.author_id, '', p.title, p.body, '',
                   '/feed/posts/' || p.id || '/', p.published_at, now(), '', '', {vector}
            FROM feed_post p
        """)  # noqa: S608 - SQL of the backend, no input
        log(f"  documents and vectors in {time.perf_counter() - started:.0f}s; analyze…")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE search_searchdocument")
        cur.execute("VACUUM ANALYZE feed_post")
    return {"posts": posts, "groups": GROUPS, "seed_seconds": round(time.perf_counter() - started)}


RESOURCES_EVERY = 3333  # one resource document per 3,333 posts (300 at 1,000,000 posts)


def seed_resources() -> int:
    """A few library resources among the posts (idempotent, also on ``--reuse``): documents of kind
    ``resource`` with the text and date of every 3,333rd post, so a common word's resources tab
    has a few hundred matches spread over the years among hundreds of thousands of posts (the
    index only; search reads documents, not the library's rows)."""
    from django.db import connection

    from tribu.search.backends import PostgresBackend

    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM search_searchdocument WHERE kind = 'resource'")
        if cur.fetchone()[0]:
            return 0
        vector = PostgresBackend.vector_sql("p.title", "''", "p.body")
        cur.execute(f"""
            INSERT INTO search_searchdocument (kind, object_id, teaser, group_id, author_id, tier_ids, title, body,
                tags, url, created_at, indexed_at, title_terms, body_terms, vector)
            SELECT 'resource', p.id, false, p.group_id, p.author_id, '', p.title, p.body, '',
                   '/library/' || p.id || '/', p.published_at, now(), '', '', {vector}
            FROM feed_post p WHERE p.id %% {RESOURCES_EVERY} = 0
        """)  # noqa: S608 - SQL of the backend, no input
        added = cur.rowcount
        cur.execute("ANALYZE search_searchdocument")
    return added


def queries_mix() -> list[dict]:
    """A fixed mix of searches, chosen from the seeded frequencies (rare, medium, common words…)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""SELECT word, ndoc FROM ts_stat('SELECT to_tsvector(''simple'', title) FROM search_searchdocument
                       WHERE id % 50 = 0') WHERE length(word) > 4 ORDER BY ndoc DESC""")
        stats = cur.fetchall()
        # A public group with posts (before this, the first public group, which the seed leaves empty:
        # "common word in a group" found nothing).
        cur.execute("""SELECT MIN(d.group_id) FROM search_searchdocument d JOIN groups_group g ON g.id = d.group_id
                       WHERE g.effective_visibility = 'public' AND d.id < 1000""")
        group_id = cur.fetchone()[0]
    common = stats[0][0]
    medium = stats[len(stats) // 20][0]
    rare = stats[len(stats) // 2][0]
    from tribu.search.text import fold

    accented = next((w for w, _n in stats[len(stats) // 10:] if fold(w) != w), medium)
    return [
        {"label": "rare word", "q": rare},
        {"label": "medium word", "q": medium},
        {"label": "common word", "q": common},
        {"label": "two words", "q": f"{medium} {stats[len(stats) // 15][0]}"},
        {"label": "accent-less spelling", "q": fold(accented)},
        {"label": "common word in a group", "q": common, "group": str(group_id)},
        {"label": "common and rare words", "q": f"{common} {rare}"},
        {"label": "common word, resources tab", "q": common, "kind": "resource"},
    ]


_TSQUERIES: dict[tuple[str, ...], str] = {}


def bare_search(cur, mix_item: dict, member_id: int) -> int:
    """The same search by hand, with the same caps: the words' tsquery, the first 1,001 matches counted
    per kind and group by the database, the groups' names, then the page ranked among the 100 newest
    matches (read backwards on the date index when more than 1,000 match, else sorted here), with its
    authors' names."""
    from tribu.search.text import query_words

    words = query_words(mix_item["q"])
    word_sql = ("(CASE WHEN numnode(plainto_tsquery('french', %(w{i})s)) = 0 "
                "OR numnode(plainto_tsquery('english', %(w{i})s)) = 0 THEN ''::tsquery "
                "ELSE plainto_tsquery('french', %(w{i})s) || plainto_tsquery('english', %(w{i})s) END)")
    tsq = " && ".join(word_sql.format(i=i) for i in range(len(words)))
    if tuple(words) not in _TSQUERIES:  # computed once per words, like Tribu's backend
        cur.execute(f"SELECT ({tsq})::text", {f"w{i}": w for i, w in enumerate(words)})
        _TSQUERIES[tuple(words)] = cur.fetchone()[0]
    args = {"tsq": _TSQUERIES[tuple(words)], "uid": member_id}
    readable = """(d.group_id IS NULL OR d.group_id IN (SELECT g.id FROM groups_group g
                    WHERE g.effective_visibility = 'public'
                    OR g.id IN (SELECT gm.group_id FROM groups_groupmembership gm WHERE gm.user_id = %(uid)s)))"""
    where = (f"d.vector @@ %(tsq)s::tsquery AND d.kind IN ('post', 'comment', 'resource') AND {readable} "
             "AND d.tier_ids = ''")
    if mix_item.get("group"):
        where += " AND d.group_id = %(group)s"
        args["group"] = int(mix_item["group"])
    # Posts and comments capped together, resources on their own (like Tribu's tally), with the groups' names.
    cur.execute(
        f"""SELECT m.kind, m.group_id, g.name, COUNT(*) FROM (
              SELECT * FROM (SELECT d.kind, d.group_id FROM search_searchdocument d
                             WHERE {where} AND d.kind IN ('post', 'comment') LIMIT 1001) a
              UNION ALL SELECT * FROM (SELECT d.kind, d.group_id FROM search_searchdocument d
                             WHERE {where} AND d.kind = 'resource' LIMIT 1001) b) m
            LEFT JOIN groups_group g ON g.id = m.group_id GROUP BY m.kind, m.group_id, g.name""",  # noqa: S608
        args)
    tally = cur.fetchall()
    kind = mix_item.get("kind")
    bucket = ("resource",) if kind == "resource" else ("post", "comment")
    if kind:
        where += " AND d.kind = %(kind)s"
        args["kind"] = kind
    if sum(n for k, _group, _name, n in tally if k in bucket) > 1000:  # the 100 newest, backwards on the date index
        order = "ORDER BY d.created_at DESC, d.id DESC LIMIT 100"
        window = f"SELECT d.id FROM search_searchdocument d WHERE {where} {order}"  # noqa: S608
    else:  # few matches: their dates from the words' index, sorted here
        cur.execute(f"SELECT d.created_at, d.id FROM search_searchdocument d WHERE {where}", args)  # noqa: S608
        args = args | {"ids": [pk for _created, pk in sorted(cur.fetchall(), reverse=True)[:100]]}
        window = "SELECT unnest(%(ids)s::bigint[])"
    cur.execute(
        f"""SELECT d.id, d.kind, d.object_id, d.title, d.body, d.url, d.created_at, d.group_id, d.author_id,
                   g.name, u.display_name, ts_rank(d.vector, %(tsq)s::tsquery) AS score
            FROM search_searchdocument d LEFT JOIN groups_group g ON g.id = d.group_id
            LEFT JOIN accounts_user u ON u.id = d.author_id WHERE d.id IN ({window})
            ORDER BY score DESC, d.created_at DESC, d.id DESC LIMIT 21""",  # noqa: S608
        args,
    )
    return len(cur.fetchall())


def measure(runs: int, server: str, mia) -> dict:
    import psycopg
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tribu.search import queries

    mix = queries_mix()
    # Never prepared: after 5 runs psycopg would prepare the statements and PostgreSQL could switch to a
    # generic plan, blind to the tsquery's words (a common word then read its 600,000 matches).
    conn = psycopg.connect(f"{server}/{DB_NAME}", prepare_threshold=None)

    def through_tribu(item: dict) -> int:
        mia.__dict__.pop("_tribu_effective_tier_ids", None)
        mia.__dict__.pop("_tribu_group_viewer", None)
        results = queries.search(mia, queries.parse(item))
        return len(results.hits) + results.total

    def through_psycopg(item: dict) -> int:
        with conn.cursor() as cur:
            return bare_search(cur, item, mia.pk)

    client = Client()
    client.force_login(mia)

    def page(item: dict) -> None:
        response = client.get("/search/", item)
        assert response.status_code == 200, response.status_code

    for item in mix:
        through_tribu(item)
        through_psycopg(item)
    per_query: dict[str, dict] = {}
    tribu_all: list[float] = []
    bare_all: list[float] = []
    cpu_all: list[float] = []
    for item in mix:
        t_samples: list[float] = []
        b_samples: list[float] = []
        cpu_samples: list[float] = []
        for i in range(runs):
            pair = [(through_tribu, t_samples), (through_psycopg, b_samples)]
            for func, samples in (pair if i % 2 == 0 else reversed(pair)):
                c0 = time.process_time()
                t0 = time.perf_counter()
                func(item)
                samples.append(time.perf_counter() - t0)
                if func is through_tribu:  # this process's CPU: the Python side, whatever the load
                    cpu_samples.append(time.process_time() - c0)
        with CaptureQueriesContext(connection) as captured:
            through_tribu(item)
        mia.__dict__.pop("_tribu_group_viewer", None)
        per_query[item["label"]] = {"q": item["q"], "search": summary(t_samples), "bare": summary(b_samples),
                                    "search_cpu": summary(cpu_samples), "queries": len(captured.captured_queries)}
        tribu_all += t_samples
        cpu_all += cpu_samples
        bare_all += b_samples
        row = per_query[item["label"]]
        log(f"  {item['label']:<24} search p50 {row['search']['p50_ms']} ms, p95 {row['search']['p95_ms']} ms "
            f"(CPU p50 {row['search_cpu']['p50_ms']} ms); bare p95 {row['bare']['p95_ms']} ms "
            f"({row['queries']} queries)")
    page_samples: list[float] = []
    for _ in range(max(5, runs // 4)):
        for item in mix:
            t0 = time.perf_counter()
            page(item)
            page_samples.append(time.perf_counter() - t0)
    with CaptureQueriesContext(connection) as captured:
        page(mix[2])
    page_queries = len(captured.captured_queries)
    work = [mix[i % len(mix)] for i in range(runs * 2)]

    def one(item: dict) -> None:
        from tribu.accounts.models import User

        through_tribu_user(User.objects.get(pk=mia.pk), item)

    def through_tribu_user(user, item: dict) -> None:
        queries.search(user, queries.parse(item))

    elapsed = run_threads(2, work, one)
    conn.close()
    search_all = summary(tribu_all)
    bare = summary(bare_all)
    return {
        "mix": per_query, "search": search_all, "search_cpu": summary(cpu_all), "bare": bare,
        "page": summary(page_samples),
        "ratio_p50": round(search_all["p50_ms"] / bare["p50_ms"], 2),
        "ratio_p95": round(search_all["p95_ms"] / bare["p95_ms"], 2),
        "requests_per_second_2_threads": round(len(work) / elapsed, 1),
        "page_queries": page_queries,
        "queries_per_search": sorted({v["queries"] for v in per_query.values()}),
    }


def main() -> None:
    global DB_NAME
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=100, help="timed searches per query of the mix")
    parser.add_argument("--server", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--db", default=DB_NAME, help=f"database name (default {DB_NAME})")
    args = parser.parse_args()
    DB_NAME = args.db

    data_dir = Path(tempfile.mkdtemp(prefix="tribu-bench-search-"))
    for key in [k for k in os.environ if k.startswith(("TRIBU_", "DJANGO_")) or k in {"REDIS_URL", "DATABASE_URL"}]:
        del os.environ[key]
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "tribu.settings", "TRIBU_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"{args.server}/{DB_NAME}", "DEBUG": "false", "ALLOWED_HOSTS": "testserver",
        "TRIBU_LOG_LEVEL": "WARNING",
    })
    sys.path.insert(0, str(ROOT / "src"))
    import psycopg

    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
    fresh = not (args.reuse and exists)
    if fresh:
        admin_sql(args.server, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        admin_sql(args.server, f"CREATE DATABASE {DB_NAME}")
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        from tribu.accounts.models import User

        seeded = seed(args.posts) if fresh else {"posts": args.posts, "groups": GROUPS, "seed_seconds": None}
        seeded["resources_added"] = seed_resources()
        mia = User.objects.get(email="mia@bench.example")
        log(f"measuring ({args.runs} runs per query)…")
        measured = measure(args.runs, args.server, mia)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            admin_sql(args.server, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        shutil.rmtree(data_dir, ignore_errors=True)

    facts = run_facts(ROOT)
    result = {
        "name": "search", **facts, "data": seeded, **measured,
        "target": {"search_p95_ms": TARGET_P95_MS},
        "meets_target": measured["search"]["p95_ms"] <= TARGET_P95_MS,
        "note": "2-core machine shared with other helpers' test runs at the time; see load_average_after.",
    }
    print(json.dumps(result, indent=2))
    if args.no_save:
        return
    RESULTS.mkdir(exist_ok=True)
    now = dt.datetime.now().astimezone()
    (RESULTS / f"{now:%Y-%m-%d-%H%M}-search.json").write_text(json.dumps(result, indent=2) + "\n")
    md = RESULTS / "search.md"
    if not md.exists():
        md.write_text(
            "# Search benchmark (`bench/search.py`)\n\n"
            "| date | commit | posts | search p50/p95 ms | bare SQL p50/p95 ms | ratio p95 | page p50 ms | "
            "req/s (2 threads) | queries | load | target met |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        )
    load = facts.get("load_average_after")
    with md.open("a") as out:
        out.write(
            f"| {now:%Y-%m-%d %H:%M} | {facts['commit']} | {seeded['posts']:,} | "
            f"{measured['search']['p50_ms']} / {measured['search']['p95_ms']} "
            f"(CPU p50 {measured['search_cpu']['p50_ms']}) | "
            f"{measured['bare']['p50_ms']} / {measured['bare']['p95_ms']} | {measured['ratio_p95']} | "
            f"{measured['page']['p50_ms']} | {measured['requests_per_second_2_threads']} | "
            f"{measured['page_queries']} | {load[0] if load else '—':.2} | "
            f"{'yes' if result['meets_target'] else 'no'} |\n"
        )


if __name__ == "__main__":
    main()
