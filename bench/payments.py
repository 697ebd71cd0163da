"""Stripe webhook events applied per second on PostgreSQL, end to end, the way production runs: the
real web server with several processes receives every event three times at once over HTTP, task
workers apply them; against a bare INSERT of the same event rows.

    .venv/bin/python bench/payments.py [--events 1000] [--threads 8] [--web-workers 2] [--task-workers 2]
                                       [--keep] [--no-save]

1. Creates a dedicated database (``tribu_bench_payments`` on ``--server``, or ``BENCH_PAYMENTS_DB``;
   dropped at the end unless ``--keep``), runs the migrations, seeds a paid tier, ``--events`` members
   and, for each, a pending card payment with its Checkout Session id (bulk inserts), and the
   organisation's legal details.
2. Starts ``tribu web --workers W`` (uvicorn, the production ASGI server) and ``--task-workers``
   ``tribu worker`` processes, mail to the outbox folder.
3. ``webhook``: builds one ``checkout.session.completed`` event per payment, signs it with the
   library's helper, and ``--threads`` client threads (one keep-alive connection each) POST every
   event **three times, by three threads at once**. The view stores the event (one
   ``INSERT … ON CONFLICT``) and answers; the workers apply it: payment paid, membership started
   (activity, notification, email), receipt numbered gap-free, then the follow-ups (receipt PDF and
   emails, directory refresh). ``events_per_s`` = events / seconds from the first POST until every
   event is **applied** (processed, in the same transaction as its effect), not merely acknowledged;
   ``drained_s`` is until the task queue is empty (every email and PDF sent).
   Checks once drained: one ``StripeEvent`` per event, every payment paid once, one active
   membership, one ``membership.granted`` activity, one notification, one receipt per member numbered
   1..N without a gap and emailed once, exactly two emails per member (welcome, receipt), no failed
   job: **zero double effects**.
4. ``bare``: the same threads INSERT the same number of event rows three times each
   (``INSERT … ON CONFLICT (event_id) DO NOTHING``, one transaction each) through psycopg — the floor
   of "store each event once", with none of the work.
5. Writes ``bench/results/<date>-payments.json`` and appends a line to ``bench/results/payments.md``.

Target: >= 100 events applied per second, zero double effects.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from _common import admin_sql, run_facts, run_threads

pg_admin = admin_sql

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DB_NAME = os.environ.get("BENCH_PAYMENTS_DB", "tribu_bench_payments")
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the web server did not listen on {port}")


def raw_request(body: str, signature: str) -> bytes:
    """One webhook delivery as the bytes of an HTTP/1.1 request (keep-alive)."""
    payload = body.encode()
    return (f"POST /payments/stripe/webhook/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Stripe-Signature: {signature}\r\nContent-Length: {len(payload)}\r\n\r\n").encode() + payload


class RawConnection:
    """A keep-alive HTTP/1.1 client socket that sends prepared requests and reads the status and body
    (the server answers with a Content-Length): far less CPU per request than ``http.client``."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionResetError("the server closed the connection")
        self.buffer += chunk

    def send(self, request: bytes, *, close: bool = False) -> tuple[int, bytes]:
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status, length = int(lines[0].split()[1]), None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"connection" and value.strip().lower() == b"close":
                close = True
        if length is None:
            raise ConnectionError("an answer without Content-Length")
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        if close:
            self.sock.close()
        return status, body


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) used so far by ``root`` and its descendants (Linux ``/proc``)."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


def backends_cpu(dsn: str) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend connected to the benchmark's database (the
    server is local; the web and task processes keep their connections for the whole run)."""
    import psycopg

    tick = os.sysconf("SC_CLK_TCK")
    with psycopg.connect(dsn, autocommit=True) as conn:
        pids = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / tick
    return found


def seed(events: int) -> list[str]:
    from tribu.accounts.models import User
    from tribu.billing.models import Organisation
    from tribu.memberships.models import Tier
    from tribu.payments.models import Payment

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
    return bodies


def count(dsn: str, sql: str) -> int:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        return int(conn.execute(sql).fetchone()[0])


def wait_until(dsn: str, sql: str, target: int, timeout: float) -> float:
    """Poll ``sql`` until it reaches ``target``; the moment it did (perf_counter)."""
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            if int(conn.execute(sql).fetchone()[0]) >= target:
                return time.perf_counter()
            time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {sql!r} to reach {target}")


def measure(events: int, threads: int, web_workers: int, task_workers: int, dsn: str, data_dir: str) -> dict:
    import django

    django.setup()
    import stripe
    from django.core.management import call_command

    log("migrating…")
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    bodies = seed(events)
    from django.db import connections

    connections.close_all()

    port = free_port()
    tribu = str(ROOT / ".venv" / "bin" / "tribu")
    logs = Path(data_dir) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    procs = [subprocess.Popen([tribu, "web", "--port", str(port), "--workers", str(web_workers)],
                              stdout=(logs / "web.log").open("w"), stderr=subprocess.STDOUT)]
    for n in range(task_workers):
        procs.append(subprocess.Popen([tribu, "worker", "--interval", "0.1", "--worker-id", f"bench-{n}"],
                                      stdout=(logs / f"worker-{n}.log").open("w"), stderr=subprocess.STDOUT))
    try:
        wait_for_port(port)
        local = threading.local()
        answers: Counter = Counter()

        def post(request: bytes) -> tuple[int, bytes]:
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = RawConnection(port)
            return conn.send(request)

        # warm-up: a bad signature (refused, nothing written) on fresh connections, so that every web process
        # answers a few (the URLconf and the webhook's code are loaded when each process starts)
        for _i in range(4 * web_workers):
            status, _content = RawConnection(port).send(raw_request("{}", "t=1,v1=0"), close=True)
            if status != 400:
                raise SystemExit(f"warm-up answered {status}")
        time.sleep(1)

        def deliver(request: bytes) -> None:
            # As Stripe does, a delivery that failed is sent again (here at once, a few times): on a shared
            # PostgreSQL server a connection may be refused ("too many clients") during the run.
            for _attempt in range(5):
                try:
                    status, content = post(request)
                except OSError:
                    local.conn = None
                    status, content = 0, b""
                if status == 200:
                    answers[json.loads(content).get("result", status)] += 1
                    return
                answers[f"retried after {status}"] += 1
                time.sleep(0.5)
            raise RuntimeError(f"webhook answered {status}: {content[:300]!r}")

        # Each event's request built and signed once, before the clock starts (the client's CPU shares the
        # machine with the server: it sends prepared bytes on keep-alive sockets); its 3 copies go at once.
        signed = [raw_request(body, stripe.WebhookSignature.generate_signature_header(body, SECRET))
                  for body in bodies]
        ordered = interleave(signed, threads)
        log(f"webhook: {len(ordered)} deliveries of {events} events on {threads} client threads, "
            f"{web_workers} web processes, {task_workers} task workers…")
        applied_at: list[float] = []
        web_cpu0 = tree_cpu(procs[0].pid)
        db_cpu0 = backends_cpu(dsn)
        task_cpu0 = sum(tree_cpu(p.pid) for p in procs[1:])
        load0 = os.getloadavg()[0]
        started = time.perf_counter()
        applied_cpu: list[float] = []

        def watch() -> None:
            applied_at.append(wait_until(
                dsn, "SELECT count(*) FROM payments_stripeevent WHERE processed_at IS NOT NULL", events, 600))
            applied_cpu.append(sum(tree_cpu(p.pid) for p in procs[1:]) - task_cpu0)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        ack_s = run_threads(threads, ordered, deliver)
        watcher.join()
        applied_s = applied_at[0] - started
        drained_s = wait_until(dsn, "SELECT CASE WHEN count(*) = 0 THEN 1 ELSE 0 END FROM "
                                    "django_tasks_database_dbtaskresult WHERE status IN ('READY', 'RUNNING')",
                               1, 900) - started
        web_cpu = tree_cpu(procs[0].pid) - web_cpu0
        db_cpu = sum(cpu - db_cpu0.get(pid, 0.0) for pid, cpu in backends_cpu(dsn).items())
        task_cpu = sum(tree_cpu(p.pid) for p in procs[1:]) - task_cpu0
        load1 = os.getloadavg()[0]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()

    q = lambda sql: count(dsn, sql)  # noqa: E731
    applied_cpu_s = applied_cpu[0]
    stored = q("SELECT count(*) FROM payments_stripeevent")
    paid = q("SELECT count(*) FROM payments_payment WHERE status = 'succeeded'")
    memberships = q("SELECT count(*) FROM memberships_membership WHERE status = 'active'")
    granted = q("SELECT count(*) FROM core_activity WHERE verb = 'membership.granted'")
    notifications = q("SELECT count(*) FROM core_notification")
    receipts = q("SELECT count(*) FROM billing_document WHERE kind = 'receipt'")
    numbers = q("SELECT count(DISTINCT number) FROM billing_document WHERE kind = 'receipt'")
    top = q("SELECT coalesce(max(sequence), 0) FROM billing_document WHERE kind = 'receipt'")
    emailed = q("SELECT count(*) FROM billing_document WHERE kind = 'receipt' AND emailed_at IS NOT NULL")
    failed_jobs = q("SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'FAILED'")
    outbox = Path(data_dir) / "outbox"
    per_person: Counter = Counter()
    attachments = 0
    for path in outbox.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes())
        per_person[message["To"]] += 1
        attachments += sum(1 for part in message.walk() if part.get_content_type() == "application/pdf")
    emails = sum(per_person.values())
    double = ((stored - events) + (paid - events) + (memberships - events) + (granted - events)
              + (notifications - events) + (receipts - events) + (numbers - events) + (top - events)
              + (emailed - events) + (emails - 2 * events) + (attachments - events)
              + sum(1 for n in per_person.values() if n != 2))

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

    bare_ordered = interleave(bodies, threads)
    log(f"bare: {len(bare_ordered)} inserts of {events} event rows on {threads} threads…")
    bare_s = run_threads(threads, bare_ordered, bare)
    bare_rows = q("SELECT count(*) FROM bench_bare_event")

    return {
        "events": events,
        "threads": threads,
        "web_workers": web_workers,
        "task_workers": task_workers,
        "webhook": {"deliveries": len(ordered), "acknowledged_s": round(ack_s, 3),
                    "deliveries_per_s": round(len(ordered) / ack_s, 1), "answers": dict(answers),
                    "applied_s": round(applied_s, 3), "events_per_s": round(events / applied_s, 1),
                    "drained_s": round(drained_s, 3),
                    "web_cpu_ms_per_event": round(web_cpu / events * 1000, 2),
                    "db_cpu_ms_per_event": round(db_cpu / events * 1000, 2),
                    "task_cpu_ms_per_event": round(task_cpu / events * 1000, 2),
                    "task_cpu_ms_per_event_until_applied": round(applied_cpu_s / events * 1000, 2),
                    "load_average_before_after": [round(load0, 2), round(load1, 2)],
                    "stored_events": stored, "payments_paid": paid, "active_memberships": memberships,
                    "granted_activities": granted, "notifications": notifications, "receipts": receipts,
                    "distinct_numbers": numbers, "last_sequence": top, "receipts_emailed": emailed,
                    "emails": emails, "pdf_attachments": attachments, "failed_jobs": failed_jobs,
                    "double_effects": double},
        "bare": {"inserts": len(ordered), "rows": bare_rows, "seconds": round(bare_s, 3),
                 "events_per_s": round(bare_rows / bare_s, 1)},
        "ratio_webhook_vs_bare": round((events / applied_s) / (bare_rows / bare_s), 4),
        "target_events_per_s": TARGET_EVENTS_PER_S,
        "meets_target": events / applied_s >= TARGET_EVENTS_PER_S and double == 0 and failed_jobs == 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--task-workers", type=int, default=2)
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
        result = measure(args.events, args.threads, args.web_workers, args.task_workers, dsn, data_dir)
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
                 f"{result['threads']} ({result['web_workers']} web, {result['task_workers']} task workers) | "
                 f"{w['events_per_s']} | {w['deliveries_per_s']} | {b['events_per_s']} | "
                 f"{result['ratio_webhook_vs_bare']} | {w['double_effects']} | {result['meets_target']} | {name} |\n")


if __name__ == "__main__":
    main()
