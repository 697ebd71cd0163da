"""API v1 endpoints for comments and reactions (mounted at ``/api/v1/`` by ``tribu.api.main``)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["feed"])
