"""Periodic jobs of the core app, imported by the scheduler."""

from tribu.core.notifications import jobs as _notifications  # noqa: F401
