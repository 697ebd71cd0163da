"""Billing emails: a document with its PDF attached, and renewal reminders. Rendered in the
recipient's language (``tribu.core.emails``); the document email is sent by the ``send_document``
task once the payment's transaction has committed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from tribu.core.community import get_community
from tribu.core.emails import language_for, render_email

from .models import Document, DocumentKind

TEMPLATE_OF = {
    DocumentKind.INVOICE: "billing/emails/invoice",
    DocumentKind.RECEIPT: "billing/emails/receipt",
    DocumentKind.CREDIT_NOTE: "billing/emails/credit_note",
    DocumentKind.TAX_RECEIPT: "billing/emails/tax_receipt",
}


def document_recipients(document: Document) -> list[Any]:
    from tribu.accounts.models import User

    if document.user_id:
        user = document.user
        return [user] if user is not None and user.is_active and user.email else []
    if document.company_id:
        return list(User.objects.filter(company_attachment__company_id=document.company_id,
                                        company_attachment__is_contact=True, is_active=True).exclude(email=""))
    return []


def _from_email() -> str:
    from_email = settings.DEFAULT_FROM_EMAIL
    community = get_community()
    if "<" not in from_email and community.name:
        from_email = f"{community.name} <{from_email}>"
    return from_email


def _not_suppressed(to: list[str], subject: str) -> list[str]:
    """Addresses that bounced or complained are left out, as for every other email (mailing app)."""
    try:
        from tribu.mailing.suppression import drop_suppressed
    except ImportError:
        return to
    return drop_suppressed(to, subject)


def send_document_now(document_id: int) -> int:
    """Send the document to its recipients (once: a document already emailed is skipped)."""
    from . import actions, pdf

    document = Document.objects.select_related("user", "company", "payment", "original").filter(
        pk=document_id).first()
    if document is None or document.emailed_at is not None:
        return 0
    people = document_recipients(document)
    if not people:
        return 0
    content = pdf.render(document)
    sent = 0
    for person in people:
        parts = render_email(TEMPLATE_OF[DocumentKind(document.kind)], {
            "user": person, "document": document,
            "url": reverse("billing:document", args=[document.pk]),
            "account_url": reverse("memberships:mine"),
        }, language_for(person))
        to = _not_suppressed([person.email], parts["subject"])
        if not to:
            continue
        message = EmailMultiAlternatives(parts["subject"], parts["text"], _from_email(), to)
        message.attach_alternative(parts["html"], "text/html")
        message.attach(document.filename, content, "application/pdf")
        sent += message.send()
    actions.mark_emailed(document.pk)
    return sent
