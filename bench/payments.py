"""Stripe webhook events applied per second on PostgreSQL, each event delivered three times at once,
against a bare INSERT of the same event rows.

    .venv/bin/python bench/payments.py [--events 1000] [--threads 8] [--keep] [--no-save]

1. Creates a dedicated database (``tribu_bench_payments`` on ``--server``, dropped at the end unless
   ``--keep``), runs the migrations, seeds a paid tier, ``--events`` members and, for each, a pending card
   payment with its Checkout Session id (bulk inserts), and the organisation's legal details.
2. ``webhook``: builds one ``checkout.session.completed`` event per payment, signs it with the library's
   helper, and has ``--threads`` threads (one connection each) POST every event **three times, by three
   threads at once**, through the real view (Django's test client: middleware, signature verification,
   ``webhooks.receive``). Each applied event marks the payment paid, starts the membership (activity,
   notification, email queued), issues the receipt (gap-free number) — the whole effect.
   Checks: one ``StripeEvent`` per event, every payment paid once, one membership, one
   ``membership.granted`` activity and one receipt per member: **zero double effects**.
3. ``bare``: the same threads INSERT the same number of event rows three times each
   (``INSERT … ON CONFLICT (event_id) DO NOTHING``, one transaction each) through psycopg — the floor
   of "store each event once", with none of the work. The ratio is the figure to compare between runs.
4. Writes ``bench/results/<date>-payments.json`` and appends a line to ``bench/results/payments.md``.

Target: >= 100 events applied per second, zero double effects.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import admin_sql, run_facts, run_threads

pg_admin = admin_sql

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DB_NAME = "tribu_bench_payments"
SECRET = "whsec_bench"  # noqa: S105  (a throwaway webhook secret for the benchmark)
TARGET_EVENTS_PER_S = 100


def log(message: str) -> None:
    print(f"[bench-payments] {message}", file=sys.stderr, flush=True)


def interleave(items: list, threads: int) -> list:
    """Each item three times, so that split round-robin between ``threads`` threads its three copies
    land on three different threads at about the same moment."""
    copies = [x for x in items for _ in range(3)]
    ordered = []
    for i in range(0, len(copies), 3 * threads):
        block = copies[i : i + 3 * threads]
        ordered.extend(block[j] for k in range(3) for j in range(k, len(block), 3))
    return ordered


def measure(events: int, threads: int, dsn: str) -> dict:
    import django

    django.setup()
    import stripe
    from django.core.management import call_command
    from django.test import Client

    from tribu.accounts.models import User
    from tribu.billing.models import Document, Organisation
    from tribu.core.models import Activity
    from tribu.memberships.models import Membership, Tier
    from tribu.payments.models import Payment, StripeEvent

    log("migrating…")
    call_command("migrate", verbosity=0, interactive=False)
    org = Organisation.get()
    org.legal_name, org.siret, org.iban = "Association Bench", "12345678900012", "FR7630006000011234567890189"
    org.save()
    tier = Tier.objects.create(slug="premium", name_fr="Premium", price_cents=12000, period="yearly",
                               self_selectable=True)
    users = User.objects.bulk_create([
        User(email=f"payer{i}@bench.example", display_name=f"Payer {i}", role="member") for i in range(events)
    ])
    payments = Payment.objects.bulk_create([
        Payment(reference=f"TR-B{i:07d}", user=u, tier=tier, purpose="membership", amount_cents=12000,
                currency="EUR", method="card", status="pending", stripe_checkout_session=f"cs_bench_{i}")
        for i, u in enumerate(users)
    ])
    now = int(time.time())
    bodies = []
    for i, p in enumerate(payments):
        evt = {"id": f"evt_bench_{i}", "object": "event", "type": "checkout.session.completed", "created": now,
               "livemode": False, "api_version": "2026-10-28.endive",
               "data": {"object": {"id": p.stripe_checkout_session, "object": "checkout.session", "mode": "payment",
                                   "status": "complete", "payment_status": "paid", "amount_total": 12000,
                                   "currency": "eur", "customer": f"cus_bench_{i}", "client_reference_id": p.reference,
                                   "payment_intent": f"pi_bench_{i}", "metadata": {"reference": p.reference}}}}
        bodies.append(json.dumps(evt))
    local = threading.local()
    answers: list[int] = []

    def deliver(body: str) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = Client()
        header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
        response = client.post("/payments/stripe/webhook/", data=body, content_type="application/json",
                               headers={"Stripe-Signature": header})
        answers.append(response.status_code)
        if response.status_code != 200:
            raise RuntimeError(f"webhook answered {response.status_code}: {response.content[:300]!r}")

    # warm-up (URLconf, templates, translations loaded once per process, as on a running server): a
    # delivery with a bad signature, refused before anything is stored
    Client().post("/payments/stripe/webhook/", data="{}", content_type="application/json",
                  headers={"Stripe-Signature": "t=1,v1=0"})
    ordered = interleave(bodies, threads)
    log(f"webhook: {len(ordered)} deliveries of {events} events on {threads} threads…")
    webhook_s = run_threads(threads, ordered, deliver)

    stored = StripeEvent.objects.count()
    paid = Payment.objects.filter(status="succeeded").count()
    memberships = Membership.objects.filter(status="active").count()
    granted = Activity.objects.filter(verb="membership.granted").count()
    receipts = Document.objects.filter(kind="receipt").count()
    double = (stored - events) + (paid - events) + (memberships - events) + (granted - events) + (receipts - events)

    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_bare_event (id bigserial primary key, event_id varchar(255) UNIQUE, "
                     "type varchar(100), payload jsonb, received_at timestamptz default now())")
    bare_local = threading.local()

    def bare(body: str) -> None:
        conn = getattr(bare_local, "conn", None)
        if conn is None:
            conn = bare_local.conn = psycopg.connect(dsn)
        evt = json.loads(body)
        with conn.transaction():
            conn.execute("INSERT INTO bench_bare_event (event_id, type, payload) VALUES (%s, %s, %s) "
                         "ON CONFLICT (event_id) DO NOTHING", [evt["id"], evt["type"], body])

    log(f"bare: {len(ordered)} inserts of {events} event rows on {threads} threads…")
    bare_s = run_threads(threads, ordered, bare)
    with psycopg.connect(dsn, autocommit=True) as conn:
        bare_rows = conn.execute("SELECT count(*) FROM bench_bare_event").fetchone()[0]

    return {
        "events": events,
        "threads": threads,
        "webhook": {"deliveries": len(ordered), "seconds": round(webhook_s, 3),
                    "events_per_s": round(events / webhook_s, 1),
                    "deliveries_per_s": round(len(ordered) / webhook_s, 1),
                    "stored_events": stored, "payments_paid": paid, "active_memberships": memberships,
                    "granted_activities": granted, "receipts": receipts, "double_effects": double,
                    "non_200": sum(1 for a in answers if a != 200)},
        "bare": {"inserts": len(ordered), "rows": bare_rows, "seconds": round(bare_s, 3),
                 "events_per_s": round(bare_rows / bare_s, 1)},
        "ratio_webhook_vs_bare": round((events / webhook_s) / (bare_rows / bare_s), 4),
        "target_events_per_s": TARGET_EVENTS_PER_S,
        "meets_target": events / webhook_s >= TARGET_EVENTS_PER_S and double == 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--server", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()

    dsn = f"{args.server.rstrip('/')}/{DB_NAME}"
    pg_admin(args.server, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    pg_admin(args.server, f"CREATE DATABASE {DB_NAME}")
    data_dir = tempfile.mkdtemp(prefix="tribu-bench-payments-")
    for key in [k for k in os.environ if k.startswith(("TRIBU_", "STRIPE_"))]:
        del os.environ[key]
    os.environ.update({"DJANGO_SETTINGS_MODULE": "tribu.settings", "DATABASE_URL": dsn, "TRIBU_DATA_DIR": data_dir,
                       "DEBUG": "false", "TRIBU_LOG_LEVEL": "WARNING", "STRIPE_WEBHOOK_SECRET": SECRET})
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    try:
        result = measure(args.events, args.threads, dsn)
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
    name = f"{now:%Y-%m-%d}-payments.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2) + "\n")
    table = RESULTS / "payments.md"
    if not table.exists():
        table.write_text(
            "# Payments benchmark results\n\nOne line per run of `bench/payments.py` (newest last), PostgreSQL. "
            "Each Stripe event is delivered three times at once through the real webhook view; events/s counts "
            "distinct events applied (payment paid, membership started, receipt issued). Target: >= 100 events/s, "
            "zero double effects.\n\n"
            "| date | commit | cpus | events | threads | events/s | deliveries/s | bare INSERT events/s | ratio | "
            "double effects | meets target | file |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        )
    w, b = result["webhook"], result["bare"]
    with table.open("a") as fh:
        fh.write(f"| {now:%Y-%m-%d %H:%M} | {report['commit']} | {report['cpus']} | {result['events']} | "
                 f"{result['threads']} | {w['events_per_s']} | {w['deliveries_per_s']} | {b['events_per_s']} | "
                 f"{result['ratio_webhook_vs_bare']} | {w['double_effects']} | {result['meets_target']} | {name} |\n")


if __name__ == "__main__":
    main()
