"""Heartbeat: each worker (and scheduler) keeps one ``WorkerHeartbeat`` row fresh from a thread.

A worker whose row is older than ``TRIBU_WORKER_STALE_SECONDS`` (or missing) is presumed dead and
its running jobs are put back in the queue by ``recovery.requeue_orphaned_tasks``."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string

logger = logging.getLogger("tribu.runtime")


def new_worker_id(kind: str = "worker") -> str:
    """Unique across the pool: host, pid and a random suffix (at most 64 characters)."""
    host = socket.gethostname().split(".")[0][:30]
    return f"{kind[:10]}-{host}-{os.getpid()}-{get_random_string(8)}"[:64]


def beat(worker_id: str, kind: str) -> None:
    """Upsert this worker's row (one statement per call, safe for concurrent workers)."""
    from tribu.core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "kind": kind,
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "last_seen": timezone.now(),
        },
    )


def forget(worker_id: str) -> None:
    from tribu.core.models import WorkerHeartbeat

    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


class Heartbeat(threading.Thread):
    """Beats every ``TRIBU_WORKER_HEARTBEAT_SECONDS``; ``also`` runs after each beat (e.g. recovery)."""

    def __init__(self, worker_id: str, kind: str, also: Callable[[], object] | None = None) -> None:
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.kind = kind
        self.also = also
        self.interval = float(getattr(settings, "TRIBU_WORKER_HEARTBEAT_SECONDS", 5))
        self._stop_event = threading.Event()

    def start(self) -> None:
        # The first beat happens before any job is claimed, so a live worker never looks dead.
        beat(self.worker_id, self.kind)
        super().start()

    def run(self) -> None:
        try:
            while not self._stop_event.wait(self.interval):
                try:
                    close_old_connections()
                    beat(self.worker_id, self.kind)
                    if self.also is not None:
                        self.also()
                except Exception:
                    logger.exception("Heartbeat of %s failed; retrying", self.worker_id)
        finally:
            connection.close()

    def stop(self, *, forget_row: bool = True) -> None:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=self.interval + 5)
        if forget_row:
            try:
                forget(self.worker_id)
            except Exception:
                logger.exception("Could not remove the heartbeat of %s", self.worker_id)
