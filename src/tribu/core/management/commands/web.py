"""``tribu web``: the web server alone (HTTP and WebSocket), for production behind a reverse proxy."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tribu.core.runtime import server


class Command(BaseCommand):
    help = "Run the web server (uvicorn, HTTP and WebSocket) without worker or scheduler."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on (default 8000).")
        parser.add_argument("--workers", type=int, default=1, help="Number of web processes (default 1).")

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        host, port, workers = options["host"], options["port"], options["workers"]
        if not 0 < port < 65536:
            raise CommandError(_("The port must be between 1 and 65535."))
        if workers < 1:
            raise CommandError(_("--workers must be at least 1."))
        if workers > 1 and not settings.REDIS_URL:
            self.stderr.write(
                _(
                    "Warning: several web processes without REDIS_URL do not share live updates "
                    "(chat, notifications) nor rate limits. Set REDIS_URL."
                )
            )
        self.stdout.write(_("Tribu web server on %(url)s") % {"url": server.display_url(host, port)})
        self.stdout.flush()
        uvicorn.run(server.ASGI_APP, **server.uvicorn_options(host, port, workers=workers))  # type: ignore[arg-type]
