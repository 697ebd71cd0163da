"""Files nobody points at any more: an attachment whose owner's transaction rolled back after the file
was written (``attach`` runs inside the owner's action), or a row deleted while its storage was down.
The daily job ``media.sweep`` deletes files under the media app's own folders (``a/``, ``t/``, ``l/`` —
never another app's files sharing the storage) that no row names and that are older than a day (so a
file whose row is being committed right now is left alone)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

from django.utils import timezone

from .models import Attachment, LinkPreview
from .storage import attachment_storage

logger = logging.getLogger(__name__)
PREFIXES = ("a", "t", "l")
BATCH = 500


def _walk(storage, folder: str) -> Iterator[str]:
    try:
        folders, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError, OSError):
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _walk(storage, f"{folder}/{sub}")


def _known(names: list[str]) -> set[str]:
    known = set(Attachment.objects.filter(file__in=names).values_list("file", flat=True))
    known |= set(Attachment.objects.filter(thumbnail__in=names).values_list("thumbnail", flat=True))
    known |= set(LinkPreview.objects.filter(image__in=names).values_list("image", flat=True))
    return known


def sweep_orphans(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete the orphaned files; how many were deleted."""
    storage = attachment_storage()
    limit = timezone.now() - older_than
    deleted = 0
    for prefix in PREFIXES:
        batch: list[str] = []
        for name in _walk(storage, prefix):
            batch.append(name)
            if len(batch) >= BATCH:
                deleted += _delete_unknown(storage, batch, limit)
                batch = []
        if batch:
            deleted += _delete_unknown(storage, batch, limit)
    return deleted


def _delete_unknown(storage, names: list[str], limit) -> int:
    deleted = 0
    known = _known(names)
    for name in names:
        if name in known:
            continue
        try:
            if storage.get_modified_time(name) > limit:
                continue
            storage.delete(name)
            deleted += 1
        except (FileNotFoundError, OSError, NotImplementedError) as exc:
            logger.warning("could not sweep %s: %s", name, exc)
    return deleted
