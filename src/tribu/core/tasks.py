"""Background tasks of the core app. Tasks take plain data (ids, strings), are idempotent where
they change state, and are run by the worker (``tribu worker`` or inside ``tribu serve``)."""

from __future__ import annotations

from django.tasks import task

from .emails import deliver


@task(queue_name="default")
def send_email(to: list[str], subject: str, text: str, html: str = "", headers: dict | None = None) -> int:
    return deliver(to, subject, text, html, headers)
