"""What each app knows about a member, for the "download my data" archive and for erasure.

Apps register their part once (in their ``AppConfig.ready``)::

    from tribu.privacy.registry import register_exporter, register_eraser, register_files

    register_exporter("events", lambda user: {"registrations": [...]})  # JSON-serialisable
    register_files("events", lambda user: [("tickets/1.pdf", field_file)])
    register_eraser("events", lambda user: Registration.objects.filter(user=user).delete())

An exporter returns what the member gave or generated (never other members' personal data). An
eraser deletes or detaches personal data; it runs inside the erasure's transaction, before the
member row itself is anonymised (so it still sees the old email address). The parts for the apps
that exist today (accounts, memberships, companies, core, api, allauth) live in ``builtins.py``.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

Exporter = Callable[[Any], Any]
FileCollector = Callable[[Any], list[tuple[str, Any]]]
Eraser = Callable[[Any], None]

EXPORTERS: dict[str, Exporter] = {}
FILE_COLLECTORS: dict[str, FileCollector] = {}
ERASERS: dict[str, Eraser] = {}


def register_exporter(name: str, fn: Exporter) -> None:
    EXPORTERS[name] = fn


def register_files(name: str, fn: FileCollector) -> None:
    FILE_COLLECTORS[name] = fn


def register_eraser(name: str, fn: Eraser) -> None:
    ERASERS[name] = fn


def export_data(user: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"generated_at": timezone.now(), "member_id": user.pk}
    for name, fn in EXPORTERS.items():
        data[name] = fn(user)
    return data


def collect_files(user: Any) -> list[tuple[str, Any]]:
    files = []
    for name, fn in FILE_COLLECTORS.items():
        files += [(f"files/{name}/{path}", f) for path, f in fn(user)]
    return files


def build_archive(user: Any) -> bytes:
    """A zip holding ``data.json`` (every registered part) and the member's uploaded files."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        payload = json.dumps(export_data(user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        archive.writestr("data.json", payload)
        for path, field_file in collect_files(user):
            try:
                with field_file.open("rb") as handle:
                    archive.writestr(path, handle.read())
            except (FileNotFoundError, OSError, ValueError):
                continue  # a file referenced but missing from the storage: nothing to give back
    return out.getvalue()
