"""Tables of the media app."""

from __future__ import annotations
