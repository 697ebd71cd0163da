"""Read side of attachments and link cards."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from .models import Attachment


def attachments_for(objects: Iterable[Any]) -> dict[Any, list[Attachment]]:
    """``{owner pk: [attachments in order]}`` for posts, comments or resources, in ONE query (plus one
    for each owner model's ContentType the first time the process meets it; Django caches those).

    Every object given has an entry (an empty list when it has no file). Mixing models is allowed but
    the keys are primary keys only, so keep one model per call when their pks could collide.
    """
    objects = [obj for obj in objects if obj is not None and obj.pk is not None]
    result: dict[Any, list[Attachment]] = {obj.pk: [] for obj in objects}
    if not objects:
        return result
    ids_by_type: dict[int, set[Any]] = defaultdict(set)
    for obj in objects:
        ids_by_type[ContentType.objects.get_for_model(obj).pk].add(obj.pk)
    condition = Q()
    for type_id, ids in ids_by_type.items():
        condition |= Q(owner_type_id=type_id, owner_id__in=ids)
    for attachment in Attachment.objects.filter(condition).order_by("position", "id"):
        result.setdefault(attachment.owner_id, []).append(attachment)
    return result


def attachments_of(owner: Any) -> list[Attachment]:
    return attachments_for([owner]).get(owner.pk, [])
