"""Periodic work of the feed: scheduled posts go out when their time comes (idempotent: a post is
published once even when two schedulers run, see ``actions.publish_due``)."""

from __future__ import annotations

from datetime import timedelta

from tribu.core.schedule import periodic

from . import actions


@periodic("feed.publish_scheduled", every=timedelta(minutes=1))
def publish_scheduled() -> dict[str, int]:
    return {"published": actions.publish_due()}
