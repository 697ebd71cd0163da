"""Notification emails: one email per notification (``email`` channel) and the digest (daily or
weekly). Both are rendered in the recipient's language and carry one-click "stop these" links.

"Stop these" links are signed with the mailing app's unsubscribe signer (``tribu.mailing.consent``:
no expiry, no login) but lead to this app's confirmation page (``core:notification_stop``), where a
POST turns that kind of notification off, or sets the digest frequency to never. The same URL is in
the ``List-Unsubscribe`` header with ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tribu.core.emails import language_for, render_email
from tribu.core.models import Notification
from tribu.mailing import consent

from .kinds import get_kind, render_text


def absolute_url(url: str) -> str:
    if not url:
        return settings.SITE_URL + reverse("core:notifications")
    if url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL + ("" if url.startswith("/") else "/") + url


def preferences_url() -> str:
    return settings.SITE_URL + reverse("core:notification_preferences")


def kind_topic(kind: str) -> str:
    """The signed-link topic that stops one kind of notification."""
    return consent.notification_topic(kind)


def stop_url(user: Any, topic: str) -> str:
    """Absolute, signed link to the "stop these" confirmation page for ``topic`` (``kind_topic(...)``
    or ``consent.DIGESTS``); works without logging in."""
    return settings.SITE_URL + reverse("core:notification_stop", args=[consent.unsubscribe_token(user, topic)])


def stop_headers(user: Any, topic: str, *, url: str = "") -> dict[str, str]:
    """``List-Unsubscribe`` (the stop link, plus the mailing app's mailto) and ``List-Unsubscribe-Post``."""
    return consent.list_unsubscribe_headers(user, topic, url=url or stop_url(user, topic))


def unsubscribe_headers() -> dict[str, str]:
    return {"List-Unsubscribe": f"<{preferences_url()}>"}


def render_notification_email(notification: Notification) -> dict[str, str]:
    user = notification.recipient
    language = language_for(user)
    with translation.override(language):
        text = render_text(notification)
        kind = get_kind(notification.kind)
        label = str(kind.label) if kind else notification.kind
    stop = stop_url(user, kind_topic(notification.kind))
    context: dict[str, Any] = {
        "user": user,
        "notification": notification,
        "text": text,
        "kind_label": label,
        "url": absolute_url(notification.url),
        "preferences_url": preferences_url(),
        "stop_url": stop,
    }
    return render_email(
        "core/emails/notification", context, language,
        unsubscribe_url=stop, preferences_url=consent.preferences_url(user),
    )


def notification_headers(notification: Notification) -> dict[str, str]:
    return stop_headers(notification.recipient, kind_topic(notification.kind))


def render_digest_email(
    user: Any,
    notifications: list[Notification],
    total: int,
    *,
    popular: list[dict[str, Any]] | None = None,
    weekly: bool = False,
) -> dict[str, str]:
    """The digest: one section per kind of notification (each with its "stop these" link), then the
    "popular in your groups" section, then a link that stops the digest itself."""
    language = language_for(user)
    sections: dict[str, dict[str, Any]] = {}
    with translation.override(language):
        for n in notifications:
            section = sections.get(n.kind)
            if section is None:
                kind = get_kind(n.kind)
                section = sections[n.kind] = {
                    "label": str(kind.label) if kind else n.kind,
                    "items": [],
                    "stop_url": stop_url(user, kind_topic(n.kind)),
                }
            section["items"].append({"text": render_text(n), "url": absolute_url(n.url), "created_at": n.created_at})
    shown = sum(len(s["items"]) for s in sections.values())
    digest_stop = stop_url(user, consent.DIGESTS)
    context: dict[str, Any] = {
        "user": user,
        "sections": list(sections.values()),
        "items": [item for s in sections.values() for item in s["items"]],
        "count": total,
        "more": max(total - shown, 0),
        "popular": popular or [],
        "popular_stop_url": stop_url(user, kind_topic("popular_in_groups")) if popular else "",
        "weekly": weekly,
        "digest_stop_url": digest_stop,
        "centre_url": settings.SITE_URL + reverse("core:notifications"),
        "preferences_url": preferences_url(),
    }
    return render_email(
        "core/emails/notification_digest", context, language,
        unsubscribe_url=digest_stop, preferences_url=consent.preferences_url(user),
    )
