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
    Area("companies", _("Companies"), "companies:index", "companies"),
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


@dataclass(frozen=True)
class Tab:
    label: str | Promise
    url_name: str
    prefix: bool = False  # active on every page under the URL, not only on the URL itself


# The tabs of the administration area and of the account settings. Like the areas, a tab shows once
# its URL exists; apps add theirs here (one line each) rather than editing the templates.
ADMIN_TABS = [
    Tab(_("Overview"), "core:admin_home"),
    Tab(_("Community settings"), "core:community_settings"),
    Tab(_("Members and roles"), "core:members"),
    Tab(_("Membership tiers"), "memberships:manage_tiers", prefix=True),
    Tab(_("Memberships"), "memberships:manage_memberships", prefix=True),
    Tab(_("Companies"), "companies:manage", prefix=True),
    Tab(_("Groups"), "groups:manage", prefix=True),
    Tab(_("Library"), "library:manage", prefix=True),
    Tab(_("Welcome blocks"), "feed:welcome_blocks", prefix=True),
    Tab(_("Payments"), "payments:manage", prefix=True),
    Tab(_("Renewals and invoices"), "billing:manage", prefix=True),
    Tab(_("Segments"), "segments:index", prefix=True),
    Tab(_("Campaigns"), "campaigns:index", prefix=True),
    Tab(_("Email templates"), "mailing:manage", prefix=True),
    Tab(_("Profile fields"), "profile:manage_fields", prefix=True),
    Tab(_("Import and export"), "imports:index", prefix=True),
    Tab(_("Personal data requests"), "privacy:manage", prefix=True),
    Tab(_("Audit log"), "core:audit_log"),
    Tab(_("Sent emails"), "core:outbox", prefix=True),
]
ACCOUNT_TABS = [
    Tab(_("Account"), "accounts:settings"),
    Tab(_("Profile"), "profile:edit"),
    Tab(_("Membership"), "memberships:mine", prefix=True),
    Tab(_("Payments"), "payments:mine", prefix=True),
    Tab(_("My groups"), "groups:mine", prefix=True),
    Tab(_("Calendar feed"), "events:calendar_settings", prefix=True),
    Tab(_("Email subscriptions"), "mailing:preferences", prefix=True),
    Tab(_("Email"), "account_email"),
    Tab(_("Password"), "account_change_password"),
    Tab(_("Two-factor authentication"), "mfa_index"),
    Tab(_("Sessions"), "usersessions_list"),
    Tab(_("Notifications"), "core:notification_preferences"),
    Tab(_("API tokens"), "api:tokens"),
    Tab(_("Personal data"), "privacy:mine", prefix=True),
]


def tabs_for(tabs: list[Tab], current_path: str) -> list[dict[str, Any]]:
    items = []
    for tab in tabs:
        url = _url(tab.url_name)
        if url is None:
            continue
        active = current_path.startswith(url) if tab.prefix else current_path == url
        items.append({"label": tab.label, "url": url, "active": active})
    return items
