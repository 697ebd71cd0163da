"""Background work of the directory: refreshing many entries at once (an import, a tier change)."""

from __future__ import annotations

from django.tasks import task


@task(queue_name="default")
def refresh_entries(user_ids: list[int]) -> int:
    from .index import refresh

    return refresh(user_ids)
