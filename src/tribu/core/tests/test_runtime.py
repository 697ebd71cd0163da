"""The task worker and the scheduler: jobs run once, survive a dead worker, retry with back-off."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tribu.core.models import ScheduledJob, WorkerHeartbeat
from tribu.core.runtime import recovery, scheduler
from tribu.core.runtime.worker import TribuWorker
from tribu.core.schedule import JOBS, PeriodicJob

CALLS: list[object] = []
_calls_lock = threading.Lock()


@task()
def remember(value: int) -> int:
    with _calls_lock:
        CALLS.append(value)
    return value


@task()
def always_fails() -> None:
    raise RuntimeError("the mail server said no")


@task()
def fails_once(key: str) -> str:
    with _calls_lock:
        CALLS.append(key)
        if CALLS.count(key) == 1:
            raise RuntimeError("temporary failure")
    return "sent"


@pytest.fixture
def db_queue(settings):
    """Jobs go to the database queue, as in production (the test default runs them immediately)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend", "QUEUES": []}}
    settings.TRIBU_TASK_MAX_ATTEMPTS = 3
    settings.TRIBU_TASK_RETRY_BASE_SECONDS = 10
    settings.TRIBU_WORKER_STALE_SECONDS = 60
    CALLS.clear()
    yield
    CALLS.clear()


def run_worker(**kwargs: object) -> TribuWorker:
    worker = TribuWorker(batch=True, interval=0, startup_delay=False, **kwargs)  # type: ignore[arg-type]
    worker.run()
    return worker


def result_of(enqueued) -> DBTaskResult:
    return DBTaskResult.objects.get(pk=enqueued.id)


def make_due(result: DBTaskResult) -> None:
    DBTaskResult.objects.filter(pk=result.pk).update(run_after=timezone.now() - timedelta(seconds=1))


@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_queued_jobs_and_leaves_no_heartbeat_behind(db_queue):
    queued = [remember.enqueue(n) for n in range(3)]

    worker = run_worker()

    assert sorted(CALLS) == [0, 1, 2]
    assert {result_of(q).status for q in queued} == {TaskResultStatus.SUCCESSFUL}
    assert not WorkerHeartbeat.objects.filter(worker_id=worker.worker_id).exists()


@pytest.mark.django_db(transaction=True)
def test_a_failed_job_is_retried_later_with_growing_delays_then_given_up(db_queue):
    queued = always_fails.enqueue()

    before = timezone.now()
    run_worker()
    first = result_of(queued)
    assert first.status == TaskResultStatus.READY
    assert timedelta(seconds=9) <= first.run_after - before <= timedelta(seconds=12)

    run_worker()  # not due yet: nothing happens
    assert result_of(queued).worker_ids == first.worker_ids

    make_due(first)
    before = timezone.now()
    run_worker()
    second = result_of(queued)
    assert second.status == TaskResultStatus.READY
    assert timedelta(seconds=19) <= second.run_after - before <= timedelta(seconds=22)

    make_due(second)
    run_worker()
    last = result_of(queued)
    assert last.status == TaskResultStatus.FAILED  # third attempt of three: given up
    assert len(last.worker_ids) == 3
    assert "the mail server said no" in last.traceback


@pytest.mark.django_db(transaction=True)
def test_a_job_that_fails_once_succeeds_on_its_retry(db_queue):
    queued = fails_once.enqueue("welcome-mail")
    run_worker()
    make_due(result_of(queued))
    run_worker()

    assert result_of(queued).status == TaskResultStatus.SUCCESSFUL
    assert result_of(queued).return_value == "sent"
    assert CALLS == ["welcome-mail", "welcome-mail"]


def claim_as(queued, worker_id: str) -> DBTaskResult:
    result = result_of(queued)
    result.claim(worker_id)
    return result


@pytest.mark.django_db
def test_a_job_whose_worker_died_goes_back_to_the_queue(db_queue):
    queued = remember.enqueue(1)
    claim_as(queued, "worker-that-was-killed")  # RUNNING, and no heartbeat at all

    assert recovery.requeue_orphaned_tasks() == 1
    assert result_of(queued).status == TaskResultStatus.READY


@pytest.mark.django_db
def test_a_job_of_a_live_worker_is_left_running(db_queue):
    queued = remember.enqueue(1)
    claim_as(queued, "busy-worker")
    WorkerHeartbeat.objects.create(worker_id="busy-worker", last_seen=timezone.now())

    assert recovery.requeue_orphaned_tasks() == 0
    assert result_of(queued).status == TaskResultStatus.RUNNING


@pytest.mark.django_db
def test_a_job_of_a_worker_that_stopped_beating_is_recovered(db_queue, settings):
    queued = remember.enqueue(1)
    claim_as(queued, "silent-worker")
    WorkerHeartbeat.objects.create(
        worker_id="silent-worker", last_seen=timezone.now() - timedelta(seconds=settings.TRIBU_WORKER_STALE_SECONDS + 5)
    )

    assert recovery.requeue_orphaned_tasks() == 1
    assert result_of(queued).status == TaskResultStatus.READY


@pytest.mark.django_db
def test_a_job_that_keeps_killing_its_worker_is_given_up(db_queue):
    queued = remember.enqueue(1)
    for n in range(3):
        claim_as(queued, f"dead-{n}")
        recovery.requeue_orphaned_tasks()

    result = result_of(queued)
    assert result.status == TaskResultStatus.FAILED
    assert result.exception_class_path == recovery.WORKER_LOST


@pytest.mark.django_db
def test_two_workers_acting_on_the_same_failure_queue_it_only_once(db_queue):
    queued = always_fails.enqueue()
    result = claim_as(queued, "w1")
    result.set_failed(RuntimeError("boom"))
    seen_by_a = result_of(queued)
    seen_by_b = result_of(queued)

    assert recovery.schedule_retry(seen_by_a) is True
    run_after = result_of(queued).run_after
    assert recovery.schedule_retry(seen_by_b) is False  # B read the row before A changed it
    assert result_of(queued).run_after == run_after


@pytest.mark.django_db
def test_the_sweep_queues_again_a_failure_its_worker_could_not_retry(db_queue):
    queued = always_fails.enqueue()
    claim_as(queued, "w1").set_failed(RuntimeError("boom"))

    assert recovery.sweep() == {"requeued": 0, "retried": 1}
    assert result_of(queued).status == TaskResultStatus.READY


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_run_each_job_exactly_once(db_queue):
    for n in range(30):
        remember.enqueue(n)
    workers = [threading.Thread(target=run_worker) for _ in range(3)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(60)

    assert sorted(CALLS) == list(range(30))
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == 30


# --- Scheduler ------------------------------------------------------------------------------------

TICKS: list[str] = []


@pytest.fixture
def hourly_job(monkeypatch):
    def count() -> str:
        TICKS.append("ran")
        return "counted"

    TICKS.clear()
    monkeypatch.setitem(JOBS, "test.hourly", PeriodicJob("test.hourly", timedelta(hours=1), count))
    return JOBS["test.hourly"]


def enqueued_runs(name: str) -> int:
    return DBTaskResult.objects.filter(
        task_path="tribu.core.runtime.tasks.run_periodic_job", args_kwargs__args__0=name
    ).count()


@pytest.mark.django_db
def test_the_scheduler_enqueues_a_due_job_once_per_period(db_queue, hourly_job):
    now = timezone.now()
    assert "test.hourly" in scheduler.tick(now)
    assert "test.hourly" not in scheduler.tick(now + timedelta(minutes=5))
    assert "test.hourly" not in scheduler.tick(now)  # a restarted scheduler does not run it again
    assert enqueued_runs("test.hourly") == 1

    assert "test.hourly" in scheduler.tick(now + timedelta(hours=1, seconds=1))
    assert enqueued_runs("test.hourly") == 2
    row = ScheduledJob.objects.get(name="test.hourly")
    assert row.next_run_at == now + timedelta(hours=2)
    assert row.last_task_id


@pytest.mark.django_db
def test_a_scheduler_that_was_down_runs_a_missed_job_once_not_for_every_missed_period(db_queue, hourly_job):
    now = timezone.now()
    scheduler.tick(now)
    later = now + timedelta(hours=10)
    assert "test.hourly" in scheduler.tick(later)
    assert "test.hourly" not in scheduler.tick(later + timedelta(seconds=5))
    assert ScheduledJob.objects.get(name="test.hourly").next_run_at == later + timedelta(hours=1)


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_ticking_together_enqueue_a_run_once(db_queue, hourly_job):
    now = timezone.now()
    scheduler.tick(now)
    due = now + timedelta(hours=1, seconds=1)
    barrier = threading.Barrier(4)

    def tick() -> None:
        from django.db import connection

        barrier.wait()
        try:
            scheduler.tick(due)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert enqueued_runs("test.hourly") == 2  # the first run and exactly one for the next period


@pytest.mark.django_db(transaction=True)
def test_a_scheduled_job_is_run_by_the_worker(db_queue, hourly_job):
    scheduler.tick()
    run_worker()

    assert TICKS == ["ran"]
    run = DBTaskResult.objects.get(task_path="tribu.core.runtime.tasks.run_periodic_job", return_value="counted")
    assert run.status == TaskResultStatus.SUCCESSFUL


@pytest.mark.django_db
def test_the_recovery_sweep_is_a_scheduled_job(db_queue):
    queued = remember.enqueue(1)
    claim_as(queued, "killed-worker")

    assert "core.recover_tasks" in scheduler.tick()
    from tribu.core.runtime.tasks import run_periodic_job

    run_periodic_job.using(backend="default").call("core.recover_tasks")
    assert result_of(queued).status == TaskResultStatus.READY


@pytest.mark.django_db
def test_a_queued_run_of_a_job_removed_from_the_code_is_skipped_quietly():
    from tribu.core.runtime.tasks import run_periodic_job

    assert run_periodic_job.call("no.such.job") == {"skipped": "no.such.job"}
