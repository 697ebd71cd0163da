"""/healthz: database, task worker heartbeat and (when configured) Redis."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone


def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, dict[str, object]] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception as exc:
        checks["database"] = {"ok": False, "error": exc.__class__.__name__}
    try:
        from .models import WorkerHeartbeat

        cutoff = timezone.now() - timedelta(seconds=settings.TRIBU_WORKER_STALE_SECONDS)
        alive = WorkerHeartbeat.objects.filter(kind="worker", last_seen__gte=cutoff).count()
        checks["worker"] = {"ok": alive > 0, "alive": alive}
    except Exception as exc:
        checks["worker"] = {"ok": False, "error": exc.__class__.__name__}
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
            checks["redis"] = {"ok": True}
        except Exception as exc:
            checks["redis"] = {"ok": False, "error": exc.__class__.__name__}
    ok = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if ok else "degraded", "checks": checks}, status=200 if ok else 503)
