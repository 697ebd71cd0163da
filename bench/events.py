"""Events on PostgreSQL: the registration rush and the agenda with many events.

    .venv/bin/python bench/events.py [--runs 50] [--crowd 300] [--workers 16] [--events 10000] [--no-save]

1. Creates a dedicated database (``tribu_bench_events`` on ``--server``, dropped at the end unless
   ``--keep``), migrates it, and seeds ``--crowd`` members.
2. **Rush**, repeated ``--runs`` times: a fresh published 100-seat event, then ``--crowd`` members
   register at the same moment from ``--workers`` threads (each its own connection) through the real
   action ``tribu.events.actions.register`` (lock on the event row, activity row, confirmation email
   queued in the database task queue). Measures registrations per second over the whole rush and
   checks after each run that exactly 100 are confirmed, the rest waitlisted, ``seats_taken`` = 100.
3. **Agenda**: seeds ``--events`` published events (community-wide, in public groups, tier-restricted,
   some past, some cancelled) and measures, as an ordinary member, page 1 of the agenda:
   - ``agenda``: what the view calls — ``parse_filters``, ``queries.agenda`` and ``page_of`` (count +
     a page of 20, with the member's registration status and the group's name);
   - ``bare``: the same two SQL statements (count, page) written by hand and run through psycopg;
   - ``page``: the whole page through Django's test client (session, middleware, template).
4. Writes ``bench/results/<date>-events.json`` and appends a line to ``bench/results/events.md``.

Targets (issue 7): at least 1,000 registrations per minute with zero overbooking over 50 runs; the
agenda within 3x the bare SQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import admin_sql, git_commit, summary, timed

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DB_NAME = "tribu_bench_events"
SEATS = 100
TARGET_PER_MINUTE = 1000
TARGET_RATIO = 3.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- Rush --------------------------------------------------------------------------------------


def seed_crowd(n: int) -> list:
    from tribu.accounts.models import User

    User.objects.bulk_create(
        [User(email=f"rush{i}@bench.example", display_name=f"Rush {i}", role="member", password="!")  # noqa: S106 - unusable
         for i in range(n)], batch_size=1000,
    )
    return list(User.objects.filter(email__endswith="@bench.example").order_by("pk"))


def one_rush(run: int, crowd: list, workers: int, organiser) -> dict:
    from django.db import connections
    from django.utils import timezone

    from tribu.events import actions
    from tribu.events.models import Event, Registration

    start = timezone.now() + dt.timedelta(days=10)
    event = Event.objects.create(title=f"Rush {run}", slug=f"rush-{run}", status="published", capacity=SEATS,
                                 starts_at=start, ends_at=start + dt.timedelta(hours=2), organiser=organiser)
    barrier = threading.Barrier(workers + 1)
    outcomes: list[str] = []
    errors: list[str] = []
    chunks = [crowd[i::workers] for i in range(workers)]

    def run_chunk(chunk: list) -> None:
        try:
            target = Event.objects.get(pk=event.pk)
            barrier.wait()
            for user in chunk:
                try:
                    outcomes.append(actions.register(user, target).status)
                except actions.RegistrationRefused as refused:
                    outcomes.append(f"refused:{refused.code}")
                except Exception as exc:  # reported in the results
                    errors.append(repr(exc))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run_chunk, chunk) for chunk in chunks]
        barrier.wait()
        t0 = time.perf_counter()
        for future in futures:
            future.result()
        elapsed = time.perf_counter() - t0
    confirmed = Registration.objects.filter(event=event, status="confirmed").count()
    seats = Event.objects.values_list("seats_taken", flat=True).get(pk=event.pk)
    return {
        "seconds": round(elapsed, 3),
        "per_second": round(len(outcomes) / elapsed, 1),
        "confirmed": confirmed,
        "seats_taken": seats,
        "waitlisted": outcomes.count("waitlisted"),
        "errors": errors[:5],
        "error_count": len(errors),
        "overbooked": confirmed > SEATS or seats > SEATS,
        "exact": confirmed == SEATS and seats == SEATS and outcomes.count("confirmed") == SEATS,
    }


# --- Agenda ------------------------------------------------------------------------------------


def seed_events(n: int, organiser, rng: random.Random) -> dict:
    from django.utils import timezone
    from django.utils.text import slugify

    from tribu.events.models import Event
    from tribu.groups.models import Group
    from tribu.memberships.models import Tier

    groups = []
    for i, visibility in enumerate(["public"] * 6 + ["moderated"] * 2 + ["private"] * 2):
        group = Group.objects.create(name=f"Groupe {i}", slug=f"groupe-{i}", visibility=visibility,
                                     effective_visibility=visibility)
        group.path = f"{group.pk:08d}."
        group.save(update_fields=["path"])
        groups.append(group)
    tier = Tier.objects.create(slug="premium-bench", name_fr="Premium")
    now = timezone.now()
    kinds = ["meetup", "afterwork", "conference", "webinar", "workshop", "ama"]
    rows = []
    for i in range(n):
        start = now + dt.timedelta(days=rng.uniform(-365, 365), minutes=rng.randint(0, 600))
        title = f"{rng.choice(['Rencontre', 'Atelier', 'Conférence', 'Webinaire', 'Afterwork'])} {i}"
        roll = rng.random()
        rows.append(Event(
            title=title, slug=f"{slugify(title)}-{i}", summary="Un moment entre membres.",
            kind=rng.choice(kinds), format=rng.choice(["in_person", "online", "hybrid"]),
            status="cancelled" if roll < 0.03 else "draft" if roll < 0.06 else "published",
            audience="tiers" if 0.06 <= roll < 0.12 else "members" if roll < 0.3 else "everyone",
            restriction_mode="hidden" if 0.06 <= roll < 0.09 else "teaser",
            group=rng.choice(groups) if rng.random() < 0.3 else None,
            starts_at=start, ends_at=start + dt.timedelta(hours=2), capacity=rng.choice([None, 30, 100]),
            organiser=organiser,
        ))
    Event.objects.bulk_create(rows, batch_size=2000)
    through = Event.required_tiers.through
    through.objects.bulk_create([through(event_id=pk, tier_id=tier.pk) for pk in
                                 Event.objects.filter(audience="tiers").values_list("pk", flat=True)])
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE events_event")
    return {"events": n, "groups": len(groups)}


def measure_agenda(runs: int, server: str, member) -> dict:
    import psycopg
    from django.http import QueryDict
    from django.test import Client
    from django.utils import timezone

    from tribu.events import queries

    def through_tribu() -> int:
        member.__dict__.pop("_tribu_effective_tier_ids", None)
        member.__dict__.pop("_tribu_group_viewer", None)
        filters = queries.parse_filters(QueryDict(""))
        page = queries.page_of(queries.agenda(member, filters), 1)
        return len([e.group.name if e.group_id else "" for e in page])

    conn = psycopg.connect(f"{server}/{DB_NAME}")
    where = """e.status IN ('published', 'cancelled') AND e.ends_at >= %(now)s
      AND (e.group_id IS NULL OR e.group_id IN (SELECT g.id FROM groups_group g WHERE g.effective_visibility = 'public'
           OR g.id IN (SELECT gm.group_id FROM groups_groupmembership gm WHERE gm.user_id = %(uid)s)))
      AND (e.audience <> 'tiers' OR e.restriction_mode <> 'hidden')"""

    def through_psycopg() -> int:
        args = {"now": timezone.now(), "uid": member.pk}
        with conn.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM events_event e WHERE {where}", args)  # noqa: S608
            cur.fetchone()
            cur.execute(
                f"""SELECT e.id, e.slug, e.title, e.summary, e.kind, e.format, e.starts_at, e.ends_at, e.time_zone,
                       e.capacity, e.seats_taken, e.status, e.venue, e.cover, e.audience, g.name, g.slug,
                       (SELECT r.status FROM events_registration r WHERE r.event_id = e.id AND r.user_id = %(uid)s
                        AND r.status IN ('confirmed', 'waitlisted', 'pending_payment') LIMIT 1)
                FROM events_event e LEFT JOIN groups_group g ON g.id = e.group_id
                WHERE {where} ORDER BY e.starts_at, e.id LIMIT 20""",  # noqa: S608
                args,
            )
            return len(cur.fetchall())

    client = Client()
    client.force_login(member)

    def page() -> None:
        response = client.get("/events/")
        assert response.status_code == 200, response.status_code

    # Interleaved (Tribu, bare, bare, Tribu, ...) so a burst of load on a shared machine weighs on both.
    for _ in range(5):
        through_tribu()
        through_psycopg()
    tribu_samples: list[float] = []
    bare_samples: list[float] = []
    for i in range(runs):
        pair = [(through_tribu, tribu_samples), (through_psycopg, bare_samples)]
        for func, samples in (pair if i % 2 == 0 else reversed(pair)):
            t0 = time.perf_counter()
            func()
            samples.append(time.perf_counter() - t0)
    agenda = summary(tribu_samples)
    bare = summary(bare_samples)
    whole = timed(page, max(20, runs // 4))
    conn.close()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get("/events/")
    return {"agenda": agenda, "bare": bare, "page": whole,
            "ratio_p50": round(agenda["p50_ms"] / bare["p50_ms"], 2),
            "ratio_p95": round(agenda["p95_ms"] / bare["p95_ms"], 2),
            "page_queries": len(captured.captured_queries)}


# --- Main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50, help="rushes (0: the agenda only)")
    parser.add_argument("--crowd", type=int, default=300, help="people rushing for the 100 seats")
    parser.add_argument("--workers", type=int, default=16, help="concurrent threads (connections)")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--server", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()

    commit = git_commit(ROOT)
    data_dir = Path(tempfile.mkdtemp(prefix="tribu-bench-events-"))
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

        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        from tribu.accounts.models import User

        organiser = User.objects.create(email="anna@bench.example", display_name="Anna", role="animator")
        member = User.objects.create(email="mia@bench.example", display_name="Mia", role="member")
        crowd = seed_crowd(args.crowd)
        log(f"rush: {args.runs} runs of {args.crowd} people for {SEATS} seats, {args.workers} threads")
        rushes = []
        for run in range(args.runs):
            rushes.append(one_rush(run, crowd, args.workers, organiser))
            log(f"  run {run + 1}: {rushes[-1]['per_second']}/s, confirmed {rushes[-1]['confirmed']}, "
                f"errors {rushes[-1]['error_count']}")
        log(f"agenda: seeding {args.events} events")
        seeded = seed_events(args.events, organiser, random.Random(7))
        agenda = measure_agenda(max(200, args.runs * 4), args.server, member)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            admin_sql(args.server, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        shutil.rmtree(data_dir, ignore_errors=True)

    per_second = [r["per_second"] for r in rushes] or [0.0]
    rush = {
        "runs": len(rushes), "crowd": args.crowd, "seats": SEATS, "workers": args.workers,
        "per_second_median": round(statistics.median(per_second), 1),
        "per_second_min": min(per_second),
        "per_minute_median": round(statistics.median(per_second) * 60),
        "per_minute_min": round(min(per_second) * 60),
        "overbooked_runs": sum(r["overbooked"] for r in rushes),
        "inexact_runs": sum(not r["exact"] for r in rushes),
        "error_count": sum(r["error_count"] for r in rushes),
        "first_errors": [e for r in rushes for e in r["errors"]][:5],
    }
    with __import__("psycopg").connect(f"{args.server}/postgres") as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    now = dt.datetime.now().astimezone()
    result = {
        "name": "events", "date": now.isoformat(timespec="seconds"), "git_commit": commit,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "postgresql": pg_version},
        "rush": rush, "agenda": {**seeded, **agenda},
        "targets": {"per_minute": TARGET_PER_MINUTE, "overbooking": 0, "agenda_ratio": TARGET_RATIO},
        "meets_targets": (not rushes or (rush["per_minute_min"] >= TARGET_PER_MINUTE and rush["overbooked_runs"] == 0
                                         and rush["inexact_runs"] == 0 and rush["error_count"] == 0))
        and agenda["ratio_p95"] <= TARGET_RATIO,
    }
    print(json.dumps({"rush": rush, "agenda": result["agenda"], "meets_targets": result["meets_targets"]},
                     indent=2))
    if args.no_save:
        return
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{now:%Y-%m-%d-%H%M}-events.json").write_text(json.dumps(result, indent=2) + "\n")
    rush_cells = (f"{rush['runs']} × {rush['crowd']} for {SEATS} seats, {rush['workers']} threads | "
                  f"{rush['per_minute_median']}/min (min {rush['per_minute_min']}) | {rush['overbooked_runs']}"
                  if rushes else "agenda only | — | —")
    line = (f"| {now:%Y-%m-%d %H:%M} | {commit} | {rush_cells} | {args.events} | "
            f"{agenda['agenda']['p50_ms']} / {agenda['agenda']['p95_ms']} | "
            f"{agenda['bare']['p50_ms']} / {agenda['bare']['p95_ms']} | {agenda['ratio_p95']} | "
            f"{agenda['page']['p50_ms']} | {'yes' if result['meets_targets'] else 'no'} |\n")
    md = RESULTS / "events.md"
    if not md.exists():
        md.write_text(
            "# Events benchmark (`bench/events.py`)\n\n"
            "| date | commit | rush | registrations | overbooked runs | events | agenda p50/p95 ms | "
            "bare SQL p50/p95 ms | ratio p95 | page p50 ms | targets met |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        )
    with md.open("a") as out:
        out.write(line)


if __name__ == "__main__":
    main()
