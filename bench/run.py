"""Home page vs a static file, served by the same Tribu process.

    .venv/bin/python bench/run.py [--seconds 10] [--connections 8] [--port 8765] [--no-save]

Starts Tribu the way a small site runs it (uvicorn, one process, SQLite in a fresh temporary
TRIBU_DATA_DIR, DEBUG off) after ``migrate``, ``collectstatic`` and ``demo``; logs in as a demo
member; then drives a load generator in another process (``wrk`` when installed, else a threaded
keep-alive Python client) against the logged-in home page ``/`` and ``/static/tribu/app.css`` in
turn. Also counts the SQL queries of ``/`` for a logged-in member with Django's test client.
Writes ``bench/results/<date>-home-vs-static.json`` and appends a line to ``bench/results/README.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import http.cookiejar
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
VENV_BIN = Path(sys.executable).parent
STATIC_PATH = "/static/tribu/app.css"
TARGET_RATIO = 0.30

WRK_SCRIPT = """
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE") or ""
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors_status": %d, "errors_other": %d, '
    .. '"p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "bytes": %d}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.bytes))
end
"""


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tribu_env(data_dir: Path, settings_module: str = "tribu.settings") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIBU_", "DJANGO_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": settings_module,
            "TRIBU_DATA_DIR": str(data_dir),
            "DEBUG": "false",
            "TRIBU_LOG_LEVEL": "WARNING",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]),
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> float:
    started = time.monotonic()
    subprocess.run([str(VENV_BIN / "tribu"), *args], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


# --- Logging in as a demo member ----------------------------------------------------------------


def log_in(base: str, email: str, password: str) -> str:
    """Log in through the real login form; return the Cookie header of the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if token is None:
        raise SystemExit("no CSRF token on the login page")
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "login": email, "password": password}
    ).encode()
    request = urllib.request.Request(f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/"})
    home = opener.open(request).read().decode()
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise SystemExit("logging in as the demo member failed (no session cookie)")
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if 'class="avatar"' not in home:
        raise SystemExit("the home page after login is not the member's home page")
    return cookie


def check_home(base: str, cookie: str) -> int:
    request = urllib.request.Request(f"{base}/", headers={"Cookie": cookie})
    with urllib.request.urlopen(request) as response:
        body = response.read()
        if response.status != 200 or b'class="avatar"' not in body:
            raise SystemExit("GET / with the session cookie is not the logged-in home page")
        return len(body)


# --- Load generators ----------------------------------------------------------------------------


def run_wrk(url: str, cookie: str, seconds: int, connections: int, threads: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(WRK_SCRIPT)
        script = fh.name
    try:
        out = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                script,
                url,
            ],
            env={**os.environ, "BENCH_COOKIE": cookie},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(script)
    stats = json.loads(out.strip().splitlines()[-1])
    seconds_run = stats["duration_us"] / 1e6
    return {
        "requests": stats["requests"],
        "rps": round(stats["requests"] / seconds_run, 1),
        "p50_ms": round(stats["p50_ms"], 2),
        "p95_ms": round(stats["p95_ms"], 2),
        "p99_ms": round(stats["p99_ms"], 2),
        "errors": stats["errors_status"] + stats["errors_other"],
        "bytes_per_response": round(stats["bytes"] / max(stats["requests"], 1)),
    }


def python_client(host: str, port: int, path: str, cookie: str, seconds: int, connections: int) -> None:
    """Child-process entry point: threads with keep-alive connections; prints one JSON line."""
    deadline = time.monotonic() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": cookie})
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    errors[index] += 1
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=10)
                continue
            latencies[index].append(time.perf_counter() - started)

    started = time.monotonic()
    workers = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    elapsed = time.monotonic() - started
    flat = sorted(x for per in latencies for x in per)
    q = statistics.quantiles(flat, n=100) if len(flat) > 1 else [0.0] * 99
    print(
        json.dumps(
            {
                "requests": len(flat),
                "rps": round(len(flat) / elapsed, 1),
                "p50_ms": round(q[49] * 1000, 2),
                "p95_ms": round(q[94] * 1000, 2),
                "p99_ms": round(q[98] * 1000, 2),
                "errors": sum(errors),
            }
        )
    )


def run_python_client(port: int, path: str, cookie: str, seconds: int, connections: int) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            *("--client", f"127.0.0.1:{port}{path}"),
            *("--seconds", str(seconds), "--connections", str(connections)),
        ],
        env={**os.environ, "BENCH_COOKIE": cookie},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


# --- Counting queries ---------------------------------------------------------------------------


def count_queries_child(email: str) -> None:
    """Child-process entry point (Django set up on the bench's data dir): queries of GET /."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tribu.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=email))
    client.get("/")  # warm caches (community row, content types), as on a running server
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/")
    assert response.status_code == 200, response.status_code
    print(json.dumps({"count": len(ctx.captured_queries), "sql": [q["sql"] for q in ctx.captured_queries]}))


def count_queries(env: dict[str, str], email: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--count-queries", email],
        env={**env, "ALLOWED_HOSTS": "testserver,127.0.0.1"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


# --- Main ---------------------------------------------------------------------------------------


def wait_until_up(base: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with status {proc.returncode}")
        # Any answer will do: /healthz says 503 when no task worker runs, which is the case here.
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not answer /healthz in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="duration of each measurement")
    parser.add_argument("--connections", type=int, default=8, help="concurrent keep-alive connections")
    parser.add_argument("--port", type=int, default=0, help="port for the server (default: a free one)")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--count-queries", help=argparse.SUPPRESS)
    parser.add_argument("--python-client", action="store_true", help="use the Python client even if wrk exists")
    parser.add_argument(
        "--settings",
        default="tribu.settings",
        help="settings module, to try a change (put its folder on PYTHONPATH; implies --no-save)",
    )
    parser.add_argument("--no-save", action="store_true", help="print the results without writing files")
    args = parser.parse_args()

    if args.client:
        hostport, _, path = args.client.partition("/")
        host, _, port = hostport.partition(":")
        python_client(host, int(port), "/" + path, os.environ.get("BENCH_COOKIE", ""), args.seconds, args.connections)
        return
    if args.count_queries:
        count_queries_child(args.count_queries)
        return

    sys.path.insert(0, str(ROOT / "src"))
    from tribu.core.demo import DEMO_LOGINS, DEMO_PASSWORD

    member = DEMO_LOGINS["member"]
    data_dir = Path(tempfile.mkdtemp(prefix="tribu-bench-"))
    env = tribu_env(data_dir, args.settings)
    if args.settings != "tribu.settings":
        args.no_save = True
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    use_wrk = shutil.which("wrk") is not None and not args.python_client
    server = None
    server_log = (data_dir / "server.log").open("w")
    try:
        log(f"data dir {data_dir}")
        setup = {
            "migrate_s": round(manage(env, "migrate", "--no-input", "-v0"), 2),
            "collectstatic_s": round(manage(env, "collectstatic", "--no-input", "-v0"), 2),
            "demo_s": round(manage(env, "demo"), 2),
        }
        log(f"set up: {setup}")
        server = subprocess.Popen(
            [
                *(str(VENV_BIN / "python"), "-m", "uvicorn", "tribu.asgi:application"),
                *("--host", "127.0.0.1", "--port", str(port), "--workers", "1"),
                *("--no-access-log", "--log-level", "warning"),
            ],
            env=env,
            cwd=data_dir,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
        wait_until_up(base, server)
        cookie = log_in(base, member, DEMO_PASSWORD)
        home_bytes = check_home(base, cookie)
        log(f"logged in as {member}; home page is {home_bytes} bytes")

        def measure(path: str) -> dict:
            # A short warm-up, then the measured run.
            if use_wrk:
                run_wrk(base + path, cookie, 2, args.connections, 1)
                return run_wrk(base + path, cookie, args.seconds, args.connections, 1)
            run_python_client(port, path, cookie, 2, args.connections)
            return run_python_client(port, path, cookie, args.seconds, args.connections)

        log(f"measuring / for {args.seconds}s with {'wrk' if use_wrk else 'the Python client'}…")
        home = measure("/")
        log(f"measuring {STATIC_PATH} for {args.seconds}s…")
        static = measure(STATIC_PATH)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        server_log.close()
    server_errors = (data_dir / "server.log").read_text().count("Traceback")
    queries = count_queries(env, member)
    shutil.rmtree(data_dir, ignore_errors=True)

    ratio = round(home["rps"] / static["rps"], 3) if static["rps"] else 0.0
    now = dt.datetime.now().astimezone()
    result = {
        "name": "home-vs-static",
        "date": now.isoformat(timespec="seconds"),
        "git_commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": args.settings,
        "server": "uvicorn tribu.asgi:application, 1 process, SQLite (WAL), DEBUG off, demo data (200 members)",
        "load_generator": "wrk -t1" if use_wrk else "python http.client threads",
        "connections": args.connections,
        "seconds": args.seconds,
        "setup": setup,
        "home": {**home, "path": "/", "logged_in_as": member, "html_bytes": home_bytes},
        "static": {**static, "path": STATIC_PATH},
        "ratio_home_static_rps": ratio,
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
        "server_tracebacks": server_errors,
        "home_sql_queries": queries["count"],
        "home_sql": queries["sql"],
    }

    print()
    print(f"{'':<26}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'errors':>8}")
    for label, row in [("/ (logged in)", home), (STATIC_PATH, static)]:
        print(f"{label:<26}{row['rps']:>10}{row['p50_ms']:>10}{row['p95_ms']:>10}{row['errors']:>8}")
    verdict = "meets" if result["meets_target"] else "MISSES"
    print(f"home/static = {ratio:.0%} ({verdict} the {TARGET_RATIO:.0%} target); SQL queries on /: {queries['count']}")

    if args.no_save:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{now:%Y-%m-%d}-home-vs-static.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    index = RESULTS / "README.md"
    if not index.exists():
        index.write_text(
            "# Benchmark results\n\nOne line per run of `bench/run.py` (newest last).\n\n"
            "| date | commit | cpus | client | home req/s | home p50/p95 ms | static req/s "
            "| static p50/p95 ms | home/static | SQL on / | file |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        )
    with index.open("a") as fh:
        fh.write(
            f"| {now:%Y-%m-%d %H:%M} | {result['git_commit']} | {os.cpu_count()} | {result['load_generator']} "
            f"| {home['rps']} | {home['p50_ms']} / {home['p95_ms']} | {static['rps']} "
            f"| {static['p50_ms']} / {static['p95_ms']} | {ratio:.0%} | {queries['count']} | {path.name} |\n"
        )
    log(f"wrote {path.relative_to(ROOT)} and appended to {index.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
