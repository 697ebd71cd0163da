"""What follows a change to members' attributes (profile, custom fields, membership, company, import):
the directory's index and the groups' automatic membership rules catch up once the transaction commits.
Actions that change such attributes call ``members_changed`` (explicitly, no signals).

Work applied in a batch (e.g. the Stripe events a task worker applies one after another) runs inside
``collected()``: the members changed by every item are gathered and caught up once, at the end, instead
of one directory refresh and one rules job per item."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

_batch = threading.local()


def members_changed(user_ids: Iterable[int]) -> None:
    ids = sorted({int(i) for i in user_ids if i is not None})
    if not ids:
        return
    pending = getattr(_batch, "ids", None)
    if pending is not None:
        pending.update(ids)
        return
    _catch_up(ids)


def _catch_up(ids: list[int]) -> None:
    from tribu.directory.index import refresh_on_commit
    from tribu.groups.rules import apply_on_commit

    refresh_on_commit(ids)
    apply_on_commit(ids)


@contextmanager
def collected() -> Iterator[set[int]]:
    """Gather ``members_changed`` calls and catch those members up once when the block ends (after the
    block's own transactions committed; a member of a rolled-back item is refreshed for nothing, which
    is harmless). Nested blocks join the outer one."""
    if getattr(_batch, "ids", None) is not None:
        yield _batch.ids
        return
    _batch.ids = ids = set()
    try:
        yield ids
    finally:
        _batch.ids = None
        if ids:
            _catch_up(sorted(ids))
