"""Read messages that reached the bounce / unsubscribe address (one on standard input, or files).

Postfix example (``/etc/aliases``): ``bounces: "|/srv/tribu/.venv/bin/tribu mailing_inbound"``.
Bounces (RFC 3464) and complaints (ARF) become suppressions; ``unsubscribe <token>`` requests stop the topic."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tribu.mailing.bounces import handle_inbound


class Command(BaseCommand):
    help = "Handle bounce reports, complaints and mailto: unsubscribe requests (standard input or files)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("files", nargs="*", help="Message files (.eml); none: read one message from stdin.")

    def handle(self, *args: Any, files: list[str], **options: Any) -> None:
        sources: list[tuple[str, bytes]] = []
        if files:
            for name in files:
                try:
                    sources.append((name, Path(name).read_bytes()))
                except OSError as error:
                    raise CommandError(f"Cannot read {name}: {error}") from error
        else:
            sources.append(("stdin", sys.stdin.buffer.read()))
        for name, raw in sources:
            if not raw.strip():
                raise CommandError(f"{name}: empty message")
            for outcome in handle_inbound(raw):
                state = "new" if outcome.changed else "unchanged"
                self.stdout.write(f"{name}: {outcome.kind} {outcome.email} ({state}) {outcome.detail}".rstrip())
