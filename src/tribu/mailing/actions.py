"""Every write of the mailing app: members' subscriptions, the suppression list, template overrides."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tribu.accounts.models import User
from tribu.core.activity import record

from . import composer, consent, policies, registry
from .models import EmailSuppression, SuppressionReason, TemplateOverride
from .rendering import check_placeholders

# --- Subscriptions ---------------------------------------------------------------------------------


def update_subscriptions(user: Any, wanted: dict[str, bool], *, source: str = "preferences") -> list[str]:
    """Apply the member's choices (topics absent from ``wanted`` are left alone); returns the topics
    that changed. Called with the member themselves (logged in) or from a signed link."""
    unknown = set(wanted) - set(consent.TOPICS)
    if unknown:
        raise ValidationError(_("Unknown kind of email."))
    changed: list[str] = []
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one change at a time per member
        for topic, subscribed in wanted.items():
            if consent.set_subscription(user, topic, bool(subscribed)):
                changed.append(topic)
        if changed:
            record(user, "mailing.subscriptions_changed", user, topics=changed,
                   subscribed=[t for t in changed if wanted[t]], source=source)
    return changed


def unsubscribe(user: Any, topic: str, *, source: str = "one_click") -> bool:
    """The one-click unsubscription (RFC 8058) or its confirmation page: stop ``topic``."""
    consent.check_topic(topic)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        changed = consent.set_subscription(user, topic, False)
        if changed:
            record(user, "mailing.unsubscribed", user, topic=topic, source=source)
    return changed


# --- Suppression list ------------------------------------------------------------------------------


def suppress(
    email: str, reason: str, *, detail: str = "", source: str = "", actor: Any = None
) -> EmailSuppression | None:
    """Put ``email`` on the suppression list (idempotent: an address already there keeps its row and
    gets None back). Called by the webhooks and the bounce reader (no actor) and by staff (manual)."""
    address = consent.normalise(email)
    if not address or "@" not in address:
        raise ValidationError(_("Enter a valid email address."))
    if reason not in SuppressionReason.values:
        raise ValidationError(_("Unknown reason."))
    if actor is not None and not policies.can_manage_suppressions(actor):
        raise PermissionDenied
    try:
        with transaction.atomic():
            if consent.active_suppressions().filter(email=address).exists():
                return None
            row = EmailSuppression.objects.create(
                email=address, reason=reason, detail=detail[:2000], source=source[:40], created_by=actor
            )
            record(actor, "mailing.address_suppressed", row, reason=reason, source=source, audit=actor is not None)
    except IntegrityError:
        return None  # a concurrent bounce for the same address got there first
    return row


def lift_suppression(actor: Any, suppression_id: int) -> EmailSuppression:
    if not policies.can_manage_suppressions(actor):
        raise PermissionDenied
    with transaction.atomic():
        row = EmailSuppression.objects.select_for_update().filter(pk=suppression_id).first()
        if row is None:
            raise ValidationError(_("This address is not on the list."))
        if row.lifted_at is not None:
            raise ValidationError(_("This suppression was already lifted."))
        row.lifted_at = timezone.now()
        row.lifted_by = actor
        row.save(update_fields=["lifted_at", "lifted_by"])
        record(actor, "mailing.suppression_lifted", row, email=row.email, reason=row.reason, audit=True)
    return row


# --- Template overrides ----------------------------------------------------------------------------


def _template(key: str) -> registry.EmailTemplate:
    template = registry.get(key)
    if template is None:
        raise ValidationError(_("There is no such email."))
    return template


def check_override(key: str, subject: str, body: str) -> registry.EmailTemplate:
    """Validate an admin's subject and body: not empty, only the placeholders this email knows."""
    template = _template(key)
    errors: dict[str, list[str]] = {}
    if not subject.strip():
        errors.setdefault("subject", []).append(_("Write a subject."))
    if not body.strip():
        errors.setdefault("body", []).append(_("Write the message."))
    for field, value in (("subject", subject), ("body", body)):
        try:
            check_placeholders([value], template.allowed)
        except ValidationError as error:
            errors.setdefault(field, []).extend(error.messages)
    if "\n" in subject or "\r" in subject:
        errors.setdefault("subject", []).append(_("The subject must fit on one line."))
    if errors:
        raise ValidationError(errors)
    return template


def save_override(actor: Any, key: str, language: str, subject: str, body: str) -> TemplateOverride:
    if not policies.can_edit_templates(actor):
        raise PermissionDenied
    from django.conf import settings

    if language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Unknown language."))
    check_override(key, subject, body)
    values = {"subject": subject.strip(), "body": body, "updated_by": actor}
    for attempt in range(2):
        try:
            with transaction.atomic():
                override, _created = TemplateOverride.objects.select_for_update().update_or_create(
                    template=key, language=language, defaults=values,
                )
                record(actor, "mailing.template_saved", override, template=key, language=language, audit=True)
        except IntegrityError:
            if attempt:
                raise
            continue  # another admin created the row at the same moment: update it instead
        break
    composer.forget_override(key, language)
    transaction.on_commit(lambda: composer.forget_override(key, language))  # a read in between
    return override


def reset_override(actor: Any, key: str, language: str) -> bool:
    """Back to the email shipped with the platform; returns whether there was an override."""
    if not policies.can_edit_templates(actor):
        raise PermissionDenied
    with transaction.atomic():
        deleted, _rows = TemplateOverride.objects.filter(template=key, language=language).delete()
        if deleted:
            record(actor, "mailing.template_reset", None, template=key, language=language, audit=True)
        composer.forget_override(key, language)
        transaction.on_commit(lambda: composer.forget_override(key, language))
    return bool(deleted)


def send_test(actor: Any, key: str, language: str, *, subject: str | None = None, body: str | None = None) -> None:
    """Send ``key`` with sample data to the admin themselves (the draft in the form when given, else
    what members receive today)."""
    from tribu.core.emails import send_email_on_commit

    if not policies.can_edit_templates(actor):
        raise PermissionDenied
    parts = preview_parts(actor, key, language, subject=subject, body=body)
    parts["subject"] = _("[Test] %(subject)s") % {"subject": parts["subject"]}
    send_email_on_commit([actor.email], **parts)
    record(actor, "mailing.template_tested", None, template=key, language=language)


def preview_parts(
    viewer: Any, key: str, language: str, *, subject: str | None = None, body: str | None = None
) -> dict[str, str]:
    """The email ``key`` as it would be sent to ``viewer``, with sample data. With ``subject`` and
    ``body``: that draft (checked); without: the saved override or the default files."""
    from django.utils import translation

    from .rendering import text_footer, wrap_html

    template = _template(key)
    context = registry.sample_context(template, viewer)
    if subject is None or body is None:
        return composer.render(key, context, language)
    check_override(key, subject, body)
    draft = TemplateOverride(template=key, language=language, subject=subject, body=body)
    with translation.override(language):
        ctx = {"site_url": context["site_url"], **context}
        subject_text, text, inner = composer.render_override(draft, ctx, allowed=template.allowed)
        html = wrap_html(inner, language=language, subject=subject_text)
        text += text_footer()
    return {"subject": subject_text, "text": text, "html": html}
