"""The directory's search index: one row per member, refreshed by the actions that change what the
directory shows (profile, custom fields, membership, company). Other apps call ``refresh_on_commit``.

(Implementation in progress: the directory helper fills this in; the signature is stable.)"""

from __future__ import annotations

from collections.abc import Iterable


def refresh_on_commit(user_ids: Iterable[int]) -> None:
    """Refresh the directory entries of these members once the current transaction commits."""
    return None
