"""Install django-spirit, the peer forum of the feed benchmark, outside the repository.

    python3 bench/peers/spirit_setup.py [--server postgres://postgres@127.0.0.1:5432] [--db spirit_bench]

Idempotent. What it does (nothing of Spirit's source is kept in the repository):

1. A virtualenv in ``var/peers/spirit/venv`` (``var/`` is git-ignored) with a Python Spirit supports
   (3.13, through pyenv when it is there), and from PyPI: ``django-spirit`` (pinned below), the newest
   Django it allows (``<6``), ``psycopg[binary]``, and two servers: ``uvicorn`` (the server Tribu runs
   on, for "same server type") and ``gunicorn`` (Spirit's own deployment: sync WSGI workers).
2. ``spirit startproject benchforum`` into ``var/peers/spirit/project``, plus a settings module
   ``benchforum/settings/bench.py`` that starts from Spirit's shipped ``prod`` settings (DEBUG off,
   caching as shipped: Django's database cache, manifest static files) and changes only what a host
   must: the PostgreSQL database, the allowed hosts, the site URL, French, quieter logging (the bench
   requests pages only, no static files).
   An ``asgi.py`` (Django's stock ``get_asgi_application``) is added so uvicorn can serve it.
3. ``migrate`` and ``createcachetable`` on the database (created when missing), ``collectstatic``.

The data is loaded by ``bench/feed.py`` (the same rows as Tribu's seed), not here.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / "var" / "peers" / "spirit"
VENV = HOME / "venv"
PROJECT = HOME / "project"
PACKAGES = ["django-spirit==0.14.3", "Django>=5.2,<6", "psycopg[binary]>=3.2", "uvicorn>=0.34", "gunicorn>=23"]

SETTINGS = '''"""Spirit's shipped production settings, with only what a host must set (written by bench/peers)."""

import os

from .prod import *  # noqa: F403

DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("SPIRIT_DB", "{db}"),
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": "5432",
    }}
}}
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ST_SITE_URL = "http://127.0.0.1/"
SECRET_KEY = "bench-only-not-secret"
LANGUAGE_CODE = "fr"
# The shipped logging mails admins and writes a file: keep errors on the console only.
LOGGING = {{
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {{"console": {{"class": "logging.StreamHandler"}}}},
    "root": {{"handlers": ["console"], "level": "WARNING"}},
}}
'''

ASGI = '''import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchforum.settings.bench")
application = get_asgi_application()
'''


def log(message: str) -> None:
    print(f"[spirit] {message}", flush=True)


def python_for_venv() -> str:
    for name in ("python3.13", "python3.12"):
        pyenv = shutil.which("pyenv")
        if pyenv:
            found = subprocess.run([pyenv, "which", name], capture_output=True, text=True)
            if found.returncode == 0 and found.stdout.strip():
                return found.stdout.strip()
        if shutil.which(name):
            return shutil.which(name)  # type: ignore[return-value]
    return sys.executable


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([str(VENV / "bin" / "python"), "manage.py", *args], cwd=PROJECT, env=env, check=True)


def spirit_env(db: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TRIBU_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "benchforum.settings.bench", "SPIRIT_DB": db, "PYTHONWARNINGS": "ignore"})
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--db", default="spirit_bench")
    parser.add_argument("--no-migrate", action="store_true", help="install only")
    args = parser.parse_args()

    HOME.mkdir(parents=True, exist_ok=True)
    stamp = VENV / ".bench-packages"
    if not stamp.exists() or stamp.read_text() != "\n".join(PACKAGES):
        if not (VENV / "bin" / "python").exists():
            python = python_for_venv()
            log(f"creating {VENV.relative_to(ROOT)} with {python}")
            subprocess.run([python, "-m", "venv", str(VENV)], check=True)
        log(f"installing {' '.join(PACKAGES)}")
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "--upgrade", "pip"], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", *PACKAGES], check=True)
        stamp.write_text("\n".join(PACKAGES))
    if not (PROJECT / "manage.py").exists():
        PROJECT.mkdir(parents=True, exist_ok=True)
        log("spirit startproject benchforum")
        subprocess.run([str(VENV / "bin" / "spirit"), "startproject", "benchforum", "--path", str(PROJECT)],
                       check=True, env={**os.environ, "PATH": f"{VENV / 'bin'}:{os.environ['PATH']}"})
    (PROJECT / "benchforum" / "settings" / "bench.py").write_text(SETTINGS.format(db=args.db))
    (PROJECT / "benchforum" / "asgi.py").write_text(ASGI)
    if args.no_migrate:
        return
    import psycopg

    with psycopg.connect(f"{args.server.rstrip('/')}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [args.db]).fetchone():
            conn.execute(f'CREATE DATABASE "{args.db}"')
    env = spirit_env(args.db)
    log(f"migrate, createcachetable, collectstatic on {args.db}")
    manage("migrate", "--no-input", "-v0", env=env)
    manage("createcachetable", env=env)
    manage("collectstatic", "--no-input", "-v0", env=env)
    log("ready")


if __name__ == "__main__":
    main()
