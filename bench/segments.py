# ruff: noqa: S608 - the hand-written SQL is the point of the comparison (no user input)
"""Segment counts on PostgreSQL with many members: Tribu's ``segments.queries.count`` vs the bare SQL.

    .venv/bin/python bench/segments.py [--members 100000] [--runs 30] [--keep] [--no-save]

1. Creates a dedicated database (``tribu_bench_segments`` on ``--server``, dropped at the end unless
   ``--keep``), runs the migrations and seeds ``--members`` members with bulk inserts: profiles
   (last visit), skills, memberships of four tiers in every status (with end dates), companies with a
   seat-bearing company membership, activity-log rows (posts, comments, registrations), newsletter
   consents given and withdrawn, groups and their members, a custom "region" field.
2. For a few realistic segments, measures over ``--runs`` runs each:
   - ``tribu``: ``queries.count(filters)`` — builds the rules' SQL through the ORM and runs it;
   - ``bare``: the same count written by hand (the SQL a developer would write for that question)
     and run through psycopg on its own connection;
   and checks both give the same number. It also counts the SQL queries of one evaluation.
3. Writes ``bench/results/<date>-segments.json`` and appends a line to ``bench/results/segments.md``.

Target: every segment's ``tribu`` p50 within 2x its ``bare`` p50, in one SQL query.
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
DB_NAME = "tribu_bench_segments"
TARGET_RATIO = 2.0
REGIONS = ["bretagne", "normandie", "idf", "occitanie", "grand-est", "paca", "corse"]
VERBS = [("post.created", 0.25), ("comment.created", 0.35), ("event.registered", 0.15), ("group.joined", 0.1),
         ("reaction.added", 0.15)]


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# --- Seeding -----------------------------------------------------------------------------------


def seed(members: int, rng: random.Random) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils import timezone

    from tribu.accounts.models import CustomField, CustomFieldValue, Profile, Tag, User
    from tribu.companies.models import Company, CompanyMember
    from tribu.core.models import Activity
    from tribu.groups.models import Group, GroupMembership
    from tribu.memberships.models import Membership, Tier
    from tribu.privacy.models import Consent

    started = time.monotonic()
    now = timezone.now()
    today = timezone.localdate()
    password = make_password("bench password")
    tiers = Tier.objects.bulk_create([
        Tier(slug="individuel", name_fr="Individuel", position=0),
        Tier(slug="pro", name_fr="Pro", position=1),
        Tier(slug="etudiant", name_fr="Étudiant", position=2),
        Tier(slug="entreprise", name_fr="Entreprise", seats=5, position=3),
    ])
    own_tiers, company_tier = tiers[:3], tiers[3]
    skills = Tag.objects.bulk_create([Tag(kind="skill", name=f"Skill {i}", slug=f"skill-{i}") for i in range(300)])
    skills[0].name, skills[0].slug = "Python", "python"
    skills[0].save()
    companies = Company.objects.bulk_create(
        [Company(name=f"Société {i}", slug=f"societe-{i}") for i in range(max(10, members // 50))]
    )
    Membership.objects.bulk_create([
        Membership(company=c, tier=company_tier, status="active", starts_on=today - dt.timedelta(days=100),
                   ends_on=today + dt.timedelta(days=rng.randint(1, 300)))
        for c in companies if rng.random() < 0.6
    ])
    groups = Group.objects.bulk_create(
        [Group(name=f"Groupe {i}", slug=f"groupe-{i}", path=f"{i:04d}") for i in range(40)]
    )
    region = CustomField.objects.create(
        key="region", kind="single_choice", label_fr="Région", segmentable=True,
        choices=[{"value": r, "label_fr": r.title()} for r in REGIONS],
    )
    user_ct = ContentType.objects.get_for_model(User)
    weights = [1 / (i + 1) for i in range(len(skills))]
    batch = 5000
    done = 0
    counts = {"activities": 0, "consents": 0}
    while done < members:
        n = min(batch, members - done)
        users = User.objects.bulk_create([
            User(email=f"m{done + i}@bench.example", password=password, first_name="M", last_name=str(done + i),
                 role="member", is_active=rng.random() > 0.02,
                 date_joined=now - dt.timedelta(days=rng.randint(0, 3650)))
            for i in range(n)
        ])
        profiles, skill_rows, memberships, attachments, acts, consents, group_rows, values = ([] for _ in range(8))
        for user in users:
            seen = rng.random()
            profiles.append(Profile(
                user=user,
                last_active_at=now - dt.timedelta(days=rng.expovariate(1 / 60)) if seen < 0.85 else None,
            ))
            for tag in {t.pk for t in rng.choices(skills, weights, k=rng.randint(0, 4))}:
                skill_rows.append(Profile.skills.through(profile_id=user.pk, tag_id=tag))
            r = rng.random()
            if r < 0.55:
                ends = today + dt.timedelta(days=rng.randint(-10, 365))
                memberships.append(Membership(user=user, tier=rng.choice(own_tiers), status="active",
                                              starts_on=ends - dt.timedelta(days=365), ends_on=ends))
            elif r < 0.58:
                memberships.append(Membership(user=user, tier=rng.choice(own_tiers), status="grace",
                                              ends_on=today - dt.timedelta(days=rng.randint(1, 14))))
            elif r < 0.70:
                memberships.append(Membership(user=user, tier=rng.choice(own_tiers), status="expired",
                                              ends_on=today - dt.timedelta(days=rng.randint(15, 900))))
            if rng.random() < 0.3:
                attachments.append(CompanyMember(user=user, company=rng.choice(companies)))
            for _ in range(min(40, int(rng.expovariate(1 / 4)))):
                verb = rng.choices([v for v, _w in VERBS], [w for _v, w in VERBS])[0]
                acts.append(Activity(actor=user, verb=verb, target_type=user_ct, target_id=str(user.pk),
                                     data={"days_ago": round(rng.expovariate(1 / 90), 3)}))
            c = rng.random()
            if c < 0.45:
                consents.append(Consent(user=user, kind="newsletter", granted=True))
                if c < 0.08:
                    consents.append(Consent(user=user, kind="newsletter", granted=False))
            for g in {rng.randrange(len(groups)) for _ in range(rng.randint(0, 3))}:
                group_rows.append(GroupMembership(group=groups[g], user=user))
            if rng.random() < 0.6:
                values.append(CustomFieldValue(user=user, field=region, value=rng.choice(REGIONS)))
        Profile.objects.bulk_create(profiles, batch_size=batch)
        Profile.skills.through.objects.bulk_create(skill_rows, batch_size=10000)
        Membership.objects.bulk_create(memberships, batch_size=batch)
        CompanyMember.objects.bulk_create(attachments, batch_size=batch)
        Activity.objects.bulk_create(acts, batch_size=10000)
        Consent.objects.bulk_create(consents, batch_size=batch)
        GroupMembership.objects.bulk_create(group_rows, batch_size=10000, ignore_conflicts=True)
        CustomFieldValue.objects.bulk_create(values, batch_size=batch)
        counts["activities"] += len(acts)
        counts["consents"] += len(consents)
        done += n
        if done % 20000 == 0 or done == members:
            log(f"seeded {done} members ({time.monotonic() - started:.0f}s)")
    # auto_now_add stamps every row "now": spread the acts over time, order consents and attachments
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_activity SET created_at = now() - (data->>'days_ago')::float * interval '1 day'")
        cursor.execute("UPDATE companies_companymember SET joined_at = now() - (id % 1000) * interval '1 hour'")
        cursor.execute("UPDATE privacy_consent SET created_at = now() - (1000000 - id) * interval '1 second'")
        cursor.execute("VACUUM ANALYZE")
    counts["seconds"] = round(time.monotonic() - started, 1)
    return counts


# --- Segments and their hand-written SQL -------------------------------------------------------

ACTIVE_USER = "u.is_active AND u.email <> ''"
SEAT_RANK = """
    SELECT cm.user_id FROM (
        SELECT user_id, company_id,
               row_number() OVER (PARTITION BY company_id ORDER BY joined_at, id) AS rank
        FROM companies_companymember) cm
    JOIN memberships_membership cmem ON cmem.company_id = cm.company_id AND cmem.status IN ('active', 'grace')
    JOIN memberships_tier t ON t.id = cmem.tier_id AND cm.rank <= t.seats
    WHERE {tier_filter}
"""


def segments() -> list[dict]:
    from tribu.groups.models import Group
    from tribu.memberships.models import Tier

    tier = {t.slug: t.pk for t in Tier.objects.all()}
    python = __import__("tribu.accounts.models", fromlist=["Tag"]).Tag.objects.get(slug="python").pk
    group = Group.objects.get(slug="groupe-3").pk
    return [
        {
            "name": "Pro tier, ending within 30 days",
            "filters": {"match": "all", "rules": [
                {"field": "tier", "op": "in", "value": [tier["pro"]]},
                {"field": "membership_status", "op": "expiring_within", "value": 30},
            ]},
            "sql": f"""SELECT count(*) FROM accounts_user u WHERE {ACTIVE_USER}
                AND u.id IN (SELECT user_id FROM memberships_membership WHERE user_id IS NOT NULL
                             AND status IN ('active', 'grace') AND tier_id = %(pro)s)
                AND u.id IN (SELECT user_id FROM memberships_membership WHERE user_id IS NOT NULL
                             AND status IN ('active', 'grace')
                             AND ends_on BETWEEN current_date AND current_date + 30)""",
            "args": {"pro": tier["pro"]},
        },
        {
            "name": "Lapsed, not seen for 90 days",
            "filters": {"match": "all", "rules": [
                {"field": "membership_status", "op": "in", "value": ["lapsed"]},
                {"field": "last_seen", "op": "not_within_days", "value": 90},
            ]},
            "sql": f"""SELECT count(*) FROM accounts_user u WHERE {ACTIVE_USER}
                AND u.id IN (SELECT user_id FROM memberships_membership WHERE status IN ('expired', 'cancelled'))
                AND u.id NOT IN (SELECT user_id FROM memberships_membership WHERE user_id IS NOT NULL
                                 AND status IN ('pending', 'active', 'grace'))
                AND u.id NOT IN ({SEAT_RANK.format(tier_filter="true")})
                AND u.id NOT IN (SELECT user_id FROM accounts_profile
                                 WHERE last_active_at >= now() - interval '90 days')""",
            "args": {},
        },
        {
            "name": "Posted 3+ times in 90 days, newsletter",
            "filters": {"match": "all", "rules": [
                {"field": "activity", "op": "did_at_least", "value": {"verb": "post.created", "min": 3, "days": 90}},
                {"field": "email_consent", "op": "given", "value": "newsletter"},
            ]},
            "sql": f"""SELECT count(*) FROM accounts_user u WHERE {ACTIVE_USER}
                AND u.id IN (SELECT actor_id FROM core_activity WHERE verb = 'post.created'
                             AND created_at >= now() - interval '90 days' GROUP BY actor_id HAVING count(*) >= 3)
                AND (SELECT granted FROM privacy_consent c WHERE c.user_id = u.id AND c.kind = 'newsletter'
                    ORDER BY created_at DESC, id DESC LIMIT 1)""",
            "args": {},
        },
        {
            "name": "Python skill or group 3 (any)",
            "filters": {"match": "any", "rules": [
                {"field": "tag", "op": "any_of", "value": [python]},
                {"field": "group", "op": "in", "value": [group]},
            ]},
            "sql": f"""SELECT count(*) FROM accounts_user u WHERE {ACTIVE_USER}
                AND (u.id IN (SELECT profile_id FROM accounts_profile_skills WHERE tag_id = %(python)s)
                     OR u.id IN (SELECT profile_id FROM accounts_profile_interests WHERE tag_id = %(python)s)
                     OR u.id IN (SELECT user_id FROM groups_groupmembership WHERE group_id = %(group)s))""",
            "args": {"python": python, "group": group},
        },
        {
            "name": "Company tier seat holders",
            "filters": {"match": "all", "rules": [{"field": "tier", "op": "in", "value": [tier["entreprise"]]}]},
            "sql": f"""SELECT count(*) FROM accounts_user u WHERE {ACTIVE_USER}
                AND (u.id IN (SELECT user_id FROM memberships_membership WHERE user_id IS NOT NULL
                              AND status IN ('active', 'grace') AND tier_id = %(tier)s)
                     OR u.id IN ({SEAT_RANK.format(tier_filter="t.id = %(tier)s")}))""",
            "args": {"tier": tier["entreprise"]},
        },
        {
            "name": "Quiet for 30 days, in Bretagne",
            "filters": {"match": "all", "rules": [
                {"field": "activity", "op": "none_for_days", "value": 30},
                {"field": "custom:region", "op": "any_of", "value": ["bretagne"]},
            ]},
            "sql": f"""SELECT count(*) FROM accounts_user u WHERE {ACTIVE_USER}
                AND NOT EXISTS (SELECT 1 FROM core_activity a WHERE a.actor_id = u.id
                                AND a.created_at >= now() - interval '30 days')
                AND u.id IN (SELECT v.user_id FROM accounts_customfieldvalue v
                             JOIN accounts_customfield f ON f.id = v.field_id
                             WHERE f.key = 'region' AND f.segmentable AND f.active
                             AND v.value = '"bretagne"'::jsonb)""",
            "args": {},
        },
    ]


def measure(runs: int, server: str) -> list[dict]:
    import psycopg
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tribu.segments import queries
    from tribu.segments.filters import validate

    bare = psycopg.connect(f"{server}/{DB_NAME}", autocommit=True)
    rows = []
    for seg in segments():
        filters = validate(seg["filters"])

        def tribu(filters: dict = filters) -> int:
            return queries.count(filters)

        def hand(sql: str = seg["sql"], args: dict = seg["args"]) -> int:
            with bare.cursor() as cursor:
                cursor.execute(sql, args)
                return cursor.fetchone()[0]

        expected = hand()
        with CaptureQueriesContext(connection) as captured:
            got = tribu()
        assert got == expected, f"{seg['name']}: Tribu counts {got}, the bare SQL {expected}"
        row = {"name": seg["name"], "filters": filters, "members": got, "sql_queries": len(captured),
               "tribu": timed(tribu, runs), "bare": timed(hand, runs)}
        row["ratio_p50"] = round(row["tribu"]["p50_ms"] / row["bare"]["p50_ms"], 2)
        row["ratio_p95"] = round(row["tribu"]["p95_ms"] / row["bare"]["p95_ms"], 2)
        row["meets_target"] = row["ratio_p50"] <= TARGET_RATIO and row["sql_queries"] == 1
        log(f"{row['name']:<40} {got:>6} members | tribu p50 {row['tribu']['p50_ms']} p95 {row['tribu']['p95_ms']} "
            f"ms | bare p50 {row['bare']['p50_ms']} p95 {row['bare']['p95_ms']} ms | x{row['ratio_p50']} "
            f"| {row['sql_queries']} query")
        rows.append(row)
    bare.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30, help="measured runs per segment")
    parser.add_argument("--server", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"),
                        help="PostgreSQL server address, without the database name")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a database kept by --keep, without seeding")
    parser.add_argument("--no-save", action="store_true", help="print the results without writing files")
    args = parser.parse_args()

    commit = git_commit(ROOT)
    data_dir = Path(tempfile.mkdtemp(prefix="tribu-bench-segments-"))
    for key in [k for k in os.environ if k.startswith(("TRIBU_", "DJANGO_")) or k in {"REDIS_URL", "DATABASE_URL"}]:
        del os.environ[key]
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "tribu.settings",
        "TRIBU_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"{args.server}/{DB_NAME}",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "testserver",
        "TRIBU_LOG_LEVEL": "WARNING",
    })
    sys.path.insert(0, str(ROOT / "src"))
    if not args.reuse:
        admin_sql(args.server, f"DROP DATABASE IF EXISTS {DB_NAME}")
        admin_sql(args.server, f"CREATE DATABASE {DB_NAME}")
    setup: dict = {}
    try:
        import django

        django.setup()
        from django.core.management import call_command

        if not args.reuse:
            t0 = time.monotonic()
            call_command("migrate", verbosity=0, interactive=False)
            log(f"migrated in {time.monotonic() - t0:.1f}s; seeding {args.members} members…")
            setup = seed(args.members, random.Random(8))
            log(f"seeded: {setup}")
        measured = measure(args.runs, args.server)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            admin_sql(args.server, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        shutil.rmtree(data_dir, ignore_errors=True)

    now = dt.datetime.now().astimezone()
    with __import__("psycopg").connect(f"{args.server}/postgres") as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    result = {
        "name": "segments",
        "date": now.isoformat(timespec="seconds"),
        "git_commit": commit,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "postgresql": pg_version},
        "members": args.members,
        "runs": args.runs,
        "setup": setup,
        "segments": measured,
        "target_ratio": TARGET_RATIO,
        "meets_targets": all(s["meets_target"] for s in measured),
    }
    print()
    print(f"{'segment':<42}{'members':>8}{'tribu p50':>10}{'bare p50':>10}{'ratio':>7}{'queries':>8}")
    for s in measured:
        print(f"{s['name']:<42}{s['members']:>8}{s['tribu']['p50_ms']:>10}{s['bare']['p50_ms']:>10}"
              f"{s['ratio_p50']:>7}{s['sql_queries']:>8}")
    print(f"target (p50 within {TARGET_RATIO}x the bare SQL, one query): "
          f"{'met' if result['meets_targets'] else 'MISSED'}")
    if args.no_save:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{now:%Y-%m-%d-%H%M}-segments.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
    index = RESULTS / "segments.md"
    if not index.exists():
        index.write_text(
            "# Segment count benchmark results\n\nOne line per run of `bench/segments.py` (newest last): p50 in "
            "ms of `segments.queries.count` / the hand-written SQL of the same count, per segment; every "
            "evaluation is one SQL query.\n\n| date | commit | members | "
            + " | ".join(s["name"] for s in measured) + " | target | file |\n|"
            + " --- |" * (len(measured) + 5) + "\n"
        )
    cells = " | ".join(f"{s['tribu']['p50_ms']} / {s['bare']['p50_ms']} (x{s['ratio_p50']})" for s in measured)
    with index.open("a") as fh:
        fh.write(f"| {now:%Y-%m-%d %H:%M} | {commit} | {args.members} | {cells} | "
                 f"{'met' if result['meets_targets'] else 'missed'} | {path.name} |\n")
    log(f"wrote {path.relative_to(ROOT)} and appended to {index.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
