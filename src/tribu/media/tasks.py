"""Background work of the media app: fetching the page behind a link for its preview card."""

from __future__ import annotations

from django.tasks import task


@task(queue_name="default")
def fetch_link_preview(preview_id: int) -> str:
    """Idempotent: fetches the page again and overwrites the card (takes an id, not an object)."""
    from .links import refresh

    return refresh(preview_id)
