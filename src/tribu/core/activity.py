"""The spine: every meaningful act is recorded once, by the action that performs it."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import Activity


def record(
    actor: Any,
    verb: str,
    target: models.Model | None = None,
    group: Any = None,
    *,
    audit: bool = False,
    **data: Any,
) -> Activity:
    """Append one ``Activity`` row: ``actor`` (a user or None for the system) did ``verb`` to ``target``.

    ``group`` is a group object or id; ``audit=True`` marks an admin action for the audit log.
    Call it inside the action's transaction so the act and its record stand or fall together.
    """
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    target_type = ContentType.objects.get_for_model(target) if target is not None else None
    group_id = getattr(group, "pk", group)
    return Activity.objects.create(
        actor=actor_obj,
        verb=verb,
        target_type=target_type,
        target_id=str(target.pk) if target is not None else "",
        group_id=group_id,
        data=data,
        audit=audit,
    )
