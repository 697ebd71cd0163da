"""``tribu serve``: the embedded all-in-one mode (web + task worker + scheduler in one process)."""

from __future__ import annotations

import signal
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tribu.core.runtime import server


class Command(BaseCommand):
    help = "Run Tribu in one process: migrate, then web server, task worker and scheduler."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on (default 8000).")
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo on first run.")
        parser.add_argument("--no-worker", action="store_true", help="Do not run the task worker here.")
        parser.add_argument("--no-scheduler", action="store_true", help="Do not run the scheduler here.")

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        from tribu.core.runtime.scheduler import SchedulerThread
        from tribu.core.runtime.worker import WorkerThread

        host, port = options["host"], options["port"]
        if not 0 < port < 65536:
            raise CommandError(_("The port must be between 1 and 65535."))
        quiet = max(0, options["verbosity"] - 1)
        call_command("migrate", interactive=False, verbosity=quiet)
        if server.collectstatic_if_needed(verbosity=quiet):
            self.stdout.write(_("Static files collected."))
        if not options["no_demo"] and server.load_demo_if_first_run(verbosity=quiet):
            self.stdout.write(_("Demo community loaded."))

        # uvicorn re-raises the signal that stopped it once it has shut down; catch it here so the
        # worker and the scheduler get their turn to stop cleanly.
        stop_signals: list[int] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda signum, frame: stop_signals.append(signum))

        threads = []
        if not options["no_worker"]:
            threads.append(WorkerThread())
        if not options["no_scheduler"]:
            threads.append(SchedulerThread())
        for thread in threads:
            thread.start()

        url = server.display_url(host, port)
        self.stdout.write(
            _("Tribu is running at %(url)s (data in %(data)s). Press Ctrl-C to stop.")
            % {"url": url, "data": settings.DATA_DIR}
        )
        self.stdout.flush()
        uvicorn_server = uvicorn.Server(server.uvicorn_config(host, port))
        try:
            uvicorn_server.run()
        finally:
            for thread in reversed(threads):
                thread.stop()
        if not uvicorn_server.started:
            raise CommandError(_("The web server could not start on %(url)s.") % {"url": url})
        self.stdout.write(_("Tribu stopped."))
