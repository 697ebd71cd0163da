"""What the benchmark scripts share: timing a call, summarising samples, administering the
PostgreSQL server, and running work on threads that start together. The scripts run as
``python bench/<name>.py``, so this module is imported as ``_common``."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from typing import Any


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100)[p - 1] if len(values) > 1 else values[0]


def summary(samples: list[float]) -> dict[str, float]:
    """p50, p95 and mean in milliseconds of samples taken in seconds."""
    ms = [s * 1000 for s in samples]
    return {"p50_ms": round(percentile(ms, 50), 3), "p95_ms": round(percentile(ms, 95), 3),
            "mean_ms": round(statistics.fmean(ms), 3), "runs": len(ms)}


def timed(func: Callable[[], Any], runs: int, warmup: int = 5) -> dict[str, float]:
    for _ in range(warmup):
        func()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        samples.append(time.perf_counter() - started)
    return summary(samples)


def admin_sql(server: str, sql: str) -> None:
    """Run ``sql`` (CREATE/DROP DATABASE…) on the server's ``postgres`` database, outside a transaction."""
    import psycopg

    with psycopg.connect(f"{server.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def run_threads(threads: int, work: list, call: Callable[[Any], Any]) -> float:
    """Split ``work`` between ``threads`` threads started together; the wall time of the whole."""
    from django.db import connections

    barrier = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def worker(items: list) -> None:
        try:
            barrier.wait()
            for item in items:
                call(item)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    chunks = [work[i::threads] for i in range(threads)]
    pool = [threading.Thread(target=worker, args=(chunk,)) for chunk in chunks]
    for t in pool:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} errors, first: {errors[0]!r}")
    return elapsed


def git_commit(root: Any) -> str:
    """The short commit the benchmark ran on (printed with every result)."""
    import subprocess

    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                          text=True).stdout.strip()


def run_facts(root: Any) -> dict[str, Any]:
    """What every saved result starts with: when, on which commit, on what machine, under what load."""
    import datetime as dt
    import os
    import platform

    return {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "commit": git_commit(root),
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "load_average_after": os.getloadavg() if hasattr(os, "getloadavg") else None}
