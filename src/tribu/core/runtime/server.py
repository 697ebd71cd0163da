"""The web server (uvicorn, HTTP and WebSocket) and the start-up chores of the embedded mode."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import django
from django.conf import settings
from django.core.management import call_command, get_commands

logger = logging.getLogger("tribu.runtime")

ASGI_APP = "tribu.asgi:application"
STATIC_STAMP = ".tribu-static-stamp"


def uvicorn_options(host: str, port: int, *, workers: int | None = None) -> dict[str, object]:
    return {
        "host": host,
        "port": port,
        "workers": workers,
        "lifespan": "off",  # Channels' router does not speak the lifespan protocol
        "log_level": "info",
        "ws_max_size": 1024 * 1024,
        "timeout_graceful_shutdown": 10,
    }


def uvicorn_config(host: str, port: int):
    import uvicorn

    return uvicorn.Config(ASGI_APP, **uvicorn_options(host, port))  # type: ignore[arg-type]


def display_url(host: str, port: int) -> str:
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, host)  # noqa: S104
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def static_fingerprint() -> str:
    """A digest of every static file the finders see (name, size, mtime) and of Django's version."""
    from django.contrib.staticfiles import finders

    digest = hashlib.sha256(django.get_version().encode())
    entries = []
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            try:
                stat = Path(storage.path(path)).stat()
            except (NotImplementedError, OSError):
                continue
            entries.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    for entry in sorted(entries):
        digest.update(entry.encode())
    return digest.hexdigest()


def collectstatic_if_needed(verbosity: int = 0) -> bool:
    """Run ``collectstatic`` when the static sources changed since the last run (or never ran)."""
    root = Path(settings.STATIC_ROOT)
    stamp = root / STATIC_STAMP
    fingerprint = static_fingerprint()
    manifest_needed = "Manifest" in settings.STORAGES["staticfiles"]["BACKEND"]
    up_to_date = stamp.exists() and stamp.read_text() == fingerprint
    if up_to_date and (not manifest_needed or (root / "staticfiles.json").exists()):
        return False
    call_command("collectstatic", interactive=False, verbosity=verbosity)
    root.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint)
    return True


def load_demo_if_first_run(verbosity: int = 0) -> bool:
    """Load the demo community the first time (no account yet), when the ``demo`` command exists."""
    from django.contrib.auth import get_user_model

    if "demo" not in get_commands():
        return False
    if get_user_model().objects.exists():
        return False
    call_command("demo", verbosity=verbosity)
    return True
