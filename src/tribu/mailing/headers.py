"""``List-Unsubscribe`` must reach mail clients as written (RFC 8058): ``<https://…>, <mailto:…>``.
Python's email policies fold a header longer than 78 columns, and a URL cannot be folded, so they turn
it into RFC 2047 encoded words, which clients do not decode there and the one-click button disappears.

``install()`` (called by the app's ``ready``) maps ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` to
a header class that folds only between the angle-bracketed URIs (RFC 2369 allows whitespace there), so
every message the platform builds — ``core.emails.deliver``, the campaign sender, allauth — keeps them
readable, whatever ``EmailMessage`` class made it. Lines stay far below the 998-octet limit."""

from __future__ import annotations

import email.policy
from email.headerregistry import UnstructuredHeader
from typing import Any


class UnfoldedURIListHeader(UnstructuredHeader):
    def fold(self, *, policy: Any) -> str:
        value = str(self)
        parts = [p.strip() for p in value.split(",")] if value.startswith("<") else [value]
        return f"{self.name}: " + f",{policy.linesep} ".join(parts) + policy.linesep


HEADERS = ("list-unsubscribe", "list-unsubscribe-post")


def install() -> None:
    for name in HEADERS:
        email.policy.default.header_factory.map_to_type(name, UnfoldedURIListHeader)
