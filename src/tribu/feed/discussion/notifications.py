"""Notification kinds of discussions (replies, reactions, accepted answers)."""

from __future__ import annotations
