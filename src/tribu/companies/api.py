"""API v1 endpoints of this app (thin adapters around actions, queries and policies)."""

from __future__ import annotations

from ninja import Router

router = Router()
