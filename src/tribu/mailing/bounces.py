"""Hard bounces and complaints onto the suppression list, from the two ways they arrive:

- an email provider's tracking webhooks through django-anymail (``anymail.signals.tracking``,
  received at ``/email/anymail/<esp>/tracking/``);
- the SMTP server's bounce address: delivery status notifications (RFC 3464) and abuse feedback
  reports (RFC 5965, ARF) piped to ``tribu mailing_inbound`` (which also takes the ``mailto:``
  unsubscribe requests of the ``List-Unsubscribe`` header).

Soft bounces (4.x.x, "deferred") are not suppressions: the sending side retries them."""

from __future__ import annotations

import email
import email.policy
import logging
import re
from dataclasses import dataclass
from email.message import Message
from typing import Any

from django.utils.translation import gettext as _

from . import actions, consent
from .models import SuppressionReason

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What one inbound message or event did, for logs and the command's output."""

    kind: str  # hard_bounce, complaint, soft_bounce, unsubscribe, ignored
    email: str = ""
    detail: str = ""
    changed: bool = False


# --- django-anymail tracking events ----------------------------------------------------------------


HARD_REJECT_REASONS = {"bounced", "invalid"}


def handle_tracking_event(event: Any, esp_name: str = "") -> Outcome:
    """Turn one normalised anymail event into a suppression when it is a hard bounce or a complaint."""
    event_type = getattr(event, "event_type", "")
    recipient = consent.normalise(getattr(event, "recipient", "") or "")
    reject_reason = getattr(event, "reject_reason", "") or ""
    description = getattr(event, "description", "") or getattr(event, "mta_response", "") or ""
    source = f"webhook:{esp_name.lower()}"[:40] if esp_name else "webhook"
    if not recipient:
        return Outcome("ignored")
    if event_type == "complained" or (event_type == "rejected" and reject_reason == "spam"):
        reason = SuppressionReason.COMPLAINT
    elif event_type == "bounced" and _soft(getattr(event, "esp_event", None)):
        return Outcome("soft_bounce", recipient)
    elif event_type == "bounced" or (event_type == "rejected" and reject_reason in HARD_REJECT_REASONS):
        reason = SuppressionReason.HARD_BOUNCE
    else:
        return Outcome("ignored", recipient)
    detail = description or _("Reported by %(esp)s.") % {"esp": esp_name or _("the email provider")}
    row = actions.suppress(recipient, reason, detail=str(detail), source=source)
    return Outcome(reason, recipient, str(detail), changed=row is not None)


def _soft(esp_event: Any) -> bool:
    """Providers that report temporary failures as "bounced" too (Postmark SoftBounce, SES Transient,
    Mailgun temporary severity): not a reason to stop sending."""
    if not isinstance(esp_event, dict):
        return False
    bounce = esp_event.get("bounce") if isinstance(esp_event.get("bounce"), dict) else {}
    return (
        esp_event.get("Type") == "SoftBounce"
        or str(esp_event.get("severity", "")).lower() == "temporary"
        or bounce.get("bounceType") == "Transient"
    )


def tracking_receiver(sender: Any, event: Any, esp_name: str = "", **kwargs: Any) -> None:
    try:
        handle_tracking_event(event, esp_name)
    except Exception:
        logger.exception("Could not handle the %s tracking event from %s", getattr(event, "event_type", "?"), esp_name)
        raise


# --- Messages arriving at the bounce address -------------------------------------------------------


_UNSUBSCRIBE_SUBJECT = re.compile(r"^\s*unsubscribe\s+(\S+)\s*$", re.I)


def parse(raw: bytes | str) -> Message:
    if isinstance(raw, str):
        return email.message_from_string(raw, policy=email.policy.compat32)
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def handle_inbound(raw: bytes | str) -> list[Outcome]:
    """Read one message that reached the bounce or unsubscribe address and act on it."""
    message = parse(raw)
    content_type = message.get_content_type()
    report_type = (message.get_param("report-type") or "").lower() if content_type == "multipart/report" else ""
    if report_type == "delivery-status":
        return _delivery_status(message)
    if report_type == "feedback-report":
        return [_feedback_report(message)]
    unsubscribe = _unsubscribe_request(message)
    if unsubscribe is not None:
        return [unsubscribe]
    return [Outcome("ignored", detail=str(message.get("Subject", "")))]


def _status_blocks(message: Message) -> list[Message]:
    blocks: list[Message] = []
    for part in message.walk():
        if part.get_content_type() in {"message/delivery-status", "message/global-delivery-status"}:
            payload = part.get_payload()
            if isinstance(payload, list):
                blocks.extend(payload)
            elif isinstance(payload, str):
                # Some servers send it as plain text: fields, blank line, fields…
                for chunk in re.split(r"\r?\n\r?\n", payload.strip()):
                    blocks.append(email.message_from_string(chunk))
    return blocks


def _address(value: str | None) -> str:
    """``rfc822; jane@example.org`` → ``jane@example.org``."""
    if not value:
        return ""
    _type, _sep, address = str(value).partition(";")
    return consent.normalise((address or _type).strip().strip("<>"))


def _delivery_status(message: Message) -> list[Outcome]:
    outcomes = []
    for block in _status_blocks(message):
        recipient = _address(block.get("Final-Recipient") or block.get("Original-Recipient"))
        if not recipient:
            continue  # the per-message block (Reporting-MTA…)
        action = str(block.get("Action", "")).strip().lower()
        status = str(block.get("Status", "")).strip()
        diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
        detail = f"{status} {diagnostic}".strip()
        if action == "failed" and status.startswith("5"):
            row = actions.suppress(recipient, SuppressionReason.HARD_BOUNCE, detail=detail, source="smtp_bounce")
            outcomes.append(Outcome(SuppressionReason.HARD_BOUNCE, recipient, detail, changed=row is not None))
        elif action in {"failed", "delayed"}:
            outcomes.append(Outcome("soft_bounce", recipient, detail))
        else:
            outcomes.append(Outcome("ignored", recipient, detail))
    return outcomes or [Outcome("ignored", detail=str(message.get("Subject", "")))]


def _feedback_report(message: Message) -> Outcome:
    recipient = ""
    feedback_type = ""
    for part in message.walk():
        if part.get_content_type() == "message/feedback-report":
            payload = part.get_payload()
            fields = payload[0] if isinstance(payload, list) and payload else (
                email.message_from_string(payload) if isinstance(payload, str) else None
            )
            if fields is not None:
                recipient = _address(fields.get("Original-Rcpt-To"))
                feedback_type = str(fields.get("Feedback-Type", "abuse")).strip()
        elif part.get_content_type() in {"message/rfc822", "text/rfc822-headers"} and not recipient:
            payload = part.get_payload()
            original = payload[0] if isinstance(payload, list) and payload else (
                email.message_from_string(payload) if isinstance(payload, str) else None
            )
            if original is not None:
                recipient = consent.normalise(str(original.get("To", "")))
    if not recipient:
        return Outcome("ignored", detail=_("A complaint without the address it is about."))
    detail = _("Complaint (%(type)s) reported by the recipient's mailbox provider.") % {
        "type": feedback_type or "abuse"
    }
    row = actions.suppress(recipient, SuppressionReason.COMPLAINT, detail=detail, source="smtp_feedback")
    return Outcome(SuppressionReason.COMPLAINT, recipient, detail, changed=row is not None)


def _unsubscribe_request(message: Message) -> Outcome | None:
    """A ``mailto:`` unsubscription: subject ``unsubscribe <token>``, sent from any address (the
    token is signed; RFC 2369 mail clients send exactly that)."""
    from email.header import decode_header, make_header

    subject = str(make_header(decode_header(str(message.get("Subject", "")))))
    match = _UNSUBSCRIBE_SUBJECT.match(subject)
    if not match:
        return None
    parsed = consent.read_unsubscribe_token(match.group(1))
    if parsed is None:
        return Outcome("ignored", detail=_("An unsubscribe request with a broken link."))
    from tribu.accounts.models import User

    user = User.objects.filter(pk=parsed[0], is_active=True).first()
    if user is None:
        return Outcome("ignored", detail=_("An unsubscribe request for an account that no longer exists."))
    changed = actions.unsubscribe(user, parsed[1], source="mailto")
    return Outcome("unsubscribe", user.email, parsed[1], changed=changed)
