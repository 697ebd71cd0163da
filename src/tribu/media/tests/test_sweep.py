"""The daily sweep deletes the media files no row names (left by a rolled-back action), nothing else."""

from __future__ import annotations

import os
import time

import pytest
from django.core.files.base import ContentFile
from django.db import transaction

from tribu.media import actions
from tribu.media.storage import attachment_storage
from tribu.media.sweep import sweep_orphans

from . import samples

pytestmark = pytest.mark.django_db(transaction=True)


def _age(name: str, days: int = 2) -> None:
    path = attachment_storage().path(name)
    past = time.time() - days * 86400
    os.utime(path, (past, past))


def test_files_of_a_rolled_back_action_are_swept_and_the_rest_kept(club, anna):
    storage = attachment_storage()
    (kept,) = actions.attach(club, [samples.png()], actor=anna)
    with pytest.raises(RuntimeError), transaction.atomic():
        (lost,) = actions.attach(club, [samples.pdf()], actor=anna)
        raise RuntimeError("the post's action failed after attaching")
    other_app = storage.save("library/files/2026/01/statuts.pdf", ContentFile(b"%PDF-1.4"))
    fresh_orphan = storage.save("a/2026/01/fresh.pdf", ContentFile(b"%PDF-1.4"))
    for name in (kept.file.name, kept.thumbnail.name, lost.file.name, other_app):
        _age(name)
    assert sweep_orphans() >= 1  # (a reused data folder may hold older orphans too)
    assert not storage.exists(lost.file.name)
    assert storage.exists(kept.file.name) and storage.exists(kept.thumbnail.name)
    assert storage.exists(other_app)  # another app's file in the same storage
    assert storage.exists(fresh_orphan)  # too recent: its row may be on its way
