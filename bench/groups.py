# ruff: noqa: SIM905 - the word list reads better as a sentence
"""Groups directory and group page on PostgreSQL with 5,000 groups nested four levels deep and
100,000 members, permission-filtered for an ordinary member: Tribu's code path vs the bare SQL.

    .venv/bin/python bench/groups.py [--members 100000] [--runs 200] [--keep] [--no-save]

1. Creates a dedicated database (``tribu_bench_groups`` on ``--server``, dropped at the end unless
   ``--keep``), migrates it and seeds with ``COPY``: ``--members`` members, 5 group types, 5,000
   groups as 40 roots × 4 × 5 × 5 (four levels, every visibility, 3 % reserved to a tier, some of them
   hidden), about three group memberships per member, and posts (300 in the measured group).
2. As an ordinary member who belongs to a few groups (one private, one moderated) and animates one
   root (so the sub-groups of it are visible to them whatever their visibility), measures over
   ``--runs`` runs:
   - ``directory``: what the directory view calls — ``visible_groups`` + ``directory`` + the page of
     24 (count + rows) + the type list — with a fresh user object each run (nothing memoised);
   - ``directory_search``: the same with ``q=`` a name fragment;
   - ``group_page``: what the group page needs — ``group_for`` (group, ancestors, tiers), ``can_view``,
     the sub-groups, the feed page (count + 20 posts) — for a group at depth 3;
   - each against ``bare``: the same statements written by hand and run through psycopg (one
     statement per listing, the member's groups inlined as subqueries);
   - the whole pages through Django's test client (session, middleware, templates), reported beside;
   - the number of SQL queries of the group page at depth 0, 1, 2 and 3, and of the directory page
     with every group and with one type: they must not grow with depth or with the number of groups.
3. Writes ``bench/results/<date>-groups.json`` and appends a line to ``bench/results/groups.md``.

Target: Tribu within 3x the bare SQL (p95), with a query count that does not grow with depth or count.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _common import admin_sql, git_commit, timed

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DB_NAME = "tribu_bench_groups"
TARGET_RATIO = 3.0
SHAPE = (40, 4, 5, 5)  # roots, then children per node at each level: 40 + 160 + 800 + 4000 = 5000
WORDS = ("Club Commission Antenne Comité Cercle Atelier Réseau Collectif Groupe Forum Bureau Conseil Pôle "
         "numérique entrepreneurs Bretagne Occitanie Normandie jeunes dirigeants export innovation RSE "
         "transition énergie industrie santé culture sport mobilité tourisme agriculture").split()


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def _copy(conn, model, rows: list[dict]) -> None:
    """COPY rows (dicts by field name) into the model's table; missing fields take their default."""
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and "id" not in rows[0])]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    defaults = {f.attname: f.get_default() for f in fields}
    with conn.cursor() as cur, cur.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row.get(f.attname, row.get(f.name, defaults[f.attname])) for f in fields])


def seed(server: str, members: int, rng: random.Random) -> dict:
    import psycopg
    from django.db import connection
    from django.utils import timezone

    from tribu.accounts.models import User
    from tribu.feed.models import Post
    from tribu.groups.models import Group, GroupMembership, GroupType, stricter
    from tribu.memberships.models import Membership, Tier

    t0 = time.monotonic()
    now = timezone.now()
    premium = Tier.objects.create(slug="premium", name_fr="Premium")
    types = [GroupType.objects.create(name_fr=n, name_en=n, colour=c) for n, c in (
        ("Club", "#1f5fbf"), ("Commission", "#8a3d00"), ("Antenne locale", "#17663a"), ("Comité", "#6b2fa3"),
        ("Projet", "#444444"))]
    with psycopg.connect(f"{server}/{DB_NAME}") as conn:
        _copy(conn, User, [{"password": "!", "email": f"m{i}@bench.example", "display_name": f"Membre {i}",
                            "role": "member", "is_active": True, "date_joined": now} for i in range(members)])
        conn.commit()
    user_ids = list(User.objects.order_by("pk").values_list("pk", flat=True))
    # The tree, built in memory with its ids so paths and inherited settings are computed once.
    groups: list[dict] = []
    next_id = 1

    def make(parent: dict | None, level: int) -> dict:
        nonlocal next_id
        pk, next_id = next_id, next_id + 1
        draw = rng.random()
        visibility = "public" if draw < 0.6 else "moderated" if draw < 0.85 else "private"
        guests = rng.random() < 0.3
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {pk}"
        row = {
            "id": pk, "name": name, "slug": f"groupe-{pk}", "type_id": types[level % len(types)].pk,
            "parent_id": parent["id"] if parent else None,
            "path": (parent["path"] if parent else "") + f"{pk:08d}.", "depth": level,
            "visibility": visibility, "open_to_guests": guests,
            "effective_visibility": stricter(visibility, parent["effective_visibility"]) if parent else visibility,
            "effective_guests": guests and (parent["effective_guests"] if parent else True),
            "summary": f"Le groupe {name}", "member_count": 0, "restriction_mode": "teaser",
            "join_questions": [], "created_at": now, "updated_at": now,
        }
        if rng.random() < 0.03:
            row["restriction_mode"] = "hidden" if rng.random() < 0.5 else "teaser"
            row["_tier"] = True
        groups.append(row)
        return row

    level_nodes = [make(None, 0) for _ in range(SHAPE[0])]
    for level, per_node in enumerate(SHAPE[1:], start=1):
        level_nodes = [make(parent, level) for parent in level_nodes for _ in range(per_node)]
    tiered = [g["id"] for g in groups if g.pop("_tier", False)]
    memberships: dict[tuple[int, int], str] = {}
    for user_id in user_ids:
        for group in rng.sample(groups, 3):
            memberships[(group["id"], user_id)] = "member"
    for group in groups:  # an owner each
        memberships[(group["id"], rng.choice(user_ids))] = "owner"
    counts: dict[int, int] = {}
    for group_id, _user in memberships:
        counts[group_id] = counts.get(group_id, 0) + 1
    for group in groups:
        group["member_count"] = counts.get(group["id"], 0)
    with psycopg.connect(f"{server}/{DB_NAME}") as conn:
        _copy(conn, Group, groups)
        _copy(conn, GroupMembership, [
            {"group_id": g, "user_id": u, "role": role, "notification_level": "all", "source": "manual",
             "joined_at": now} for (g, u), role in memberships.items()])
        conn.commit()
    with connection.cursor() as cur:
        cur.execute("SELECT setval(pg_get_serial_sequence('groups_group', 'id'), (SELECT max(id) FROM groups_group))")
    Group.required_tiers.through.objects.bulk_create(
        [Group.required_tiers.through(group_id=g, tier_id=premium.pk) for g in tiered])
    Membership.objects.bulk_create([Membership(user_id=u, tier=premium, status="active")
                                    for u in rng.sample(user_ids, members // 10)])
    # The measured member: in a few groups (a private one among them), animating one root.
    viewer_id = user_ids[7]
    tier_paths = [g["path"] for g in groups if g["id"] in tiered]
    deep = next(g for g in groups if g["depth"] == 3 and g["effective_visibility"] == "public"
                and not any(g["path"].startswith(p) for p in tier_paths))
    private = next(g for g in groups if g["effective_visibility"] == "private" and g["depth"] == 2)
    root = next(g for g in groups if g["depth"] == 0 and g["effective_visibility"] == "private")
    for group, role in ((deep, "member"), (private, "member"), (root, "animator")):
        GroupMembership.objects.update_or_create(group_id=group["id"], user_id=viewer_id, defaults={"role": role})
    posts = [Post(group_id=deep["id"], author_id=rng.choice(user_ids), body=f"Message {i}",
                  body_html=f"<p>Message {i}</p>") for i in range(300)]
    posts += [Post(group_id=rng.choice(groups)["id"], author_id=rng.choice(user_ids), body="Bonjour",
                   body_html="<p>Bonjour</p>") for _ in range(20000)]
    Post.objects.bulk_create(posts, batch_size=5000)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    return {
        "seconds": round(time.monotonic() - t0, 1), "members": members, "groups": len(groups),
        "group_memberships": len(memberships) + 3, "tier_restricted": len(tiered), "posts": len(posts),
        "viewer_id": viewer_id, "deep_group": deep["slug"],
    }


def measure(runs: int, server: str, setup: dict) -> dict:
    import psycopg
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tribu.accounts.models import User
    from tribu.feed import queries as feed_queries
    from tribu.groups import policies, queries
    from tribu.groups.models import Group

    viewer_id = setup["viewer_id"]
    deep_slug = setup["deep_group"]
    bare = psycopg.connect(f"{server}/{DB_NAME}", autocommit=True)
    client = Client()
    client.force_login(User.objects.get(pk=viewer_id))

    def fresh_user():
        return User.objects.get(pk=viewer_id)

    user_for_tribu = fresh_user()

    def directory(q: str = "") -> int:
        user = User(pk=viewer_id, role="member", is_active=True, email=user_for_tribu.email)
        rows = queries.directory(user, queries.Filters(q=q))
        page = queries.page_of(rows, 1)
        names = [g.name for g in page] + [t.name for t in queries.group_types()]
        return page.paginator.count + len(names)

    # The same listing by hand, as one statement: the member's groups, their tiers and the closed
    # subtrees inlined as subqueries; subtrees matched by path prefix, one hashed IN per depth.
    closed = ("SELECT r.path FROM groups_group r WHERE r.restriction_mode = 'hidden' AND r.depth = {k} "
              "AND EXISTS (SELECT 1 FROM groups_group_required_tiers rt WHERE rt.group_id = r.id) "
              "AND NOT EXISTS (SELECT 1 FROM groups_group_required_tiers rt JOIN memberships_membership m "
              "ON m.tier_id = rt.tier_id AND m.user_id = %(u)s AND m.status IN ('active', 'grace') "
              "WHERE rt.group_id = r.id)")
    led = ("SELECT lg.path FROM groups_groupmembership gm JOIN groups_group lg ON lg.id = gm.group_id "
           "WHERE gm.user_id = %(u)s AND gm.role IN ('owner', 'animator') AND lg.depth = {k}")
    depths = range(len(SHAPE))
    visible_where = (
        "(g.effective_visibility IN ('public', 'moderated') AND NOT ("  # noqa: S608 - fixed fragments
        + " OR ".join(f"left(g.path, {9 * (k + 1)}) IN ({closed.format(k=k)})" for k in depths)
        + ")) OR g.id IN (SELECT group_id FROM groups_groupmembership WHERE user_id = %(u)s) OR "
        + " OR ".join(f"left(g.path, {9 * (k + 1)}) IN ({led.format(k=k)})" for k in depths)
    )

    def bare_directory(q: str = "") -> int:
        extra = " AND (g.name ILIKE %(q)s OR g.summary ILIKE %(q)s)" if q else ""
        args = {"u": viewer_id, "q": f"%{q}%"}
        where = f"g.archived_at IS NULL AND ({visible_where}){extra}"
        count = bare.execute(f"SELECT count(*) FROM groups_group g WHERE {where}", args).fetchone()[0]  # noqa: S608
        rows = bare.execute(
            f"SELECT g.id, g.name, g.slug, g.summary, g.member_count, g.effective_visibility, t.name_fr "  # noqa: S608
            f"FROM groups_group g LEFT JOIN groups_grouptype t ON t.id = g.type_id WHERE {where} "
            f"ORDER BY g.name, g.id LIMIT 24", args).fetchall()
        types = bare.execute("SELECT id, name_fr, name_en, icon, colour FROM groups_grouptype ORDER BY position, id")
        return count + len(rows) + len(types.fetchall())

    def group_page() -> int:
        user = User(pk=viewer_id, role="member", is_active=True, email=user_for_tribu.email)
        group = queries.group_for(user, deep_slug)
        assert policies.can_view(user, group)
        crumbs = queries.breadcrumbs(user, group)
        subs = queries.sub_groups(user, group)
        posts = feed_queries.page_of(feed_queries.group_posts(group), 1)
        return len(crumbs) + len(subs) + posts.paginator.count + len([p.body_html for p in posts])

    def bare_group_page() -> int:
        row = bare.execute("SELECT g.id, g.path, g.name, g.effective_visibility, t.name_fr FROM groups_group g "
                           "LEFT JOIN groups_grouptype t ON t.id = g.type_id WHERE g.slug = %s", [deep_slug]).fetchone()
        group_id, path = row[0], row[1]
        ancestors = [int(p) for p in path.split(".") if p][:-1]
        tiers = bare.execute("SELECT group_id, tier_id FROM groups_group_required_tiers WHERE group_id = ANY(%s)",
                             [[*ancestors, group_id]]).fetchall()
        crumbs = bare.execute("SELECT id, slug, name FROM groups_group WHERE id = ANY(%s)", [ancestors]).fetchall()
        subs = bare.execute(f"SELECT g.id, g.name, g.slug FROM groups_group g WHERE g.parent_id = %(p)s "  # noqa: S608
                            f"AND g.archived_at IS NULL AND ({visible_where}) ORDER BY g.name LIMIT 100",
                            {"p": group_id, "u": viewer_id}).fetchall()
        count = bare.execute("SELECT count(*) FROM feed_post WHERE group_id = %s", [group_id]).fetchone()[0]
        posts = bare.execute("SELECT p.id, p.body_html, p.created_at, u.display_name FROM feed_post p LEFT JOIN "
                             "accounts_user u ON u.id = p.author_id WHERE p.group_id = %s "
                             "ORDER BY p.pinned DESC, p.created_at DESC, p.id DESC LIMIT 20", [group_id]).fetchall()
        return len(crumbs) + len(subs) + count + len(posts) + len(tiers)

    assert directory() == bare_directory(), "directory: Tribu and the bare SQL disagree"
    assert directory("Club") == bare_directory("Club"), "search: Tribu and the bare SQL disagree"

    def page(url: str) -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    def query_count(url: str) -> int:
        page(url)
        with CaptureQueriesContext(connection) as ctx:
            page(url)
        return len(ctx.captured_queries)

    rows = []
    for name, tribu, reference, url in (
        ("directory", directory, bare_directory, "/groups/"),
        ("directory_search", lambda: directory("Club"), lambda: bare_directory("Club"), "/groups/?q=Club"),
        ("group_page", group_page, bare_group_page, f"/groups/{deep_slug}/"),
    ):
        row = {"name": name, "tribu": timed(tribu, runs), "bare": timed(reference, runs),
               "page": timed(lambda url=url: page(url), max(30, runs // 4)), "page_sql_queries": query_count(url)}
        row["ratio_p50"] = round(row["tribu"]["p50_ms"] / row["bare"]["p50_ms"], 2)
        row["ratio_p95"] = round(row["tribu"]["p95_ms"] / row["bare"]["p95_ms"], 2)
        row["meets_target"] = row["ratio_p95"] <= TARGET_RATIO
        log(f"{name:<18} tribu p50 {row['tribu']['p50_ms']} p95 {row['tribu']['p95_ms']} ms | bare p50 "
            f"{row['bare']['p50_ms']} p95 {row['bare']['p95_ms']} ms | x{row['ratio_p95']} | page p95 "
            f"{row['page']['p95_ms']} ms, {row['page_sql_queries']} queries")
        rows.append(row)
    by_depth = {}
    deep = Group.objects.get(slug=deep_slug)
    for level, group_id in enumerate([*deep.ancestor_ids(), deep.pk]):
        slug = Group.objects.get(pk=group_id).slug
        if queries.group_for(fresh_user(), slug) and policies.can_view(fresh_user(), Group.objects.get(pk=group_id)):
            by_depth[str(level)] = query_count(f"/groups/{slug}/")
    type_id = Group.objects.values_list("type_id", flat=True).first()
    counts = {"group_page_by_depth": by_depth, "directory_all": query_count("/groups/"),
              "directory_one_type": query_count(f"/groups/?type={type_id}")}
    log(f"queries: {counts}")
    bare.close()
    return {"scenarios": rows, "query_counts": counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--server", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()

    commit = git_commit(ROOT)
    data_dir = Path(tempfile.mkdtemp(prefix="tribu-bench-groups-"))
    for key in [k for k in os.environ if k.startswith(("TRIBU_", "DJANGO_")) or k in {"REDIS_URL", "DATABASE_URL"}]:
        del os.environ[key]
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "tribu.settings", "TRIBU_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"{args.server}/{DB_NAME}", "DEBUG": "false", "ALLOWED_HOSTS": "testserver",
        "TRIBU_LOG_LEVEL": "WARNING",
    })
    sys.path.insert(0, str(ROOT / "src"))
    admin_sql(args.server, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    admin_sql(args.server, f"CREATE DATABASE {DB_NAME}")
    try:
        import django

        django.setup()
        from django.core.management import call_command

        t0 = time.monotonic()
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        log(f"migrated in {time.monotonic() - t0:.1f}s; seeding {args.members} members and 5,000 groups…")
        setup = seed(args.server, args.members, random.Random(42))
        log(f"seeded: {setup}")
        measured = measure(args.runs, args.server, setup)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            admin_sql(args.server, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        shutil.rmtree(data_dir, ignore_errors=True)

    now = dt.datetime.now().astimezone()
    with __import__("psycopg").connect(f"{args.server}/postgres") as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    depth_counts = set(measured["query_counts"]["group_page_by_depth"].values())
    result = {
        "name": "groups", "date": now.isoformat(timespec="seconds"), "git_commit": commit,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "postgresql": pg_version},
        "runs": args.runs, "setup": setup, **measured, "target_ratio": TARGET_RATIO,
        "queries_constant": (len({c for k, c in measured["query_counts"]["group_page_by_depth"].items() if k != "0"})
                             <= 1 and measured["query_counts"]["directory_all"]
                             == measured["query_counts"]["directory_one_type"]),
        "meets_targets": all(s["meets_target"] for s in measured["scenarios"]),
    }
    print()
    print(f"{'listing':<18}{'p50':>9}{'p95':>9}{'bare p50':>10}{'bare p95':>10}{'ratio':>7}{'page p95':>10}"
          f"{'queries':>9}")
    for s in measured["scenarios"]:
        print(f"{s['name']:<18}{s['tribu']['p50_ms']:>9}{s['tribu']['p95_ms']:>9}{s['bare']['p50_ms']:>10}"
              f"{s['bare']['p95_ms']:>10}{s['ratio_p95']:>7}{s['page']['p95_ms']:>10}{s['page_sql_queries']:>9}")
    print(f"query counts: {measured['query_counts']} (depth counts {sorted(depth_counts)})")
    if args.no_save:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{now:%Y-%m-%d}-groups.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    line = (f"- {now:%Y-%m-%d %H:%M} `{commit}` {setup['groups']} groups, {setup['members']} members: "
            + "; ".join(f"{s['name']} p50 {s['tribu']['p50_ms']} / p95 {s['tribu']['p95_ms']} ms vs bare "
                        f"{s['bare']['p95_ms']} ms (x{s['ratio_p95']})" for s in measured["scenarios"])
            + f"; queries {measured['query_counts']}; targets {'met' if result['meets_targets'] else 'MISSED'}\n")
    with (RESULTS / "groups.md").open("a") as out:
        out.write(line)


if __name__ == "__main__":
    main()
