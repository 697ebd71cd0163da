"""The embedded mode as a newcomer runs it: `tribu serve` on a fresh data folder, no other server.

Also: a worker killed in the middle of a job loses nothing — the job runs again after a restart.
These tests start real processes (marked ``slow``)."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from django.tasks import task

pytestmark = pytest.mark.slow

TRIBU = str(Path(sys.executable).with_name("tribu"))
HERE = Path(__file__).resolve().parent


@task()
def sleepy(folder: str, seconds: float) -> str:
    """Writes a line when it starts; sleeps on its first attempt only (long enough to be killed)."""
    marks = Path(folder)
    started = marks / "started"
    with started.open("a") as f:
        f.write(f"{os.getpid()}\n")
    if len(started.read_text().splitlines()) == 1:
        time.sleep(seconds)
    (marks / "done").write_text(str(os.getpid()))
    return "done"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a newcomer: no test settings, no PostgreSQL, no Redis."""
    dropped = {"DATABASE_URL", "REDIS_URL", "TRIBU_TESTING", "TRIBU_TASK_BACKEND", "DJANGO_SETTINGS_MODULE", "DEBUG"}
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("PYTEST")}
    env.update(TRIBU_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **extra)
    return env


def wait_for(condition: Callable[[], object], timeout: float, what: str, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process stopped (exit {proc.returncode}) while waiting for {what}")
        try:
            value = condition()
        except (httpx.HTTPError, OSError, sqlite3.Error):
            value = None
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def query(data_dir: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(data_dir / "tribu.sqlite3", timeout=10) as db:
        return db.execute(sql).fetchall()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen]]:
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [TRIBU, "serve", "--port", str(port)],
        env=clean_env(tmp_path / "data"),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: httpx.get(url + "/healthz", timeout=2).status_code, 180, "the server", proc)
        yield url, tmp_path / "data", proc
    finally:
        stop(proc)
        log.close()
        if proc.returncode not in (0, None):
            print((tmp_path / "serve.log").read_text()[-5000:])


def test_tribu_serve_runs_the_site_its_worker_and_its_scheduler(served):
    url, data_dir, proc = served
    [(community_name,)] = query(data_dir, "SELECT name FROM core_community WHERE id = 1")

    home = httpx.get(url + "/", timeout=10)
    assert home.status_code == 200
    assert community_name in home.text

    # The worker's heartbeat makes the site healthy.
    wait_for(lambda: httpx.get(url + "/healthz", timeout=5).status_code == 200, 30, "/healthz 200", proc)

    # Signing up queues the verification email; the worker writes it to the outbox.
    with httpx.Client(base_url=url, timeout=20) as browser:
        form = browser.get("/accounts/signup/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        answer = browser.post(
            "/accounts/signup/",
            data={
                "csrfmiddlewaretoken": token,
                "email": "newcomer@example.org",
                "password1": "a long enough passphrase",
                "password2": "a long enough passphrase",
                "display_name": "Newcomer",
                "accept_charter": "on",
            },
            headers={"Referer": url + "/accounts/signup/"},
        )
        assert answer.status_code in (200, 302)
    outbox = data_dir / "outbox"
    mail = wait_for(
        lambda: [p for p in outbox.glob("*.eml") if "newcomer@example.org" in p.read_text(errors="replace")],
        30,
        "the verification email in the outbox",
        proc,
    )
    assert mail

    # The scheduler has registered and run the recovery sweep.
    wait_for(
        lambda: query(data_dir, "SELECT 1 FROM core_scheduledjob WHERE name = 'core.recover_tasks'"),
        30,
        "the scheduled recovery job",
        proc,
    )

    # Ctrl-C / SIGTERM stops everything cleanly.
    assert stop(proc, signal.SIGTERM) == 0
    assert query(data_dir, "SELECT count(*) FROM core_workerheartbeat") == [(0,)]


def test_a_worker_killed_in_the_middle_of_a_job_loses_nothing(tmp_path: Path):
    data_dir, marks = tmp_path / "data", tmp_path / "marks"
    marks.mkdir()
    env = clean_env(data_dir, PYTHONPATH=str(HERE), TRIBU_WORKER_STALE_SECONDS="3", TRIBU_WORKER_HEARTBEAT_SECONDS="1")
    subprocess.run([TRIBU, "migrate", "-v0"], env=env, check=True, timeout=180)
    subprocess.run(
        [TRIBU, "shell", "-c", f"import test_embedded_smoke as t; t.sleepy.enqueue({str(marks)!r}, 120)"],
        env=env,
        check=True,
        timeout=120,
    )

    first = subprocess.Popen([TRIBU, "worker", "--worker-id", "first"], env=env)
    try:
        wait_for(lambda: (marks / "started").exists(), 60, "the job to start", first)
        assert query(data_dir, "SELECT status FROM django_tasks_database_dbtaskresult") == [("RUNNING",)]
        first.kill()  # no clean shutdown: the job is left RUNNING
        first.wait()
    finally:
        stop(first)
    assert not (marks / "done").exists()

    second = subprocess.Popen([TRIBU, "worker", "--worker-id", "second"], env=env)
    try:
        wait_for(lambda: (marks / "done").exists(), 60, "the job to run again and finish", second)
    finally:
        assert stop(second) == 0
    assert len((marks / "started").read_text().splitlines()) == 2
    [(status, worker_ids)] = query(data_dir, "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult")
    assert status == "SUCCESSFUL"
    assert worker_ids == '["first", "second"]'
