"""Tables of the library app."""

from __future__ import annotations
