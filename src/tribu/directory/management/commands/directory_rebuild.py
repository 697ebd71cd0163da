"""``tribu directory_rebuild``: rebuild every member's directory entry (after an upgrade, a restore
or a bulk change made outside Tribu's actions)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Rebuild the members directory's search index for every member."

    def handle(self, *args: object, **options: object) -> None:
        from tribu.directory.index import rebuild

        started = time.monotonic()
        count = rebuild()
        self.stdout.write(f"{count} directory entries rebuilt in {time.monotonic() - started:.1f}s")
