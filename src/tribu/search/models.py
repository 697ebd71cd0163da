"""Tables of the search app."""

from __future__ import annotations
