"""The task worker: django_tasks_db's ``Worker`` (SKIP LOCKED claim on PostgreSQL, exclusive
transaction on SQLite) plus a heartbeat, crash recovery and retries with back-off."""

from __future__ import annotations

import logging
import threading

from django.db import connection
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from . import recovery
from .heartbeat import Heartbeat, new_worker_id

logger = logging.getLogger("tribu.runtime")


def sweep_quietly() -> None:
    try:
        recovery.sweep()
    except Exception:
        logger.exception("Recovery sweep failed")


class TribuWorker(Worker):
    def __init__(
        self,
        *,
        worker_id: str | None = None,
        queue_names: list[str] | None = None,
        interval: float = 1.0,
        batch: bool = False,
        max_tasks: int | None = None,
        backend_name: str = DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay: bool = True,
    ) -> None:
        super().__init__(
            queue_names=queue_names or ["*"],
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id or new_worker_id("worker"),
            excluded_queue_names=[],
        )
        self.heartbeat = Heartbeat(self.worker_id, "worker", also=sweep_quietly)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        super().run_task(db_task_result)
        if db_task_result.status == TaskResultStatus.FAILED:
            try:
                recovery.schedule_retry(db_task_result)
            except Exception:
                logger.exception("Could not queue job %s again", db_task_result.pk)

    def run(self) -> None:
        self.heartbeat.start()
        sweep_quietly()
        try:
            super().run()
        finally:
            self.heartbeat.stop()
            connection.close()

    def stop(self) -> None:
        """Ask the loop to finish the current job and stop (from another thread)."""
        self.running = False


class WorkerThread(threading.Thread):
    """The worker inside ``tribu serve``."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(name="tribu-worker", daemon=True)
        self.worker = TribuWorker(startup_delay=False, **kwargs)  # type: ignore[arg-type]

    def run(self) -> None:
        try:
            self.worker.run()
        except Exception:
            logger.exception("The task worker stopped")

    def stop(self, timeout: float = 10.0) -> None:
        self.worker.stop()
        self.join(timeout)
        if self.is_alive():
            # The job is still running and the process is about to exit: hand it back to the queue now
            # rather than waiting for another worker to notice the missing heartbeat.
            self.worker.heartbeat.stop()
            DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).filter(
                pk__in=[
                    r.pk
                    for r in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).only("worker_ids")
                    if r.worker_ids and r.worker_ids[-1] == self.worker.worker_id
                ]
            ).update(status=TaskResultStatus.READY)
