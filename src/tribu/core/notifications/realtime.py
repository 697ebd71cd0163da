"""Live unread counts: pushed to each member's WebSocket group after the transaction commits.
Best effort: a missing or failing channel layer never breaks the action (the badge also polls)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from . import queries

logger = logging.getLogger(__name__)

#: Above this many recipients the push is done by a background task, not by the request.
INLINE_PUSH_LIMIT = 50


def group_name(user_id: int) -> str:
    return f"notifications.user.{user_id}"


_merging = threading.local()


@contextmanager
def pushes_merged() -> Iterator[None]:
    """The pushes asked for in this block (on this thread) are made once at its end, for all their
    members together: one count query instead of one per push (a batch of after-commit work)."""
    if getattr(_merging, "ids", None) is not None:  # already merging: the outer block pushes
        yield
        return
    ids: set[int] = set()
    _merging.ids = ids
    try:
        yield
    finally:
        _merging.ids = None
    push_unread_counts(ids)


def push_unread_counts(user_ids: Iterable[int]) -> None:
    """Send ``{"type": "unread", "count": N}`` to every open socket of these members."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    merging = getattr(_merging, "ids", None)
    if merging is not None:
        merging.update(ids)
        return
    layer = get_channel_layer()
    if layer is None:
        return
    for user_id, count in queries.unread_counts(ids).items():
        try:
            async_to_sync(layer.group_send)(group_name(user_id), {"type": "notifications.unread", "count": count})
        except Exception:
            logger.warning("Could not push the unread count to user %s", user_id, exc_info=True)


def push_unread_counts_on_commit(user_ids: Iterable[int]) -> None:
    from django.db import transaction

    ids = sorted(set(user_ids))
    if not ids:
        return
    if len(ids) <= INLINE_PUSH_LIMIT:
        transaction.on_commit(lambda: push_unread_counts(ids))
        return
    from .tasks import push_unread_counts_task

    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        transaction.on_commit(lambda chunk=chunk: push_unread_counts_task.enqueue(user_ids=chunk))
