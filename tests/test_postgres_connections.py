"""On PostgreSQL, `tribu web` (ASGI) keeps a bounded number of database connections however many
requests arrive at once: each web process draws from its own pool (psycopg_pool). Django's persistent
connections, used before, are per request under ASGI: they piled up until PostgreSQL refused new
clients ("too many clients") and pages answered 500."""

from __future__ import annotations

import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from .test_embedded_smoke import TRIBU, clean_env, stop, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

POOL_MAX = 4
APP_NAME = "tribu-web-under-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_connections() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APP_NAME])
        return cursor.fetchone()[0]


def test_a_burst_of_requests_draws_on_a_bounded_pool_of_connections(tmp_path: Path) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: the embedded SQLite mode has no connections to count")
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    database_url = (f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
                    f"?application_name={APP_NAME}")
    port = _free_port()
    log = (tmp_path / "web.log").open("w")
    proc = subprocess.Popen(
        [TRIBU, "web", "--workers", "1", "--port", str(port)],
        env=clean_env(tmp_path / "data", DATABASE_URL=database_url, TRIBU_DB_POOL_MAX=str(POOL_MAX)),
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        wait_for(lambda: httpx.get(url, timeout=2).status_code, 120, "the web server", proc)

        def check(_: int) -> tuple[int, bool]:
            response = httpx.get(url, timeout=30)
            return response.status_code, response.json()["checks"]["database"]["ok"]

        with ThreadPoolExecutor(24) as pool:
            answers = list(pool.map(check, range(240)))
        # Without a worker running the site says "degraded" (503); the database must answer every time.
        assert all(database_ok for _status, database_ok in answers), answers
        assert {status for status, _ok in answers} <= {200, 503}
        assert 1 <= _server_connections() <= POOL_MAX
    finally:
        stop(proc)
        log.close()
    assert "Traceback" not in (tmp_path / "web.log").read_text()
