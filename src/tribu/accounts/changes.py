"""What follows a change to members' attributes (profile, custom fields, membership, company, import):
the directory's index and the groups' automatic membership rules catch up once the transaction commits.
Actions that change such attributes call ``members_changed`` (explicitly, no signals)."""

from __future__ import annotations

from collections.abc import Iterable


def members_changed(user_ids: Iterable[int]) -> None:
    from tribu.directory.index import refresh_on_commit
    from tribu.groups.rules import apply_on_commit

    ids = sorted({int(i) for i in user_ids if i is not None})
    if not ids:
        return
    refresh_on_commit(ids)
    apply_on_commit(ids)
