"""Tribu's background runtime: the task worker (with heartbeat, crash recovery and retries) and the
scheduler of periodic jobs. ``tribu serve`` runs both in threads next to the web server; in
production ``tribu worker`` (×N) and ``tribu scheduler`` (×1) run them as separate processes.

- ``heartbeat``: a thread that keeps a ``WorkerHeartbeat`` row fresh.
- ``recovery``: puts the jobs of dead workers back in the queue and retries failed jobs with back-off.
- ``worker``: django_tasks_db's worker plus the above.
- ``scheduler``: enqueues each due periodic job exactly once.
- ``tasks``: ``run_periodic_job(name)``, the task the scheduler enqueues.
"""
