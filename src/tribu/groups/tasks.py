"""Background work of groups: automatic membership rules for members who just changed."""

from __future__ import annotations

from django.tasks import task


@task(queue_name="default")
def apply_rules_for_users(user_ids: list[int]) -> dict[str, int]:
    from .rules import apply_for_users

    return apply_for_users(user_ids)
