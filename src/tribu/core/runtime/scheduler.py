"""The scheduler: every tick, enqueue each due periodic job exactly once.

State lives in the database (``ScheduledJob``), so a restart, or two schedulers running by mistake,
never enqueue the same run twice: a run is claimed with a conditional UPDATE (the row's
``next_run_at`` must still be the value this scheduler read) in the same transaction that enqueues
``run_periodic_job(name)``."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from .heartbeat import Heartbeat, new_worker_id

logger = logging.getLogger("tribu.runtime")


def load_jobs() -> None:
    """Import ``tribu.<app>.jobs`` for every installed Tribu app (registering their ``@periodic`` jobs)."""
    import_module("tribu.core.runtime.jobs")
    for app_config in apps.get_app_configs():
        if app_config.name.startswith("tribu.") and module_has_submodule(app_config.module, "jobs"):
            import_module(f"{app_config.name}.jobs")


def tick(now: datetime | None = None) -> list[str]:
    """Enqueue the due jobs; returns the names enqueued by this call."""
    from tribu.core.models import ScheduledJob
    from tribu.core.schedule import JOBS

    from .tasks import run_periodic_job

    load_jobs()
    now = now or timezone.now()
    names = list(JOBS)
    known = set(ScheduledJob.objects.filter(name__in=names).values_list("name", flat=True))
    missing = [ScheduledJob(name=name, next_run_at=now) for name in names if name not in known]
    if missing:
        ScheduledJob.objects.bulk_create(missing, ignore_conflicts=True)

    enqueued = []
    for row in ScheduledJob.objects.filter(name__in=names, next_run_at__lte=now).order_by("next_run_at"):
        job = JOBS[row.name]
        next_run_at = row.next_run_at + job.every
        if next_run_at <= now:  # the scheduler was down: run once now, no catch-up storm
            next_run_at = now + job.every
        with transaction.atomic():
            claimed = ScheduledJob.objects.filter(pk=row.pk, next_run_at=row.next_run_at).update(
                next_run_at=next_run_at, last_run_at=now
            )
            if not claimed:
                continue  # another scheduler took this run
            result = run_periodic_job.enqueue(job.name)
            ScheduledJob.objects.filter(pk=row.pk).update(last_task_id=str(result.id)[:64])
        enqueued.append(job.name)
    if enqueued:
        logger.info("Scheduled: %s", ", ".join(enqueued))
    return enqueued


class Scheduler:
    def __init__(self, *, tick_seconds: float | None = None) -> None:
        self.tick_seconds = float(
            tick_seconds if tick_seconds is not None else getattr(settings, "TRIBU_SCHEDULER_TICK_SECONDS", 5)
        )
        self.scheduler_id = new_worker_id("scheduler")
        self.heartbeat = Heartbeat(self.scheduler_id, "scheduler")
        self._stop_event = threading.Event()

    def run(self) -> None:
        logger.info("Starting scheduler %s (tick %ss)", self.scheduler_id, self.tick_seconds)
        self.heartbeat.start()
        try:
            while not self._stop_event.is_set():
                close_old_connections()
                try:
                    tick()
                except Exception:
                    logger.exception("Scheduler tick failed; trying again at the next tick")
                self._stop_event.wait(self.tick_seconds)
        finally:
            self.heartbeat.stop()
            connection.close()

    def stop(self) -> None:
        self._stop_event.set()


class SchedulerThread(threading.Thread):
    """The scheduler inside ``tribu serve``."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(name="tribu-scheduler", daemon=True)
        self.scheduler = Scheduler(**kwargs)  # type: ignore[arg-type]

    def run(self) -> None:
        self.scheduler.run()

    def stop(self, timeout: float = 10.0) -> None:
        self.scheduler.stop()
        self.join(timeout)
