"""The task the scheduler enqueues for each due periodic job."""

from __future__ import annotations

import logging

from django.tasks import task

logger = logging.getLogger("tribu.runtime")


@task(queue_name="default")
def run_periodic_job(name: str) -> object:
    from tribu.core.schedule import JOBS

    from .scheduler import load_jobs

    load_jobs()
    job = JOBS.get(name)
    if job is None:
        # The job was removed from the code since it was queued: nothing to run, nothing to retry.
        logger.warning("Periodic job %r is not registered any more; skipped", name)
        return {"skipped": name}
    return job.func()
