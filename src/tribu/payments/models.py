"""Payments: what a member or a company paid (or owes), by which method, and the Stripe events
already applied. Money is integer cents with a currency (``tribu.memberships.money`` formats it)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Card (online)")
    TRANSFER = "transfer", _("Bank transfer")
    CHEQUE = "cheque", _("Cheque")
    CASH = "cash", _("Cash")
    OTHER = "other", _("Other")


OFFLINE_METHODS = [PaymentMethod.TRANSFER, PaymentMethod.CHEQUE, PaymentMethod.CASH, PaymentMethod.OTHER]


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting payment")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")


class PaymentPurpose(models.TextChoices):
    MEMBERSHIP = "membership", _("Membership dues")
    DONATION = "donation", _("Donation")
    EVENT = "event", _("Event ticket")


class Payment(models.Model):
    """One payment, expected or received. The payer is a member (``user``) or a company; ``membership``
    is the membership it pays for (dues), empty for a donation. ``reference`` is unique and printed on
    transfer instructions and documents."""

    reference = models.CharField(_("reference"), max_length=32, unique=True)
    purpose = models.CharField(
        _("purpose"), max_length=16, choices=PaymentPurpose.choices, default=PaymentPurpose.MEMBERSHIP
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    company = models.ForeignKey(
        "companies.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    membership = models.ForeignKey(
        "memberships.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    tier = models.ForeignKey(
        "memberships.Tier", null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    amount_cents = models.PositiveIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    refunded_cents = models.PositiveIntegerField(_("refunded"), default=0)
    fee_cents = models.PositiveIntegerField(_("fees"), default=0)
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    # Stripe: the Checkout Session, PaymentIntent, Invoice, Subscription and Customer behind it.
    stripe_checkout_session = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_payment_intent = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_invoice = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_subscription = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_customer = models.CharField(max_length=255, blank=True)
    # A card payment in progress: the Checkout page to send the payer back to (a retry reuses it).
    checkout_url = models.URLField(max_length=1000, blank=True)
    # Card payments for a monthly or yearly tier may be a subscription that renews by itself.
    recurring = models.BooleanField(_("renews automatically"), default=False)
    # Offline: who recorded it and the cheque number / transfer label they saw.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    external_reference = models.CharField(_("cheque number or transfer label"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    # The period of membership the payment covers (dues), as computed when it was created.
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    paid_at = models.DateTimeField(_("paid on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in PaymentStatus]), name="payments_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_cents__lte=models.F("amount_cents")), name="payments_refund_le_amount"
            ),
            # One Stripe object → one payment, so concurrent deliveries of a webhook cannot double it.
            models.UniqueConstraint(
                fields=["stripe_invoice"], condition=~models.Q(stripe_invoice=""), name="payments_unique_stripe_invoice"
            ),
            models.UniqueConstraint(
                fields=["stripe_checkout_session"],
                condition=~models.Q(stripe_checkout_session=""),
                name="payments_unique_checkout_session",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "paid_at"], name="payment_status_paid"),
            models.Index(fields=["user", "-created_at"], name="payment_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount_cents} {self.currency} {self.status}"


class StripeEvent(models.Model):
    """A Stripe webhook event, stored on first delivery: its id makes every later delivery a no-op."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    livemode = models.BooleanField(default=False)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


class PaymentSettings(models.Model):
    """Payment options (one row). The bank details printed on transfer instructions (IBAN, BIC, account
    holder, address for cheques) are the organisation's legal details, kept by the billing app
    (``billing.Organisation``); this row holds what only payments need."""

    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    cheques_accepted = models.BooleanField(_("cheques accepted"), default=True)
    donations_enabled = models.BooleanField(_("donation page open"), default=False)
    donation_currency = models.CharField(_("donation currency"), max_length=3, default="EUR")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payment settings")
        verbose_name_plural = _("payment settings")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="payments_settings_singleton")]

    def __str__(self) -> str:
        return "payment settings"

    @classmethod
    def load(cls) -> PaymentSettings:
        row, _created = cls.objects.get_or_create(pk=1)
        return row
