"""Crash recovery and retries for the database task queue.

Both only ever change a row with a conditional UPDATE (``WHERE status = <seen> AND <timestamp> =
<seen>``), so several workers sweeping at once never act twice on the same job.

- A job in RUNNING state whose worker has no fresh heartbeat was lost with its worker: it goes back
  to READY (or to FAILED once it has used all its attempts, so a job that kills its worker cannot
  loop for ever).
- A FAILED job is queued again (READY, ``run_after`` = now + exponential back-off) until it has
  been attempted ``TRIBU_TASK_MAX_ATTEMPTS`` times. Attempts are counted from ``worker_ids``:
  django_tasks_db appends the worker's id each time a worker claims the job.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger("tribu.runtime")

WORKER_LOST = "tribu.core.runtime.recovery.WorkerLost"
# Failed jobs older than this are left alone by the sweep (the worker retries as soon as a job fails;
# the sweep only catches a worker that died between "failed" and "queued again").
RETRY_SWEEP_WINDOW = timedelta(days=1)


class WorkerLost(Exception):
    """The worker running this job stopped beating (killed, crashed, host lost)."""


def attempts(result: DBTaskResult) -> int:
    return len(result.worker_ids or [])


def max_attempts() -> int:
    return max(1, int(settings.TRIBU_TASK_MAX_ATTEMPTS))


def backoff(attempt: int) -> timedelta:
    """Delay before attempt ``attempt + 1``: base × 2^(attempt-1), capped."""
    base = float(getattr(settings, "TRIBU_TASK_RETRY_BASE_SECONDS", 10))
    cap = float(getattr(settings, "TRIBU_TASK_RETRY_MAX_SECONDS", 3600))
    return timedelta(seconds=min(cap, base * (2 ** max(0, attempt - 1))))


def live_worker_ids(now: datetime | None = None) -> set[str]:
    from tribu.core.models import WorkerHeartbeat

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.TRIBU_WORKER_STALE_SECONDS)
    return set(WorkerHeartbeat.objects.filter(last_seen__gte=cutoff).values_list("worker_id", flat=True))


def requeue_orphaned_tasks(now: datetime | None = None) -> int:
    """Put back the jobs whose worker is dead. Returns how many jobs were changed."""
    now = now or timezone.now()
    alive = live_worker_ids(now)
    changed = 0
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).only(
        "id", "worker_ids", "started_at", "task_path"
    )
    for result in running:
        owner = result.worker_ids[-1] if result.worker_ids else None
        if owner in alive:
            continue
        same_run = DBTaskResult.objects.filter(
            pk=result.pk, status=TaskResultStatus.RUNNING, started_at=result.started_at
        )
        if attempts(result) >= max_attempts():
            done = same_run.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=WORKER_LOST,
                traceback=f"{WORKER_LOST}: worker {owner} stopped while running this job "
                f"({attempts(result)} attempts, no more retries)\n",
            )
            if done:
                logger.warning(
                    "Job %s (%s) lost its worker %s; giving up", result.pk, result.task_path, owner
                )
        else:
            done = same_run.update(status=TaskResultStatus.READY)
            if done:
                logger.warning(
                    "Job %s (%s) lost its worker %s; queued again", result.pk, result.task_path, owner
                )
        changed += done
    return changed


def schedule_retry(result: DBTaskResult, now: datetime | None = None) -> bool:
    """Queue a failed job again after its back-off, unless it used all its attempts."""
    now = now or timezone.now()
    tried = attempts(result)
    if tried >= max_attempts() or result.exception_class_path == WORKER_LOST:
        return False
    done = DBTaskResult.objects.filter(
        pk=result.pk, status=TaskResultStatus.FAILED, finished_at=result.finished_at
    ).update(status=TaskResultStatus.READY, run_after=now + backoff(tried), finished_at=None)
    if done:
        logger.info(
            "Job %s (%s) failed (attempt %d); retrying in %s",
            result.pk,
            result.task_path,
            tried,
            backoff(tried),
        )
    return bool(done)


def retry_failed_tasks(now: datetime | None = None) -> int:
    """Safety net for jobs that failed but were not queued again (their worker died in between)."""
    now = now or timezone.now()
    failed = DBTaskResult.objects.filter(
        status=TaskResultStatus.FAILED, finished_at__gte=now - RETRY_SWEEP_WINDOW
    ).only("id", "worker_ids", "finished_at", "exception_class_path", "task_path")
    return sum(schedule_retry(result, now) for result in failed if attempts(result) < max_attempts())


def sweep(now: datetime | None = None) -> dict[str, int]:
    return {"requeued": requeue_orphaned_tasks(now), "retried": retry_failed_tasks(now)}
