"""Notification emails: one email per notification (``email`` channel) and the daily digest.
Both are rendered in the recipient's language and carry a link to the preferences page and a
``List-Unsubscribe`` header pointing to it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tribu.core.emails import language_for, render_email
from tribu.core.models import Notification

from .kinds import get_kind, render_text


def absolute_url(url: str) -> str:
    if not url:
        return settings.SITE_URL + reverse("core:notifications")
    if url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL + ("" if url.startswith("/") else "/") + url


def preferences_url() -> str:
    return settings.SITE_URL + reverse("core:notification_preferences")


def unsubscribe_headers() -> dict[str, str]:
    return {"List-Unsubscribe": f"<{preferences_url()}>"}


def render_notification_email(notification: Notification) -> dict[str, str]:
    user = notification.recipient
    language = language_for(user)
    with translation.override(language):
        text = render_text(notification)
        kind = get_kind(notification.kind)
        label = str(kind.label) if kind else notification.kind
    context: dict[str, Any] = {
        "user": user,
        "notification": notification,
        "text": text,
        "kind_label": label,
        "url": absolute_url(notification.url),
        "preferences_url": preferences_url(),
    }
    from tribu.mailing import consent

    return render_email(
        "core/emails/notification", context, language,
        unsubscribe_url=consent.unsubscribe_url(user, consent.notification_topic(notification.kind)),
        preferences_url=consent.preferences_url(user),
    )


def render_digest_email(user: Any, notifications: list[Notification], total: int) -> dict[str, str]:
    language = language_for(user)
    with translation.override(language):
        items = [
            {"text": render_text(n), "url": absolute_url(n.url), "created_at": n.created_at} for n in notifications
        ]
    context: dict[str, Any] = {
        "user": user,
        "items": items,
        "count": total,
        "more": max(total - len(items), 0),
        "centre_url": settings.SITE_URL + reverse("core:notifications"),
        "preferences_url": preferences_url(),
    }
    from tribu.mailing import consent

    return render_email(
        "core/emails/notification_digest", context, language,
        unsubscribe_url=consent.unsubscribe_url(user, consent.DIGESTS),
        preferences_url=consent.preferences_url(user),
    )
