"""Every write of billing.

Documents (called by the payments app, inside the payment's transaction):

- ``issue_receipt(payment) -> Document`` when a payment succeeds: a receipt, or a tax receipt for a
  donation when the organisation may issue them. Idempotent: a second call for the same payment
  returns the first document (the payment row is locked, and a unique constraint backs it up).
- ``issue_credit_note(payment, amount_cents, key="") -> Document`` on a refund; ``key`` (the refund's
  id) makes a repeated call return the same credit note. The credit notes of a payment never exceed it.
- ``issue_invoice(payment) -> Document``: an invoice for a payment still due (a company asking for one).

Each document takes the next number of its (kind, year) from a ``DocumentCounter`` row locked in the
same transaction, so numbers are sequential without gaps even when payments succeed concurrently, and a
rolled-back payment gives its number back. The document's email (PDF attached, in the member's language)
is queued after the commit.

Settings and renewals: ``update_organisation``, ``send_manual_reminder`` (rate-limited); the scheduled
reminders live in ``renewals.py``.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tribu.core.activity import record

from . import policies
from .models import (
    ISSUED_ON_PAYMENT,
    PREFIX,
    Document,
    DocumentCounter,
    DocumentKind,
    Organisation,
    ReminderKind,
    RenewalReminder,
)

MANUAL_REMINDER_INTERVAL = timedelta(hours=24)


# --- numbering ------------------------------------------------------------------------------------------


def next_sequence(kind: str, year: int, count: int = 1) -> int:
    """The next number of (kind, year) (with ``count``, the last of the next ``count`` numbers). The
    counter row stays locked until the caller's transaction ends: one ``UPDATE … RETURNING`` takes the
    lock and the number(s) in a single round trip."""
    table = connection.ops.quote_name(DocumentCounter._meta.db_table)
    sql = f"UPDATE {table} SET last = last + %s WHERE kind = %s AND year = %s RETURNING last"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, kind, year])
        row = cursor.fetchone()
        if row is None:
            # A concurrent transaction may create it meanwhile: then the UPDATE below waits for theirs.
            with contextlib.suppress(IntegrityError), transaction.atomic():
                DocumentCounter.objects.create(kind=kind, year=year, last=0)
            cursor.execute(sql, [count, kind, year])
            row = cursor.fetchone()
    return int(row[0])


def format_number(kind: str, year: int, sequence: int) -> str:
    return f"{PREFIX[DocumentKind(kind)]}-{year}-{sequence:05d}"


# --- snapshots ------------------------------------------------------------------------------------------


_batch = threading.local()


@contextlib.contextmanager
def same_organisation() -> Iterator[None]:
    """Documents issued in this block (a batch of payments applied in one transaction) share one reading
    of the organisation's legal details instead of one query each, and are numbered together at the
    block's end (``_number_batch``): the counter is locked from then to the commit only, not from the
    batch's first document, so two workers' batches run side by side up to that point. Use it inside
    the transaction (the block ends before its commit)."""
    if getattr(_batch, "seller", None) is not None:
        yield
        return
    _batch.seller = {}
    _batch.unnumbered = []
    try:
        yield
        _number_batch(_batch.unnumbered)
    finally:
        _batch.seller = None
        _batch.unnumbered = None


def _number_batch(document_ids: list[int]) -> None:
    """Number the documents of a batch still there (an event's savepoint rolled back takes its document
    with it): per (kind, year), one ``UPDATE … SET last = last + n RETURNING last`` takes the n numbers
    and the counter's lock until the commit, then one ``UPDATE`` writes them, in the documents' order.
    Same transaction as the documents: a rollback gives every number back, no gap."""
    if not document_ids:
        return
    rows = list(Document.objects.filter(pk__in=document_ids, sequence__isnull=True).order_by("pk")
                .values_list("pk", "kind", "year"))
    groups: dict[tuple[str, int], list[int]] = {}
    for pk, kind, year in rows:
        groups.setdefault((kind, year), []).append(pk)
    numbered: list[Document] = []
    for (kind, year), pks in sorted(groups.items()):
        last = next_sequence(kind, year, len(pks))
        for offset, pk in enumerate(pks):
            sequence = last - len(pks) + 1 + offset
            numbered.append(Document(pk=pk, sequence=sequence, number=format_number(kind, year, sequence)))
    Document.objects.bulk_update(numbered, ["sequence", "number"])


def seller_snapshot(org: Organisation | None = None) -> dict[str, Any]:
    memo = getattr(_batch, "seller", None)
    if org is None and memo:
        return dict(memo)
    snapshot = _seller_snapshot(org)
    if org is None and memo is not None:
        memo.update(snapshot)
    return snapshot


def _seller_snapshot(org: Organisation | None = None) -> dict[str, Any]:
    from tribu.core.community import get_community

    org = org or Organisation.get()
    return {
        "name": org.legal_name or get_community().name,
        "address": org.address,
        "siret": org.siret,
        "rna": org.rna,
        "vat_number": org.vat_number,
        "vat_mention": "" if org.vat_number else org.vat_mention,
        "email": org.email,
        "iban": org.iban,
        "bic": org.bic,
        "footer": org.invoice_footer,
        "tax_receipt_article": org.tax_receipt_article,
        "object": org.object_description,
        "signatory": org.signatory,
    }


def buyer_snapshot(payment: Any) -> dict[str, Any]:
    if payment.company_id:
        c = payment.company
        address = "\n".join(x for x in [c.address, " ".join(y for y in [c.postcode, c.city] if y), c.country] if x)
        return {"kind": "company", "name": c.name, "address": address, "siret": c.siret,
                "vat_number": getattr(c, "vat_number", ""),
                "contact": payment.user.name if payment.user_id else "",
                "email": payment.user.email if payment.user_id else ""}
    if payment.user_id:
        u = payment.user
        return {"kind": "member", "name": u.name, "address": "", "siret": "", "contact": "", "email": u.email}
    return {"kind": "member", "name": "", "address": "", "siret": "", "contact": "", "email": ""}


def _line_label(payment: Any) -> str:
    from tribu.payments.models import PaymentPurpose

    if payment.description:
        return payment.description
    if payment.purpose == PaymentPurpose.DONATION:
        return _("Donation")
    if payment.tier_id:
        return _("Membership dues: %(tier)s") % {"tier": payment.tier.name}
    return str(PaymentPurpose(payment.purpose).label) if payment.purpose in PaymentPurpose.values else _("Payment")


def _lines(payment: Any, amount_cents: int) -> list[dict[str, Any]]:
    return [{
        "label": _line_label(payment),
        "quantity": 1,
        "unit_cents": amount_cents,
        "total_cents": amount_cents,
        "period_start": payment.period_start.isoformat() if payment.period_start else "",
        "period_end": payment.period_end.isoformat() if payment.period_end else "",
    }]


def document_language(payment: Any) -> str:
    from tribu.core.emails import language_for

    person = payment.user if payment.user_id else None
    if person is None and payment.company_id:
        person = _company_contacts(payment.company_id)[:1]
        person = person[0] if person else None
    lang = language_for(person) if person is not None else language_for(None)
    return (lang or "fr")[:2]


def _company_contacts(company_id: int) -> list[Any]:
    from tribu.accounts.models import User

    return list(User.objects.filter(company_attachment__company_id=company_id, company_attachment__is_contact=True,
                                    is_active=True).order_by("pk"))


# --- issuing --------------------------------------------------------------------------------------------


def _lock_payment(payment: Any) -> Any:
    from tribu.payments.models import Payment

    return Payment.objects.select_for_update(of=("self",)).select_related("user", "company", "tier").get(pk=payment.pk)


def _create(kind: str, payment: Any, *, amount_cents: int, original: Document | None = None, key: str = "",
            email: bool = True) -> Document:
    """Number and write one document (inside the caller's transaction), then queue its email."""
    now = timezone.now()
    year = timezone.localtime(now).year
    language = document_language(payment)
    with translation.override(language):
        lines = _lines(payment, amount_cents)
    seller, buyer = seller_snapshot(), buyer_snapshot(payment)
    # Everything that can be read is read before the counter is locked: from here to the end of the
    # caller's transaction, other payments wait for their number.
    unnumbered = getattr(_batch, "unnumbered", None)
    # A savepoint: a refused insert gives its number back. In a batch nothing is numbered here, and
    # each event has its own savepoint around this: none (two round trips fewer per document).
    with transaction.atomic(savepoint=unnumbered is None):
        # Written first with a provisional number (never visible: the same transaction numbers it), so
        # that only two short UPDATEs run while the counter is locked.
        document = Document.objects.create(
            kind=kind, year=year, sequence=None, number=f"~{uuid.uuid4().hex[:24]}",
            payment=payment, original=original, user_id=payment.user_id, company_id=payment.company_id,
            seller=seller, buyer=buyer, lines=lines,
            total_cents=amount_cents, tax_cents=0, currency=payment.currency,
            payment_method=payment.method, payment_reference=payment.reference, paid_at=payment.paid_at,
            language=language, key=key, issued_at=now,
        )
        record(None, "document.issued", document, kind=kind, payment=payment.reference,
               amount_cents=amount_cents, currency=payment.currency)
        if unnumbered is not None:  # a batch: numbered with the others at its end (``same_organisation``)
            unnumbered.append(document.pk)
            return _queued_email(document, email)
        document.sequence = next_sequence(kind, year)
        document.number = format_number(kind, year, document.sequence)
        Document.objects.filter(pk=document.pk).update(sequence=document.sequence, number=document.number)
    return _queued_email(document, email)


def _queued_email(document: Document, email: bool) -> Document:
    if email:
        from .tasks import send_document

        document_id = document.pk
        transaction.on_commit(lambda: send_document.enqueue(document_id))
    return document


def receipt_of(payment: Any) -> Document | None:
    return Document.objects.filter(payment_id=payment.pk, kind__in=ISSUED_ON_PAYMENT).first()


def issue_receipt(payment: Any, *, email: bool = True, locked: bool = False) -> Document:
    """The receipt (or tax receipt, for a donation when the organisation may issue them) of a payment
    that succeeded. Call it in the transaction that marks the payment paid; calling it again returns
    the same document. ``locked``: the caller holds the payment's row lock (and passes that row)."""
    from tribu.payments.models import PaymentPurpose, PaymentStatus

    # Called by a caller holding the row, inside its transaction, that rolls back as a whole on error: no
    # savepoint of its own (two round trips fewer).
    with transaction.atomic(savepoint=not locked):
        locked = payment if locked else _lock_payment(payment)
        existing = receipt_of(locked)
        if existing is not None:
            return existing
        if locked.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED):
            raise ValidationError(_("A receipt is issued once the payment is received."))
        if locked.amount_cents <= 0:
            raise ValidationError(_("There is nothing to acknowledge: the amount is zero."))
        kind = DocumentKind.RECEIPT
        if locked.purpose == PaymentPurpose.DONATION and Organisation.get().tax_receipts_enabled:
            kind = DocumentKind.TAX_RECEIPT
        try:
            return _create(kind, locked, amount_cents=locked.amount_cents, email=email)
        except IntegrityError:  # unique receipt per payment: another caller issued it first
            existing = receipt_of(locked)
            if existing is None:
                raise
            return existing


def issue_credit_note(payment: Any, amount_cents: int, *, key: str = "", email: bool = True) -> Document:
    """A credit note for ``amount_cents`` refunded on ``payment``, referring to its receipt (or invoice).
    With a ``key`` (a refund id), a repeated call returns the credit note already issued."""
    amount_cents = int(amount_cents)
    if amount_cents <= 0:
        raise ValidationError(_("A refund must be a positive amount."))
    with transaction.atomic():
        locked = _lock_payment(payment)
        if key:
            existing = Document.objects.filter(payment_id=locked.pk, key=key, kind=DocumentKind.CREDIT_NOTE).first()
            if existing is not None:
                return existing
        credited = Document.objects.filter(payment_id=locked.pk, kind=DocumentKind.CREDIT_NOTE).aggregate(
            s=Sum("total_cents"))["s"] or 0
        if credited + amount_cents > locked.amount_cents:
            raise ValidationError(_("The credit notes of a payment cannot exceed the amount paid."))
        original = receipt_of(locked) or Document.objects.filter(
            payment_id=locked.pk, kind=DocumentKind.INVOICE).first()
        return _create(DocumentKind.CREDIT_NOTE, locked, amount_cents=amount_cents, original=original, key=key,
                       email=email)


def issue_invoice(actor: Any, payment: Any) -> Document:
    """An invoice for a payment (a company's accountant often wants one before paying). Idempotent."""
    if actor is not None and not policies.can_request_invoice(actor, payment):
        raise PermissionDenied
    from tribu.payments.models import PaymentStatus

    with transaction.atomic():
        locked = _lock_payment(payment)
        existing = Document.objects.filter(payment_id=locked.pk, kind=DocumentKind.INVOICE).first()
        if existing is not None:
            return existing
        if locked.status in (PaymentStatus.FAILED, PaymentStatus.CANCELLED):
            raise ValidationError(_("This payment was cancelled: there is nothing to invoice."))
        return _create(DocumentKind.INVOICE, locked, amount_cents=locked.amount_cents)


def mark_emailed(document_id: int) -> None:
    Document.objects.filter(pk=document_id, emailed_at__isnull=True).update(emailed_at=timezone.now())


# --- organisation ---------------------------------------------------------------------------------------

ORGANISATION_FIELDS = [
    "legal_name", "address", "siret", "rna", "vat_number", "vat_mention", "email", "iban", "bic",
    "invoice_footer", "tax_receipts_enabled", "tax_receipt_article", "object_description", "signatory",
    "reminder_offsets",
]


def update_organisation(actor: Any, values: dict[str, Any]) -> Organisation:
    if not policies.can_manage_billing(actor):
        raise PermissionDenied
    with transaction.atomic():
        org = Organisation.get()
        org = Organisation.objects.select_for_update().get(pk=org.pk)
        changed = []
        for name in ORGANISATION_FIELDS:
            if name in values and getattr(org, name) != values[name]:
                setattr(org, name, values[name])
                changed.append(name)
        if not org.vat_number and not org.vat_mention:
            raise ValidationError({"vat_mention": [
                _("Give either a VAT number or the VAT exemption mention: one of them must be on every invoice.")
            ]})
        if changed:
            org.full_clean()
            org.save(update_fields=[*changed, "updated_at"])
            record(actor, "billing.organisation_updated", org, audit=True, fields=changed)
    return org


# --- manual reminders -----------------------------------------------------------------------------------


class ReminderTooSoon(ValidationError):
    """A reminder for this membership went out less than a day ago."""


def send_manual_reminder(actor: Any, membership: Any) -> RenewalReminder:
    """The team's one-click reminder: at most one per membership every 24 hours."""
    from tribu.memberships.models import Membership

    from . import renewals

    if not policies.can_manage_billing(actor):
        raise PermissionDenied
    with transaction.atomic():
        locked = Membership.objects.select_for_update(of=("self",)).select_related("tier", "user", "company").get(
            pk=membership.pk)
        if locked.ends_on is None:
            raise ValidationError(_("This membership has no end date: there is nothing to renew."))
        since = timezone.now() - MANUAL_REMINDER_INTERVAL
        if RenewalReminder.objects.filter(membership=locked, kind=ReminderKind.MANUAL, sent_at__gte=since).exists():
            raise ReminderTooSoon(_("A reminder was already sent for this membership in the last 24 hours."))
        people = renewals.send_reminder_emails(locked, offset=None)
        if not people:
            raise ValidationError(_("Nobody can receive this reminder: no active member with an email address."))
        reminder = RenewalReminder.objects.create(
            membership=locked, kind=ReminderKind.MANUAL, period_end=locked.ends_on, sent_by=actor,
            recipients=len(people),
        )
        record(actor, "renewal.reminded", locked, manual=True, ends_on=locked.ends_on.isoformat(),
               recipients=len(people))
    return reminder


# --- company renewal ------------------------------------------------------------------------------------


def company_renewal_target(company: Any) -> Any:
    """The company's membership a renewal would pay for: the current one, else the last one that ended."""
    from tribu.memberships.models import CURRENT_STATUSES, Membership, MembershipStatus

    rows = Membership.objects.filter(company=company).select_related("tier", "company")
    return rows.filter(status__in=CURRENT_STATUSES).first() or rows.filter(
        status=MembershipStatus.EXPIRED).order_by("-ends_on", "-pk").first()


def request_company_renewal(actor: Any, company: Any) -> Document:
    """A company contact renews for every seat at once: one pending payment for the company's tier,
    with an invoice (bank details and the reference to quote) emailed to the company's contacts. When
    the team records the transfer (``payments.actions.record_offline``) the company's membership runs
    on, and every attached member its seats cover keeps their access. A second request while the first
    is unpaid returns the same invoice."""
    from tribu.memberships import actions as m_actions
    from tribu.memberships import periods
    from tribu.payments.actions import new_reference
    from tribu.payments.models import Payment, PaymentMethod, PaymentPurpose, PaymentStatus

    if not policies.can_renew_company(actor, company):
        raise PermissionDenied
    with transaction.atomic():
        m_actions._lock_holder(company=company)
        membership = company_renewal_target(company)
        if membership is None:
            raise ValidationError(_("Your company has no membership to renew: write to the community team."))
        tier = membership.tier
        if not tier.active or not tier.price_cents or not tier.is_company_tier:
            raise ValidationError(_("This membership cannot be renewed online: write to the community team."))
        pending = (Payment.objects.filter(company=company, purpose=PaymentPurpose.MEMBERSHIP, tier=tier,
                                          status=PaymentStatus.PENDING,
                                          method__in=[PaymentMethod.TRANSFER, PaymentMethod.CHEQUE])
                   .order_by("-created_at").first())
        if pending is None:
            today = timezone.localdate()
            if membership.status == "expired" or membership.ends_on is None:
                start = today
                end = periods.end_date(tier, today, trial=False)
            else:
                start = membership.ends_on + timedelta(days=1)
                end = periods.extend(tier, membership.ends_on, starts_on=membership.starts_on, today=today)
            for _attempt in range(5):
                try:
                    with transaction.atomic():
                        pending = Payment.objects.create(
                            reference=new_reference(), purpose=PaymentPurpose.MEMBERSHIP, company=company,
                            membership=membership, tier=tier, description=tier.name,
                            amount_cents=tier.price_cents, currency=tier.currency, method=PaymentMethod.TRANSFER,
                            status=PaymentStatus.PENDING, period_start=start, period_end=end,
                        )
                    break
                except IntegrityError:
                    continue
            if pending is None:
                raise IntegrityError("Could not find a free payment reference")
            record(actor, "renewal.company_requested", membership, company=company.name,
                   reference=pending.reference, amount_cents=pending.amount_cents, currency=pending.currency)
        return issue_invoice(None, pending)
