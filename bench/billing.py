"""Receipts issued per second on PostgreSQL with gap-free numbering under concurrency, against the
bare SQL of the same numbering, and the cost of a PDF.

    .venv/bin/python bench/billing.py [--payments 1000] [--threads 8] [--keep] [--no-save]

1. Creates a dedicated database (``tribu_bench_billing`` on ``--server``, dropped at the end unless
   ``--keep``), runs the migrations, seeds ``--payments`` succeeded payments (bulk insert).
2. ``issue``: ``--threads`` threads (one connection each) call ``billing.actions.issue_receipt`` for
   every payment, each payment **three times** (three different threads at once, as three deliveries
   of the same webhook would), each call in its own transaction, like the payments app does. Checks:
   exactly one receipt per payment (zero double effects) and numbers 1..N without a gap or duplicate.
3. ``bare``: the same threads run the minimum SQL of gap-free numbering by hand through psycopg — in one
   transaction: lock the payment row, lock the counter row (``SELECT … FOR UPDATE``), increment it,
   insert a row — for the same number of payments (each once). The ratio ``issue / bare`` is the figure
   to compare between machines (both run in the same process a few seconds apart).
4. ``pdf``: renders a receipt's PDF ``--pdf-runs`` times (p50, p95).
5. Writes ``bench/results/<date>-billing.json`` and appends a line to ``bench/results/billing.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import admin_sql, run_facts, run_threads

pg_admin = admin_sql

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DB_NAME = "tribu_bench_billing"


def log(message: str) -> None:
    print(f"[bench-billing] {message}", file=sys.stderr, flush=True)


def measure(payments: int, threads: int, pdf_runs: int, dsn: str) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from tribu.accounts.models import User
    from tribu.billing import actions, pdf
    from tribu.billing.models import Document, Organisation
    from tribu.payments.models import Payment

    log("migrating…")
    call_command("migrate", verbosity=0, interactive=False)
    org = Organisation.get()
    org.legal_name, org.siret = "Association Bench", "12345678900012"
    org.save()
    users = User.objects.bulk_create([
        User(email=f"payer{i}@bench.example", display_name=f"Payer {i}", role="member")
        for i in range(50)
    ])
    now = timezone.now()
    rows = Payment.objects.bulk_create([
        Payment(reference=f"BENCH-{i:07d}", user=users[i % len(users)], amount_cents=6000 + i % 100,
                method="card", status="succeeded", paid_at=now)
        for i in range(payments * 2)
    ])
    tribu_rows, bare_rows = rows[:payments], rows[payments:]

    # 1. Tribu: each payment confirmed three times at once by different threads.
    deliveries = [p for p in tribu_rows for _ in range(3)]
    # interleave so that the three deliveries of a payment land on three different threads together
    ordered = []
    for i in range(0, len(deliveries), 3 * threads):
        block = deliveries[i : i + 3 * threads]
        ordered.extend(block[j] for k in range(3) for j in range(k, len(block), 3))

    def issue(payment) -> None:
        with transaction.atomic():
            actions.issue_receipt(payment, email=False)

    log(f"issue: {len(ordered)} calls for {payments} payments on {threads} threads…")
    issue_s = run_threads(threads, ordered, issue)
    year = timezone.localtime(now).year
    docs = Document.objects.filter(kind="receipt", year=year)
    sequences = sorted(docs.values_list("sequence", flat=True))
    one_per_payment = docs.values("payment_id").distinct().count() == payments == len(sequences)
    gap_free = sequences == list(range(1, payments + 1))

    # 2. The bare SQL of the same numbering, each payment once.
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_bare_doc (id bigserial primary key, kind text, year int, "
                     "sequence int, payment_id bigint, UNIQUE (kind, year, sequence), UNIQUE (payment_id))")
        conn.execute("INSERT INTO billing_documentcounter (kind, year, last) VALUES ('bare', %s, 0) "
                      "ON CONFLICT DO NOTHING", [year])
    local = threading.local()

    def bare(payment) -> None:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = psycopg.connect(dsn)
        with conn.transaction():
            conn.execute("SELECT id FROM payments_payment WHERE id = %s FOR UPDATE", [payment.pk])
            row = conn.execute("SELECT id, last FROM billing_documentcounter WHERE kind = 'bare' AND year = %s "
                               "FOR UPDATE", [year]).fetchone()
            conn.execute("UPDATE billing_documentcounter SET last = %s WHERE id = %s", [row[1] + 1, row[0]])
            conn.execute("INSERT INTO bench_bare_doc (kind, year, sequence, payment_id) VALUES ('bare', %s, %s, %s)",
                         [year, row[1] + 1, payment.pk])

    log(f"bare: {payments} payments on {threads} threads…")
    bare_s = run_threads(threads, list(bare_rows), bare)
    with psycopg.connect(dsn, autocommit=True) as conn:
        bare_count = conn.execute("SELECT count(*) FROM bench_bare_doc").fetchone()[0]

    # 3. PDF rendering.
    sample = docs.select_related("original").first()
    timings = []
    for _ in range(pdf_runs):
        started = time.perf_counter()
        content = pdf.render(sample)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "payments": payments,
        "threads": threads,
        "issue": {"calls": len(ordered), "seconds": round(issue_s, 3),
                  "receipts_per_s": round(payments / issue_s, 1), "calls_per_s": round(len(ordered) / issue_s, 1),
                  "one_receipt_per_payment": one_per_payment, "gap_free": gap_free,
                  "double_effects": len(sequences) - payments},
        "bare": {"rows": bare_count, "seconds": round(bare_s, 3), "rows_per_s": round(bare_count / bare_s, 1)},
        "ratio_issue_vs_bare": round((payments / issue_s) / (bare_count / bare_s), 4),
        "pdf": {"runs": pdf_runs, "bytes": len(content), "p50_ms": round(statistics.median(timings), 2),
                "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2)},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--pdf-runs", type=int, default=50)
    parser.add_argument("--server", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()

    dsn = f"{args.server.rstrip('/')}/{DB_NAME}"
    pg_admin(args.server, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    pg_admin(args.server, f"CREATE DATABASE {DB_NAME}")
    data_dir = tempfile.mkdtemp(prefix="tribu-bench-billing-")
    for key in [k for k in os.environ if k.startswith("TRIBU_")]:
        del os.environ[key]
    os.environ.update({"DJANGO_SETTINGS_MODULE": "tribu.settings", "DATABASE_URL": dsn, "TRIBU_DATA_DIR": data_dir,
                       "DEBUG": "false", "TRIBU_LOG_LEVEL": "WARNING"})
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    try:
        result = measure(args.payments, args.threads, args.pdf_runs, dsn)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            pg_admin(args.server, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")

    now = dt.datetime.now(dt.UTC)
    report = {**run_facts(ROOT), **result}
    print(json.dumps(report, indent=2))
    if args.no_save:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"{now:%Y-%m-%d}-billing.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2) + "\n")
    table = RESULTS / "billing.md"
    if not table.exists():
        table.write_text(
            "# Billing benchmark results\n\nOne line per run of `bench/billing.py` (newest last), PostgreSQL. "
            "Each payment is confirmed three times at once; receipts/s counts distinct receipts.\n\n"
            "| date | commit | cpus | payments | threads | receipts/s | calls/s | bare SQL rows/s | ratio | "
            "double effects | gap-free | PDF p50 ms | PDF p95 ms | file |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        )
    i, b, p = result["issue"], result["bare"], result["pdf"]
    with table.open("a") as fh:
        fh.write(f"| {now:%Y-%m-%d %H:%M} | {report['commit']} | {report['cpus']} | {result['payments']} | "
                 f"{result['threads']} | {i['receipts_per_s']} | {i['calls_per_s']} | {b['rows_per_s']} | "
                 f"{result['ratio_issue_vs_bare']} | {i['double_effects']} | {i['gap_free']} | {p['p50_ms']} | "
                 f"{p['p95_ms']} | {name} |\n")


if __name__ == "__main__":
    main()
