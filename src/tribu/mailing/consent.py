"""Who may receive which email. Four topics a member can stop, each kept where it already lives:

- ``newsletter`` and ``event_announcements``: the member's consents (``tribu.privacy``), opt-in;
- ``digests``: the member's notification preferences (a kind delivered in the daily digest);
- ``campaigns``: this app's ``TopicPreference`` (community campaigns; members receive them unless
  they opted out).

``transactional`` is not a topic a member can stop (receipts, password resets): only a suppression
blocks it. Every address on the suppression list (hard bounce, complaint, manual) receives nothing.

Links in emails are signed (``django.core.signing``, no expiry: an unsubscribe link in an old email
must still work; the same link for the same member and topic) and work without logging in:
``unsubscribe_url(user, topic)`` (one click, RFC 8058) and ``preferences_url(user)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import EmailSuppression, TopicPreference

NEWSLETTER = "newsletter"
EVENT_ANNOUNCEMENTS = "event_announcements"
DIGESTS = "digests"
CAMPAIGNS = "campaigns"
TRANSACTIONAL = "transactional"

UNSUBSCRIBE_SALT = "tribu.mailing.unsubscribe"
PREFERENCES_SALT = "tribu.mailing.preferences"


@dataclass(frozen=True)
class Topic:
    code: str
    label: Any
    description: Any
    default: bool  # what a member who never said anything gets


TOPICS: dict[str, Topic] = {
    t.code: t
    for t in (
        Topic(NEWSLETTER, pgettext_lazy("mailing topic", "Newsletter"),
              _("The community newsletter."), False),
        Topic(EVENT_ANNOUNCEMENTS, pgettext_lazy("mailing topic", "Event announcements"),
              _("Announcements of upcoming events."), False),
        Topic(DIGESTS, pgettext_lazy("mailing topic", "Notification digest"),
              _("One email a day or a week, as you choose, with the notifications you chose to get by digest."), True),
        Topic(CAMPAIGNS, pgettext_lazy("mailing topic", "Community campaigns"),
              _("Emails the community team sends to members."), True),
    )
}


def topics() -> list[Topic]:
    return list(TOPICS.values())


# One kind of notification sent by email (``notification:<kind code>``): its one-click link moves that
# kind to "in the app only". Not shown in the preference centre (the notification preferences are).
NOTIFICATION_PREFIX = "notification:"


def notification_topic(kind: str) -> str:
    return NOTIFICATION_PREFIX + kind


def _notification_kind(topic: str) -> Any:
    if not topic.startswith(NOTIFICATION_PREFIX):
        return None
    from tribu.core.notifications.kinds import get_kind

    return get_kind(topic.removeprefix(NOTIFICATION_PREFIX))


def check_topic(topic: str) -> Topic:
    if topic in TOPICS:
        return TOPICS[topic]
    kind = _notification_kind(topic)
    if kind is not None:
        return Topic(topic, kind.label, kind.description, True)
    raise ValueError(f"Unknown mailing topic {topic!r}")


# --- Suppression ----------------------------------------------------------------------------------


def normalise(email: str) -> str:
    return parseaddr(email or "")[1].strip().lower()


def active_suppressions() -> QuerySet[EmailSuppression]:
    """Addresses are stored normalised (lower case), so lookups are exact and use the index."""
    return EmailSuppression.objects.filter(lifted_at__isnull=True)


def is_suppressed(email: str) -> bool:
    address = normalise(email)
    return bool(address) and active_suppressions().filter(email=address).exists()


def suppression_for(email: str) -> EmailSuppression | None:
    address = normalise(email)
    if not address:
        return None
    return active_suppressions().filter(email=address).first()


def suppressed_among(emails: Iterable[str]) -> dict[str, str]:
    """``{address: reason}`` for the suppressed addresses among ``emails`` (lower-cased; one query)."""
    wanted = {normalise(e) for e in emails} - {""}
    if not wanted:
        return {}
    found: dict[str, str] = {}
    items = sorted(wanted)
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        rows = active_suppressions().filter(email__in=chunk).values_list("email", "reason")
        found.update({email.lower(): reason for email, reason in rows})
    return found


# --- Consent per topic ----------------------------------------------------------------------------


def _digest_kinds() -> list[str]:
    from tribu.core.models import NotificationChannel
    from tribu.core.notifications.kinds import all_kinds

    return [k.code for k in all_kinds() if k.default_channel == NotificationChannel.DIGEST]


def is_subscribed(user: Any, topic: str) -> bool:
    """The member's own word on ``topic`` (suppression aside)."""
    check_topic(topic)
    if topic in (NEWSLETTER, EVENT_ANNOUNCEMENTS):
        from tribu.privacy.queries import has_consent

        return has_consent(user, topic)
    if topic == DIGESTS:
        from tribu.core.models import DigestFrequency, DigestPreference, NotificationChannel
        from tribu.core.notifications.queries import preference_rows

        if DigestPreference.objects.filter(user=user, frequency=DigestFrequency.NEVER).exists():
            return False
        return any(channel == NotificationChannel.DIGEST for _kind, channel in preference_rows(user))
    kind = _notification_kind(topic)
    if kind is not None:
        from tribu.core.models import NotificationChannel
        from tribu.core.notifications.queries import channels_for

        return channels_for([user.pk], kind.code)[user.pk] == NotificationChannel.EMAIL
    row = TopicPreference.objects.filter(user=user, topic=topic).only("subscribed").first()
    return TOPICS[topic].default if row is None else row.subscribed


def subscriptions(user: Any) -> dict[str, bool]:
    return {t.code: is_subscribed(user, t.code) for t in topics()}


def may_send(user: Any, topic: str) -> bool:
    """Whether ``user`` may receive an email of ``topic`` now: an active member with an address, who
    did not stop the topic, at an address not on the suppression list. ``transactional``: only the
    address and the suppression list count."""
    email = getattr(user, "email", "")
    if not email or not getattr(user, "is_active", True):
        return False
    if topic != TRANSACTIONAL and not is_subscribed(user, topic):
        return False
    return not is_suppressed(email)


def sendable(users: QuerySet, topic: str) -> QuerySet:
    """``users`` narrowed to those ``may_send`` accepts, in one SQL query (for campaigns and segments)."""
    from django.db.models.functions import Lower

    suppressed = active_suppressions().filter(email=Lower(OuterRef("email")))
    users = users.filter(is_active=True).exclude(email="").exclude(Exists(suppressed))
    if topic == TRANSACTIONAL:
        return users
    check_topic(topic)
    if topic in (NEWSLETTER, EVENT_ANNOUNCEMENTS):
        from tribu.privacy.models import Consent

        latest = Consent.objects.filter(user=OuterRef("pk"), kind=topic).order_by("-created_at", "-id")
        return users.annotate(_consent=Subquery(latest.values("granted")[:1])).filter(_consent=True)
    if topic == DIGESTS:
        from tribu.core.models import DigestFrequency, DigestPreference, NotificationChannel, NotificationPreference

        never = DigestPreference.objects.filter(user=OuterRef("pk"), frequency=DigestFrequency.NEVER)
        users = users.exclude(Exists(never))
        prefs = NotificationPreference.objects.filter(user=OuterRef("pk"))
        digest_chosen = Exists(prefs.filter(channel=NotificationChannel.DIGEST))
        default_kept = Q()
        for code in _digest_kinds():
            default_kept |= ~Exists(prefs.filter(kind=code))
        if not _digest_kinds():
            return users.filter(digest_chosen)
        return users.filter(digest_chosen | default_kept)
    kind = _notification_kind(topic)
    if kind is not None:
        from tribu.core.models import NotificationChannel, NotificationPreference

        prefs = NotificationPreference.objects.filter(user=OuterRef("pk"), kind=kind.code)
        chosen = Exists(prefs.filter(channel=NotificationChannel.EMAIL))
        if kind.default_channel == NotificationChannel.EMAIL:
            return users.filter(chosen | ~Exists(prefs))
        return users.filter(chosen)
    rows = TopicPreference.objects.filter(user=OuterRef("pk"), topic=topic)
    if TOPICS[topic].default:
        return users.exclude(Exists(rows.filter(subscribed=False)))
    return users.filter(Exists(rows.filter(subscribed=True)))


def set_subscription(user: Any, topic: str, subscribed: bool, *, source: str = "") -> bool:
    """Record the member's choice on ``topic``; returns whether anything changed. The action layer
    (``actions.update_subscriptions`` / ``actions.unsubscribe``) records the activity around it."""
    check_topic(topic)
    if is_subscribed(user, topic) == subscribed:
        return False
    with transaction.atomic():
        if topic in (NEWSLETTER, EVENT_ANNOUNCEMENTS):
            from tribu.privacy.actions import record_consent

            record_consent(user, topic, subscribed)
        elif topic == DIGESTS:
            from tribu.core.models import NotificationChannel
            from tribu.core.notifications.actions import set_preference
            from tribu.core.notifications.queries import preference_rows

            if subscribed:
                from tribu.core.models import DigestFrequency, DigestPreference

                DigestPreference.objects.filter(user=user, frequency=DigestFrequency.NEVER).update(
                    frequency=DigestFrequency.DAILY
                )
                for code in _digest_kinds():
                    set_preference(user, code, NotificationChannel.DIGEST)
            else:
                for kind, channel in preference_rows(user):
                    if channel == NotificationChannel.DIGEST:
                        set_preference(user, kind.code, NotificationChannel.IN_APP)
        elif _notification_kind(topic) is not None:
            from tribu.core.models import NotificationChannel
            from tribu.core.notifications.actions import set_preference

            channel = NotificationChannel.EMAIL if subscribed else NotificationChannel.IN_APP
            set_preference(user, topic.removeprefix(NOTIFICATION_PREFIX), channel)
        else:
            TopicPreference.objects.update_or_create(user=user, topic=topic, defaults={"subscribed": subscribed})
    return True


# --- Signed links ---------------------------------------------------------------------------------


def unsubscribe_token(user: Any, topic: str) -> str:
    check_topic(topic)
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object({"u": user.pk, "t": topic}, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """``(user id, topic)`` or None for a forged or mangled token."""
    try:
        data = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("t"), str) or not isinstance(data.get("u"), int):
        return None
    try:
        check_topic(data["t"])
    except ValueError:
        return None
    return data["u"], data["t"]


def preferences_token(user: Any) -> str:
    return signing.Signer(salt=PREFERENCES_SALT).sign_object({"u": user.pk}, compress=True)


def read_preferences_token(token: str) -> int | None:
    try:
        data = signing.Signer(salt=PREFERENCES_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    return data["u"]


def unsubscribe_url(user: Any, topic: str) -> str:
    """Absolute, signed one-click link (no login); GET shows a confirmation, POST unsubscribes."""
    return settings.SITE_URL + reverse("mailing:unsubscribe", args=[unsubscribe_token(user, topic)])


def preferences_url(user: Any) -> str:
    """Absolute, signed link to the member's preference centre (no login)."""
    return settings.SITE_URL + reverse("mailing:preferences_signed", args=[preferences_token(user)])


def unsubscribe_mailbox() -> str:
    """The address that takes ``mailto:`` unsubscribe requests (the ``MAILING_UNSUBSCRIBE_EMAIL`` setting,
    from the ``TRIBU_UNSUBSCRIBE_EMAIL`` environment variable, else the sender's address);
    ``tribu mailing_inbound`` reads what arrives there."""
    configured = getattr(settings, "MAILING_UNSUBSCRIBE_EMAIL", "")
    return normalise(configured or settings.DEFAULT_FROM_EMAIL)


def list_unsubscribe_headers(user: Any, topic: str, *, url: str = "") -> dict[str, str]:
    """RFC 2369 + RFC 8058 headers for a non-transactional email to ``user`` about ``topic`` (pass the
    ``unsubscribe_url`` already made for the body to skip signing it twice)."""
    token = unsubscribe_token(user, topic)
    url = url or settings.SITE_URL + reverse("mailing:unsubscribe", args=[token])
    value = f"<{url}>"
    mailbox = unsubscribe_mailbox()
    if mailbox:
        value += f", <mailto:{mailbox}?subject={quote('unsubscribe ' + token)}>"
    return {"List-Unsubscribe": value, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
