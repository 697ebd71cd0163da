"""The areas of the UI shell. An area appears once its app provides the named URL, so the
navigation grows as capabilities land without links to pages that do not exist yet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import policies


@dataclass(frozen=True)
class Area:
    key: str
    label: str | Promise
    url_name: str
    icon: str
    team_only: bool = False


AREAS = [
    Area("home", _("Home"), "home", "home"),
    Area("feed", _("Feed"), "feed:index", "feed"),
    Area("groups", _("Groups"), "groups:index", "groups"),
    Area("events", _("Events"), "events:index", "events"),
    Area("directory", _("Directory"), "directory:index", "directory"),
    Area("library", _("Library"), "library:index", "library"),
    Area("chat", _("Chat"), "chat:index", "chat"),
    Area("admin", _("Admin"), "core:admin_home", "admin", team_only=True),
]

_resolved: dict[str, str | None] = {}


def _url(name: str) -> str | None:
    if name not in _resolved:
        try:
            _resolved[name] = reverse(name)
        except NoReverseMatch:
            _resolved[name] = None
    return _resolved[name]


def areas_for(user: Any, current_path: str) -> list[dict[str, Any]]:
    items = []
    for area in AREAS:
        if area.team_only and not policies.can_access_admin(user):
            continue
        url = _url(area.url_name)
        if url is None:
            continue
        active = current_path == url if url == "/" else current_path.startswith(url)
        items.append({"key": area.key, "label": area.label, "url": url, "icon": area.icon, "active": active})
    return items
