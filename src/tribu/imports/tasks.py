"""Background work of imports: large files run here, with the job row tracking the progress."""

from __future__ import annotations

from django.tasks import task


@task(queue_name="default")
def run_import(job_id: int) -> None:
    """Idempotent: re-running a job upserts by email (or SIRET/name), so finished rows stay unchanged."""
    from .actions import run_job

    run_job(job_id)
