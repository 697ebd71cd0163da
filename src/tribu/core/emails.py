"""Sending email: rendered from templates in the recipient's language, sent by the task worker
after the transaction commits. Templates: ``<prefix>_subject.txt``, ``<prefix>.txt``, ``<prefix>.html``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from .community import get_community


def render_email(template_prefix: str, context: dict[str, Any], language: str) -> dict[str, str]:
    community = get_community()
    ctx = {"community": community, "site_url": settings.SITE_URL, **context}
    with translation.override(language):
        subject = render_to_string(f"{template_prefix}_subject.txt", ctx).strip().replace("\n", " ")
        text = render_to_string(f"{template_prefix}.txt", ctx)
        html = render_to_string(f"{template_prefix}.html", ctx)
    return {"subject": subject, "text": text, "html": html}


def language_for(user: Any) -> str:
    return getattr(user, "language", "") or get_community().default_language or settings.LANGUAGE_CODE


def deliver(
    to: list[str], subject: str, text: str, html: str = "", headers: dict[str, str] | None = None
) -> int:
    """Send now, in this process (tasks call this)."""
    community = get_community()
    from_email = settings.DEFAULT_FROM_EMAIL
    if "<" not in from_email and community.name:
        from_email = f"{community.name} <{from_email}>"
    message = EmailMultiAlternatives(subject, text, from_email, to, headers=headers or {})
    if html:
        message.attach_alternative(html, "text/html")
    return message.send()


def send_email_on_commit(
    to: list[str], subject: str, text: str, html: str = "", headers: dict[str, str] | None = None
) -> None:
    """Queue an email for the worker once the current transaction has committed."""
    from .tasks import send_email

    payload = {"to": to, "subject": subject, "text": text, "html": html, "headers": headers or {}}
    transaction.on_commit(lambda: send_email.enqueue(**payload))


def send_templated_email_on_commit(
    user: Any, template_prefix: str, context: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    parts = render_email(template_prefix, {"user": user, **context}, language_for(user))
    send_email_on_commit([user.email], headers=headers, **parts)
