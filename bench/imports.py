"""Member import throughput: a messy 10,000-row file imported on SQLite and on PostgreSQL.

    .venv/bin/python bench/imports.py [--rows 10000] [--no-postgres] [--pg-url postgres://postgres@127.0.0.1:5432]
                                      [--no-save]

For each database, in a child process with a fresh database (SQLite: a temporary TRIBU_DATA_DIR in
WAL mode; PostgreSQL: a database ``tribu_bench_imports`` created and dropped by this script):

1. ``migrate``, then two tiers, a single-choice custom field and a company (what the file refers to);
2. generates the file the tests use (``tribu.imports.tests.factories.member_rows``): Latin-1, `;`
   separated, about 10 % of rows broken (malformed emails, 31/02 dates, unknown choices, unknown
   tiers, duplicate emails);
3. times the import as the app runs it: upload + preview (validate every row, compare with the
   database), then the apply step the background worker runs (``actions.run_job``), then the same
   file again (every row "unchanged");
4. times the **reference**: the valid rows inserted with the bare DB driver into one plain table
   with the same values (``executemany`` on SQLite, ``COPY`` on PostgreSQL), no validation, no ORM,
   one table instead of the seven an import writes (users, addresses, profiles, tags, custom
   values, memberships, activities).

Tasks use the database task backend, as in production: the import enqueues the directory refresh
and does not run it inline (the worker does, outside the measured time).
Writes ``bench/results/<date>-imports.json`` and appends a line to ``bench/results/imports.md``.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_DB = "tribu_bench_imports"


def log(message: str) -> None:
    print(f"[bench-imports] {message}", file=sys.stderr, flush=True)


# --- Child: runs inside Django ----------------------------------------------------------------------

def child(rows_wanted: int) -> dict:
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connection

    from tribu.accounts.models import User
    from tribu.imports import actions
    from tribu.imports.models import ImportJob, ImportStatus
    from tribu.imports.tests.factories import member_rows, setup_reference_data, to_csv

    call_command("migrate", verbosity=0, interactive=False)
    admin = User.objects.create_superuser("bench-admin@example.org", "bench password 123")
    setup_reference_data()
    rows, expected = member_rows(rows_wanted)
    data = to_csv(rows, encoding="latin-1", delimiter=";")

    def import_once() -> dict:
        c0 = time.process_time()
        t0 = time.perf_counter()
        job = actions.start_import(admin, SimpleUploadedFile("bench.csv", data), "members")
        problems = actions.preview_import(admin, job)
        assert not problems, problems
        t1 = time.perf_counter()
        # What the worker runs for a large file (apply_import would only enqueue it).
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
        actions.run_job(job.pk)
        t2 = time.perf_counter()
        cpu = time.process_time() - c0
        job.refresh_from_db()
        return {"preview_s": round(t1 - t0, 3), "apply_s": round(t2 - t1, 3), "total_s": round(t2 - t0, 3),
                "python_cpu_s": round(cpu, 3), "rows_per_python_cpu_s": round(len(rows) / cpu, 1),
                "counts": job.counts, "rows_per_s": round(len(rows) / (t2 - t0), 1),
                "apply_rows_per_s": round(len(rows) / (t2 - t1), 1)}

    first = import_once()
    assert first["counts"]["create"] == expected["valid"], first
    second = import_once()
    assert second["counts"]["unchanged"] == expected["valid"], second

    # The reference inserts exactly the rows the import created (first occurrence of each imported email).
    imported = set(User.objects.filter(email__endswith="@exemple.fr").values_list("email", flat=True))
    seen, unique = set(), []
    for r in rows:
        if r[0] in imported and r[0] not in seen:
            seen.add(r[0])
            unique.append(r)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_reference (email varchar(254) PRIMARY KEY, first_name varchar(150), "
            "last_name varchar(150), city varchar(100), skills text, tier varchar(60), starts_on varchar(10), "
            "ends_on varchar(10), region varchar(60))"
        )
    raw = connection.connection
    start = time.perf_counter()
    if connection.vendor == "postgresql":
        with raw.cursor() as cursor, cursor.copy(
            "COPY bench_reference (email, first_name, last_name, city, skills, tier, starts_on, ends_on, region) "
            "FROM STDIN"
        ) as copy:
            for r in unique:
                copy.write_row(r)
        if not raw.autocommit:
            raw.commit()
        method = "COPY (psycopg)"
    else:
        cursor = raw.cursor()
        cursor.executemany("INSERT INTO bench_reference VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", unique)
        raw.commit()
        method = "executemany (sqlite3)"
    reference_s = time.perf_counter() - start
    return {
        "vendor": connection.vendor,
        "rows_in_file": len(rows),
        "expected": expected,
        "first_import": first,
        "reimport_unchanged": second,
        "reference": {"method": method, "rows": len(unique), "seconds": round(reference_s, 4),
                      "rows_per_s": round(len(unique) / reference_s, 1)},
        "ratio_import_vs_reference": round((len(rows) / first["total_s"]) / (len(unique) / reference_s), 4),
    }


# --- Parent: one child per database -----------------------------------------------------------------

def child_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIBU_", "DJANGO_", "DATABASE_URL"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "tribu.settings",
        "TRIBU_DATA_DIR": str(data_dir),
        "DEBUG": "false",
        "TRIBU_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
    })
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def run_child(env: dict[str, str], rows: int) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", "--rows", str(rows)], env=env, capture_output=True, text=True,
        cwd=ROOT, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"child failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def pg_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{url.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="runs per database; the median run is the headline")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.rows)))
        return

    runs: dict[str, list[dict]] = {"sqlite": [], "postgresql": []}
    data_dir = Path(tempfile.mkdtemp(prefix="tribu-bench-imports-"))
    try:
        for attempt in range(args.repeat):
            sqlite_dir = data_dir / f"sqlite-{attempt}"
            sqlite_dir.mkdir()
            log(f"SQLite run {attempt + 1}/{args.repeat} in {sqlite_dir}…")
            runs["sqlite"].append(run_child(child_env(sqlite_dir, None), args.rows))
            log(json.dumps(runs["sqlite"][-1]["first_import"]))
            if args.no_postgres:
                continue
            pg_admin(args.pg_url, f"DROP DATABASE IF EXISTS {PG_DB}")
            pg_admin(args.pg_url, f"CREATE DATABASE {PG_DB}")
            try:
                log(f"PostgreSQL run {attempt + 1}/{args.repeat} ({PG_DB})…")
                pg_dir = data_dir / f"pg-{attempt}"
                pg_dir.mkdir()
                url = f"{args.pg_url.rstrip('/')}/{PG_DB}"
                runs["postgresql"].append(run_child(child_env(pg_dir, url), args.rows))
                log(json.dumps(runs["postgresql"][-1]["first_import"]))
            finally:
                pg_admin(args.pg_url, f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    def median_run(items: list[dict]) -> dict | None:
        if not items:
            return None
        ranked = sorted(items, key=lambda r: r["first_import"]["rows_per_s"])
        return {**ranked[len(ranked) // 2], "all_runs_rows_per_s": [r["first_import"]["rows_per_s"] for r in items]}

    results = {key: median_run(items) for key, items in runs.items() if items}
    load = os.getloadavg() if hasattr(os, "getloadavg") else None

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    now = dt.datetime.now(dt.UTC)
    report = {"date": now.isoformat(timespec="seconds"), "commit": commit.strip(), "cpus": os.cpu_count(),
              "python": platform.python_version(), "rows": args.rows, "target_rows_per_s": 1000,
              "load_average_after": load, "runs_per_database": args.repeat, **results}
    print(json.dumps(report, indent=2))
    if args.no_save:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"{now:%Y-%m-%d}-imports.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2) + "\n")
    table = RESULTS / "imports.md"
    if not table.exists():
        table.write_text(
            "# Import benchmark results\n\nOne line per run of `bench/imports.py` (newest last). Rows/s count "
            "every row of the file (errors included), upload + preview + apply.\n\n"
            "| date | commit | cpus | rows | SQLite rows/s | SQLite re-import rows/s | SQLite reference rows/s | "
            "PostgreSQL rows/s | PostgreSQL re-import rows/s | PostgreSQL reference rows/s | file |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        )

    def cells(key: str) -> list[str]:
        r = results.get(key)
        if not r:
            return ["—", "—", "—"]
        return [str(r["first_import"]["rows_per_s"]), str(r["reimport_unchanged"]["rows_per_s"]),
                f"{r['reference']['rows_per_s']} ({r['reference']['method']})"]

    line = [f"{now:%Y-%m-%d %H:%M}", report["commit"], str(report["cpus"]), str(args.rows),
            *cells("sqlite"), *cells("postgresql"), name]
    with table.open("a") as handle:
        handle.write("| " + " | ".join(line) + " |\n")
    log(f"saved {name}")


if __name__ == "__main__":
    main()
