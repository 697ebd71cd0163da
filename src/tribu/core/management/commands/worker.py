"""``tribu worker``: one task worker. Run as many as needed: on PostgreSQL each job is claimed by
exactly one worker (SELECT … FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.tasks import task_backends
from django.utils.translation import gettext as _
from django_tasks_db.backend import DatabaseBackend


class Command(BaseCommand):
    help = "Run a background task worker (with heartbeat, crash recovery and retries)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queues", default="*", help="Comma-separated queue names to process (default: all queues)."
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds to wait when the queue is empty (default 1)."
        )
        parser.add_argument(
            "--worker-id", default=None, help="Unique id of this worker (default: generated)."
        )
        parser.add_argument("--batch", action="store_true", help="Run the jobs that are ready, then exit.")
        parser.add_argument("--max-tasks", type=int, default=None, help="Exit after this many jobs.")

    def handle(self, *args: Any, **options: Any) -> None:
        from tribu.core.runtime.worker import TribuWorker

        backend = task_backends["default"]
        if not isinstance(backend, DatabaseBackend):
            raise CommandError(
                _("The task backend is %(backend)s: jobs run where they are queued, no worker is needed.")
                % {"backend": type(backend).__name__}
            )
        worker_id = options["worker_id"]
        if worker_id is not None and not 0 < len(worker_id) <= 64:
            raise CommandError(_("--worker-id must have 1 to 64 characters."))
        if options["interval"] < 0:
            raise CommandError(_("--interval must not be negative."))
        for name in ("django_tasks_db", "django.tasks", "tribu.runtime"):
            log = logging.getLogger(name)
            log.setLevel(logging.INFO if options["verbosity"] else logging.WARNING)
        worker = TribuWorker(
            worker_id=worker_id,
            queue_names=[q.strip() for q in options["queues"].split(",") if q.strip()],
            interval=options["interval"],
            batch=options["batch"],
            max_tasks=options["max_tasks"],
        )
        self.stdout.write(_("Task worker %(id)s started.") % {"id": worker.worker_id})
        self.stdout.flush()
        worker.configure_signals()
        try:
            worker.run()
        finally:
            worker.reset_signals()
