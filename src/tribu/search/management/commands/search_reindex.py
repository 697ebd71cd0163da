"""``tribu search_reindex [--kind post ...] [--batch 2000] [--resume]``: rebuild the search index
from the source tables, in batches, each committed on its own; ``--resume`` continues an interrupted
run from the last batch done."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tribu.search.indexing import reindex
from tribu.search.models import Kind


class Command(BaseCommand):
    help = "Rebuild the search index (posts, comments, resources, events, groups), in resumable batches."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--kind", action="append", choices=[k.value for k in Kind],
                            help="Only this kind (repeat for several). Default: every kind.")
        parser.add_argument("--batch", type=int, default=2000, help="Objects per batch (default 2000).")
        parser.add_argument("--resume", action="store_true", help="Continue after the last batch done.")

    def handle(self, *args: Any, **options: Any) -> None:
        kinds = options["kind"] or [k.value for k in Kind]
        batch = max(1, min(options["batch"], 20_000))

        def progress(kind: str, last: int, done: int) -> None:
            if options["verbosity"] >= 2:
                self.stdout.write(f"{kind}: {done} indexed, up to id {last}")

        for kind in kinds:
            done = reindex(kind, batch=batch, resume=options["resume"], progress=progress)
            if options["verbosity"] >= 1:
                self.stdout.write(f"{kind}: {done} indexed")
