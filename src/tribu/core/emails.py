"""Sending email: rendered from templates in the recipient's language, sent by the task worker
after the transaction commits. Templates: ``<prefix>_subject.txt``, ``<prefix>.txt``, ``<prefix>.html``.

The mailing app owns the rendering (admins' overrides per language, the branded layout, a plain-text
part) and the suppression list: ``deliver`` sends nothing to a suppressed address."""

from __future__ import annotations

import email.policy
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction

from .community import get_community


def render_email(
    template_prefix: str,
    context: dict[str, Any],
    language: str,
    *,
    unsubscribe_url: str = "",
    preferences_url: str = "",
) -> dict[str, str]:
    """``{"subject", "text", "html"}``: the admins' version of this email in ``language`` if there is
    one, else the template files; in the branded layout (with the unsubscribe links when given)."""
    from tribu.mailing.composer import render

    return render(
        template_prefix, context, language, unsubscribe_url=unsubscribe_url, preferences_url=preferences_url
    )


def language_for(user: Any) -> str:
    return getattr(user, "language", "") or get_community().default_language or settings.LANGUAGE_CODE


class TribuEmail(EmailMultiAlternatives):
    """An email whose headers are never folded into encoded words: mail clients must read the URL of
    ``List-Unsubscribe`` as is (RFC 8058), and the default 78-column policy encodes long URLs."""

    def message(self, *, policy: email.policy.Policy = email.policy.default) -> Any:
        return super().message(policy=policy.clone(max_line_length=998))


def make_message(
    to: list[str], subject: str, text: str, html: str = "", headers: dict[str, str] | None = None,
    from_email: str | None = None, connection: Any = None,
) -> TribuEmail:
    """The message ``deliver`` sends (campaign senders reuse it for their own connection)."""
    if from_email is None:
        community = get_community()
        from_email = settings.DEFAULT_FROM_EMAIL
        if "<" not in from_email and community.name:
            from_email = f"{community.name} <{from_email}>"
    message = TribuEmail(subject, text, from_email, to, headers=headers or {}, connection=connection)
    if html:
        message.attach_alternative(html, "text/html")
    return message


def deliver(
    to: list[str], subject: str, text: str, html: str = "", headers: dict[str, str] | None = None
) -> int:
    """Send now, in this process (tasks call this). Suppressed addresses are dropped (and recorded)."""
    from tribu.mailing.suppression import drop_suppressed

    to = drop_suppressed(to, subject)
    if not to:
        return 0
    return make_message(to, subject, text, html, headers).send()


def send_email_on_commit(
    to: list[str], subject: str, text: str, html: str = "", headers: dict[str, str] | None = None
) -> None:
    """Queue an email for the worker once the current transaction has committed."""
    from .tasks import send_email

    payload = {"to": to, "subject": subject, "text": text, "html": html, "headers": headers or {}}
    transaction.on_commit(lambda: send_email.enqueue(**payload))


def send_templated_email_on_commit(
    user: Any,
    template_prefix: str,
    context: dict[str, Any],
    headers: dict[str, str] | None = None,
    *,
    topic: str = "",
) -> bool:
    """Render ``template_prefix`` for ``user`` and queue it. With a mailing ``topic`` (newsletter,
    event_announcements, digests, campaigns) the email is not transactional: it is sent only if the
    member did not stop that topic, and carries an unsubscribe link and ``List-Unsubscribe`` headers.
    Returns whether it was queued."""
    extra: dict[str, str] = {}
    if topic:
        from tribu.mailing import consent

        if not consent.may_send(user, topic):
            return False
        extra = {
            "unsubscribe_url": consent.unsubscribe_url(user, topic),
            "preferences_url": consent.preferences_url(user),
        }
        headers = {**(headers or {}), **consent.list_unsubscribe_headers(user, topic, url=extra["unsubscribe_url"])}
    parts = render_email(template_prefix, {"user": user, **context}, language_for(user), **extra)
    send_email_on_commit([user.email], headers=headers, **parts)
    return True
