"""Campaign sending: messages per second into a local SMTP server, and the worker's peak memory.

    .venv/bin/python bench/campaigns.py [--recipients 20000] [--database postgres|sqlite] [--no-save]

1. Creates a fresh data folder and database (``tribu_bench_campaigns`` on PostgreSQL, or a SQLite
   file), runs the migrations, seeds ``--recipients`` members, a segment of them and a campaign
   (text with a placeholder and a tracked link, a button), and starts sending (recipients frozen,
   consent and suppressions checked, the job queued) — the real code, timed (``freeze_s``).
2. Starts an aiosmtpd server in this process, then **one** ``tribu worker`` process with
   ``EMAIL_URL`` pointing at it, and measures from the first message received to the last
   (``campaign.msg_per_s``) — each message is personalised (placeholders, signed click and open
   addresses, unsubscribe headers), claimed and marked in the database one by one as the engine
   does. The worker's peak resident memory is its ``VmHWM`` from ``/proc``.
3. Reference, same run, same server: plain ``smtplib`` sending the same messages, already rendered
   (``reference.msg_per_s``): what the SMTP conversation alone costs on this machine.
4. Writes ``bench/results/<date>-campaigns.json`` and appends a line to ``bench/results/campaigns.md``.

Targets: at least 500 messages per second on 2 cores, worker under 256 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import smtplib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TRIBU = str(Path(sys.executable).with_name("tribu"))
DB_NAME = "tribu_bench_campaigns"
TARGET_RATE = 500
TARGET_MB = 256

sys.path.insert(0, str(ROOT))


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=20000)
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()

    import logging

    from aiosmtpd.handlers import Message

    from tests.browser import FreePortController

    logging.getLogger("mail.log").setLevel(logging.WARNING)

    class Count(Message):
        def __init__(self) -> None:
            super().__init__()
            self.n = 0
            self.first = self.last = 0.0
            self.ids: set[str] = set()

        def handle_message(self, message) -> None:
            now = time.monotonic()
            if not self.n:
                self.first = now
            self.n += 1
            self.last = now
            self.ids.add(message["Message-ID"])

    data_dir = Path(tempfile.mkdtemp(prefix="tribu-bench-campaigns-"))
    handler = Count()
    server = FreePortController(handler, hostname="127.0.0.1", port=0)
    server.start()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "TRIBU_TESTING", "TRIBU_TASK_BACKEND", "DEBUG"}
    }
    env.update(
        TRIBU_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="tribu.settings",
        PYTHONUNBUFFERED="1",
        EMAIL_URL=f"smtp://127.0.0.1:{server.port}",
    )
    if args.database == "postgres":
        import psycopg

        with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        env["DATABASE_URL"] = f"{args.server}/{DB_NAME}"
    os.environ.update(
        {k: v for k, v in env.items() if k in {"TRIBU_DATA_DIR", "DATABASE_URL", "EMAIL_URL", "DJANGO_SETTINGS_MODULE"}}
    )
    subprocess.run([TRIBU, "migrate", "-v0", "--skip-checks"], env=env, check=True)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, str(ROOT / "src/tribu/campaigns/tests/crash_populate.py"), str(args.recipients)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seed_and_freeze_s = time.monotonic() - started

    worker = subprocess.Popen(
        [TRIBU, "worker", "--worker-id", "bench", "--interval", "0.2"], env=env, stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 3600
        while handler.n < args.recipients and time.monotonic() < deadline:
            if worker.poll() is not None:
                raise SystemExit(f"the worker stopped (exit {worker.returncode})")
            time.sleep(0.2)
        time.sleep(1)
        peak = peak_rss_mb(worker.pid)
    finally:
        worker.terminate()
        worker.wait(30)
    campaign_rate = (handler.n - 1) / (handler.last - handler.first) if handler.n > 1 else 0.0
    received, unique = handler.n, len(handler.ids)

    # Reference: the same messages, rendered beforehand, through plain smtplib.
    import django

    django.setup()
    from tribu.campaigns import sending
    from tribu.campaigns.models import Campaign, Recipient

    campaign = Campaign.objects.get()
    prepared = sending.prepare(campaign)
    sender, from_header = sending.envelope_sender(), sending.sender_address()
    t0 = time.monotonic()
    messages = []
    for recipient in Recipient.objects.filter(campaign=campaign).select_related("user").iterator(chunk_size=2000):
        subject, text, html, headers = sending.render_for(prepared, recipient)
        messages.append(
            (
                recipient.email,
                sending.build_bytes(
                    from_header=from_header,
                    to=recipient.email,
                    subject=subject,
                    text=text,
                    html=html,
                    msgid=sending.message_id(campaign.pk, recipient.pk),
                    headers=headers,
                ),
            )
        )
    render_s = time.monotonic() - t0
    handler.n = 0
    conn = smtplib.SMTP("127.0.0.1", server.port)
    t0 = time.monotonic()
    for to, data in messages:
        conn.sendmail(sender, [to], data)
    reference_s = time.monotonic() - t0
    conn.quit()
    server.stop()
    reference_rate = len(messages) / reference_s

    result = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
        "database": args.database,
        "recipients": args.recipients,
        "seed_and_freeze_s": round(seed_and_freeze_s, 2),
        "campaign": {
            "received": received,
            "unique_message_ids": unique,
            "msg_per_s": round(campaign_rate, 1),
            "worker_peak_rss_mb": round(peak, 1),
        },
        "reference": {
            "msg_per_s": round(reference_rate, 1),
            "render_s": round(render_s, 2),
            "what": "plain smtplib.sendmail of the same pre-rendered messages, one connection",
        },
        "ratio_campaign_reference": round(campaign_rate / reference_rate, 3) if reference_rate else None,
        "targets": {
            "msg_per_s": TARGET_RATE,
            "worker_mb": TARGET_MB,
            "met": campaign_rate >= TARGET_RATE and peak < TARGET_MB,
        },
    }
    print(json.dumps(result, indent=2))
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d-%H%M")
        (RESULTS / f"{stamp}-campaigns.json").write_text(json.dumps(result, indent=2) + "\n")
        with (RESULTS / "campaigns.md").open("a") as f:
            f.write(
                f"| {result['date']} | {result['commit']} | {args.database} | {args.recipients} | "
                f"{result['campaign']['msg_per_s']} | {result['reference']['msg_per_s']} | "
                f"{result['ratio_campaign_reference']} | {result['campaign']['worker_peak_rss_mb']} | "
                f"{received}/{unique} |\n"
            )
    if args.database == "postgres":
        from django.db import connections

        connections.close_all()
        import psycopg

        with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
