"""Billing: the organisation's legal details, the documents it issues (invoices, receipts, credit
notes, tax receipts) numbered without gaps per kind and year, and the renewal reminders already sent.

A ``Document`` is frozen when issued: the seller's and the buyer's details, the lines and the totals
are copied into it (JSON), so a later change to the organisation or to the member never alters a
document already sent. Its PDF is rendered from that snapshot (``billing.pdf``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

DEFAULT_VAT_MENTION = "TVA non applicable, art. 293 B du CGI"
DEFAULT_REMINDER_OFFSETS = [-30, -7, 0, 7]


def default_offsets() -> list[int]:
    return list(DEFAULT_REMINDER_OFFSETS)


class TaxReceiptArticle(models.TextChoices):
    ART_200 = "200", _("Article 200 of the CGI (individuals)")
    ART_238 = "238 bis", _("Article 238 bis of the CGI (companies)")
    BOTH = "200, 238 bis", _("Articles 200 and 238 bis of the CGI")


class Organisation(models.Model):
    """The organisation's legal details printed on every document: one row (``Organisation.get()``)."""

    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    address = models.TextField(_("address"), blank=True)
    siret = models.CharField(_("SIRET"), max_length=20, blank=True)
    rna = models.CharField(_("RNA number"), max_length=20, blank=True, help_text=_("For an association: W123456789."))
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    vat_mention = models.CharField(
        _("VAT exemption mention"), max_length=200, blank=True, default=DEFAULT_VAT_MENTION,
        help_text=_("Printed when there is no VAT number."),
    )
    email = models.EmailField(_("billing email"), blank=True)
    iban = models.CharField(_("IBAN"), max_length=40, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    invoice_footer = models.TextField(_("footer of invoices and receipts"), blank=True)
    tax_receipts_enabled = models.BooleanField(
        _("the organisation may issue tax receipts for donations"), default=False,
        help_text=_("Only organisations of general interest may: check your eligibility first."),
    )
    tax_receipt_article = models.CharField(
        _("tax receipt articles"), max_length=16, choices=TaxReceiptArticle.choices, default=TaxReceiptArticle.ART_200
    )
    object_description = models.CharField(
        _("object of the organisation (tax receipts)"), max_length=300, blank=True
    )
    signatory = models.CharField(_("signatory of tax receipts (name and role)"), max_length=120, blank=True)
    reminder_offsets = models.JSONField(
        _("renewal reminders (days from the end date)"), default=default_offsets,
        help_text=_("Negative: before the end date; 0: on the day; positive: after it."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("organisation legal details")
        verbose_name_plural = _("organisation legal details")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="billing_organisation_singleton")]

    def __str__(self) -> str:
        return self.legal_name or "organisation"

    @classmethod
    def get(cls) -> Organisation:
        row, _created = cls.objects.get_or_create(pk=1)
        return row

    @property
    def offsets(self) -> list[int]:
        try:
            return sorted({int(x) for x in (self.reminder_offsets or [])})
        except (TypeError, ValueError):
            return list(DEFAULT_REMINDER_OFFSETS)


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    RECEIPT = "receipt", _("Receipt")
    CREDIT_NOTE = "credit_note", _("Credit note")
    TAX_RECEIPT = "tax_receipt", _("Tax receipt")


PREFIX = {
    DocumentKind.INVOICE: "F",
    DocumentKind.RECEIPT: "R",
    DocumentKind.CREDIT_NOTE: "AV",
    DocumentKind.TAX_RECEIPT: "RF",
}
ISSUED_ON_PAYMENT = [DocumentKind.RECEIPT, DocumentKind.TAX_RECEIPT]


class DocumentCounter(models.Model):
    """The last number given per (kind, year). Locked (``select_for_update``) in the transaction that
    issues the document, so a rolled-back document gives its number back: no gaps, no duplicates."""

    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="billing_counter_kind_year")]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"


class Document(models.Model):
    """An issued invoice, receipt, credit note or tax receipt (immutable once issued)."""

    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind.choices)
    year = models.PositiveIntegerField(_("year"))
    # Empty only inside the transaction that issues the document (see ``actions._create``).
    sequence = models.PositiveIntegerField(_("sequence"), null=True)
    number = models.CharField(_("number"), max_length=32, unique=True)
    payment = models.ForeignKey(
        "payments.Payment", on_delete=models.PROTECT, related_name="documents", verbose_name=_("payment")
    )
    original = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes",
        verbose_name=_("original document"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="billing_documents"
    )
    company = models.ForeignKey(
        "companies.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="billing_documents"
    )
    seller = models.JSONField(default=dict)
    buyer = models.JSONField(default=dict)
    lines = models.JSONField(default=list)
    total_cents = models.IntegerField(_("total"))
    tax_cents = models.IntegerField(_("VAT"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    payment_method = models.CharField(_("payment method"), max_length=16, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=32, blank=True)
    paid_at = models.DateTimeField(_("paid on"), null=True, blank=True)
    language = models.CharField(max_length=8, default="fr")
    # Idempotency key of a credit note (the refund's id at Stripe, or a key the caller chooses).
    key = models.CharField(max_length=255, blank=True)
    issued_at = models.DateTimeField(_("issued on"))
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in DocumentKind]), name="billing_document_kind_valid"
            ),
            models.UniqueConstraint(fields=["kind", "year", "sequence"], name="billing_document_kind_year_seq"),
            # One receipt (or tax receipt) per payment: issuing it twice returns the first.
            models.UniqueConstraint(
                fields=["payment"], condition=models.Q(kind__in=["receipt", "tax_receipt"]),
                name="billing_one_receipt_per_payment",
            ),
            models.UniqueConstraint(
                fields=["payment"], condition=models.Q(kind="invoice"), name="billing_one_invoice_per_payment"
            ),
            models.UniqueConstraint(
                fields=["payment", "key"], condition=~models.Q(key=""), name="billing_credit_note_key"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-issued_at"], name="billing_doc_user_time"),
            models.Index(fields=["company", "-issued_at"], name="billing_doc_company_time"),
            models.Index(fields=["kind", "-issued_at"], name="billing_doc_kind_time"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def filename(self) -> str:
        return f"{self.number}.pdf"


class ReminderKind(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    MANUAL = "manual", _("Sent by the team")


class RenewalReminder(models.Model):
    """A renewal reminder sent for a membership. A scheduled one is inserted BEFORE its email is queued
    and is unique per (membership, offset, end date): a second run, or a second scheduler, cannot send
    it again. A manual one (the team's one-click reminder) is rate-limited by ``sent_at``."""

    membership = models.ForeignKey(
        "memberships.Membership", on_delete=models.CASCADE, related_name="renewal_reminders"
    )
    kind = models.CharField(max_length=10, choices=ReminderKind.choices, default=ReminderKind.SCHEDULED)
    offset_days = models.IntegerField(null=True, blank=True)
    period_end = models.DateField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "offset_days", "period_end"],
                condition=models.Q(kind="scheduled"),
                name="billing_reminder_once",
            ),
        ]
        indexes = [models.Index(fields=["membership", "-sent_at"], name="billing_reminder_membership")]

    def __str__(self) -> str:
        return f"{self.membership_id} {self.kind} {self.offset_days} {self.period_end}"
