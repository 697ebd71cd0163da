"""/healthz as a load balancer or an operator reads it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tribu.core.models import WorkerHeartbeat
from tribu.core.runtime.heartbeat import Heartbeat

pytestmark = pytest.mark.django_db


def test_it_answers_503_when_no_worker_is_running(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["worker"] == {"ok": False, "alive": 0}


def test_it_answers_200_with_a_fresh_worker_heartbeat(client):
    WorkerHeartbeat.objects.create(worker_id="w1", kind="worker", last_seen=timezone.now())

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["checks"]["worker"] == {"ok": True, "alive": 1}


def test_a_worker_that_stopped_beating_does_not_count(client, settings):
    stale = timezone.now() - timedelta(seconds=settings.TRIBU_WORKER_STALE_SECONDS + 1)
    WorkerHeartbeat.objects.create(worker_id="w1", kind="worker", last_seen=stale)

    assert client.get("/healthz").status_code == 503


def test_a_scheduler_alone_is_not_a_worker(client):
    WorkerHeartbeat.objects.create(worker_id="s1", kind="scheduler", last_seen=timezone.now())

    assert client.get("/healthz").status_code == 503


def test_it_answers_503_when_redis_is_configured_but_down(client, settings):
    WorkerHeartbeat.objects.create(worker_id="w1", kind="worker", last_seen=timezone.now())
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["ok"] is False


def test_a_running_heartbeat_makes_the_site_healthy_and_stopping_it_does_not(client):
    beat = Heartbeat("worker-under-test", "worker")
    beat.start()
    try:
        assert client.get("/healthz").status_code == 200
    finally:
        beat.stop()
    assert client.get("/healthz").status_code == 503
