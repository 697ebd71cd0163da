"""Writes of the core domain. Each checks permission, validates, writes in one transaction and
records the activity."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from . import policies
from .activity import record
from .community import forget_community
from .models import Community


def update_community(actor: Any, community: Community, changed: list[str]) -> Community:
    """Save the settings form's changes (already validated) and log who changed what."""
    if not policies.can_edit_community(actor):
        raise PermissionDenied
    with transaction.atomic():
        fields = [*changed, "updated_at"]
        community.save(update_fields=fields)
        record(actor, "community.updated", community, audit=True, fields=sorted(changed))
    forget_community()
    transaction.on_commit(forget_community)
    return community
