"""``tribu scheduler``: enqueue periodic jobs when they are due. Run one (a second one is harmless:
each run is claimed in the database)."""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Run the scheduler of periodic jobs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--tick", type=float, default=None, help="Seconds between two checks (default 5)."
        )
        parser.add_argument("--once", action="store_true", help="Enqueue the due jobs once, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        from tribu.core.runtime.scheduler import Scheduler, tick

        if options["once"]:
            names = tick()
            self.stdout.write(_("Enqueued: %(names)s") % {"names": ", ".join(names) or "-"})
            return
        if options["tick"] is not None and options["tick"] <= 0:
            raise CommandError(_("--tick must be a positive number of seconds."))
        scheduler = Scheduler(tick_seconds=options["tick"])
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda signum, frame: scheduler.stop())
        self.stdout.write(_("Scheduler %(id)s started.") % {"id": scheduler.scheduler_id})
        self.stdout.flush()
        scheduler.run()
