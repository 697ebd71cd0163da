"""Every write on payments.

By the payer: ``start_checkout`` (card, through Stripe Checkout: one period, or a subscription for
monthly and yearly tiers), ``start_offline`` (bank transfer or cheque: instructions with the unique
reference, the membership waits as pending), ``start_donation`` (card or offline).
By the team: ``record_offline`` (the pending payment arrived), ``record_payment`` (a payment nobody
announced, e.g. for a member who never signed in), ``record_company_payment`` (a company's dues,
announced or not), ``update_settings`` (admins).
By Stripe: ``webhooks.py`` (each event applied once) calls ``mark_paid``, ``mark_failed``,
``apply_refund`` here.

Each write runs in one transaction under a row lock; the membership effect goes through
``effects.apply_dues``; documents (receipt, credit note) are issued by the billing app after the commit.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tribu.accounts.models import User
from tribu.core.activity import record
from tribu.memberships import actions as m_actions
from tribu.memberships.models import Period, Tier
from tribu.memberships.money import validate_currency

from . import effects, gateway, policies, queries
from .models import OFFLINE_METHODS, Payment, PaymentMethod, PaymentPurpose, PaymentSettings, PaymentStatus

REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RECURRING_PERIODS = {Period.MONTHLY: "month", Period.YEARLY: "year"}
MIN_DONATION_CENTS = 100
MAX_DONATION_CENTS = 10_000_000
# Stripe keeps idempotency keys and open Checkout Sessions for 24 hours: a pending card payment older
# than this is not reused.
REUSE_WINDOW = timedelta(hours=23)


def new_reference() -> str:
    """A short reference a payer can type on a transfer: ``TR-`` and 8 unambiguous characters."""
    return "TR-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _i in range(8))


def _create_payment(**fields: Any) -> Payment:
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Payment.objects.create(reference=new_reference(), **fields)
        except IntegrityError:
            continue
    raise IntegrityError("Could not find a free payment reference")


def _lock_user(user: Any) -> None:
    User.objects.select_for_update().only("pk").get(pk=user.pk)


def _log(actor: Any, verb: str, payment: Payment, **extra: Any) -> Any:
    return record(actor, verb, payment, reference=payment.reference, purpose=payment.purpose,
                  amount_cents=payment.amount_cents, currency=payment.currency, method=payment.method,
                  status=payment.status, tier_id=payment.tier_id, **extra)


def _issue_receipt(payment: Payment) -> None:
    """The receipt (a tax receipt for an eligible donation), numbered in this transaction; the billing
    app emails it with the PDF attached after the commit. The caller holds the payment's row lock."""
    from tribu.billing import actions as billing

    if payment.amount_cents > 0:
        billing.issue_receipt(payment, locked=True)  # every caller holds the payment's row


def _issue_credit_note(payment: Payment, amount_cents: int, key: str) -> None:
    from tribu.billing import actions as billing

    billing.issue_credit_note(payment, amount_cents, key=key)


def check_tier(user: Any, tier: Tier) -> Any:
    """The member's current membership, after checking they may pay for ``tier``."""
    current = m_actions.current_membership(user=user)
    if not policies.can_pay_for_tier(user, tier, current):
        raise PermissionDenied
    if current is not None and current.tier_id != tier.pk and current.status == "pending":
        raise ValidationError(_("Your membership request for another tier is waiting: pay for that one, or ask "
                                "the community team to change it."))
    return current


# --- card (Stripe Checkout) ------------------------------------------------------------------------------


def _customer_of(user: Any) -> str:
    return (Payment.objects.filter(user=user).exclude(stripe_customer="").order_by("-id")
            .values_list("stripe_customer", flat=True).first() or "")


def _open_checkout(payment: Payment, params: dict[str, Any]) -> Payment:
    """Create the Checkout Session for a pending payment, outside any transaction (a network call).

    The idempotency key is the payment's reference: if the response was lost, the retry gets the same
    session back from Stripe instead of a second one."""
    if payment.checkout_url:
        return payment
    session = gateway.create_checkout_session(params, idempotency_key=f"tribu-checkout-{payment.reference}")
    url = str(session.get("url") or "")
    Payment.objects.filter(pk=payment.pk, stripe_checkout_session="").update(
        stripe_checkout_session=str(session["id"]), checkout_url=url, updated_at=timezone.now()
    )
    payment.refresh_from_db()
    return payment


def _checkout_params(payment: Payment, *, name: str, interval: str | None, success_url: str, cancel_url: str,
                     customer: str, email: str) -> dict[str, Any]:
    metadata = {"reference": payment.reference, "purpose": payment.purpose,
                "user_id": str(payment.user_id or ""), "tier_id": str(payment.tier_id or "")}
    price_data: dict[str, Any] = {"currency": payment.currency.lower(), "unit_amount": payment.amount_cents,
                                  "product_data": {"name": name}}
    if interval:
        price_data["recurring"] = {"interval": interval}
    params: dict[str, Any] = {
        "mode": "subscription" if interval else "payment",
        "client_reference_id": payment.reference,
        "line_items": [{"quantity": 1, "price_data": price_data}],
        "allow_promotion_codes": payment.purpose == PaymentPurpose.MEMBERSHIP,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "metadata": metadata,
        "locale": "fr" if (get_language() or "fr").startswith("fr") else "en",
    }
    if interval:
        params["subscription_data"] = {"metadata": metadata}
    else:
        params["payment_intent_data"] = {"metadata": metadata}
    if customer:
        params["customer"] = customer
    elif email:
        params["customer_email"] = email
    return params


def open_card_checkout(payment: Payment, *, name: str, success_url: str, cancel_url: str, email: str,
                       metadata: dict[str, str] | None = None) -> Payment:
    """Stripe Checkout for a one-off pending payment another app created (an event ticket): the same
    session parameters, idempotency and webhook as the dues; ``metadata`` is added to Stripe's.
    Raises ``gateway.StripeUnavailable`` when Stripe cannot be reached."""
    params = _checkout_params(payment, name=name, interval=None, success_url=success_url, cancel_url=cancel_url,
                              customer=payment.stripe_customer, email=email)
    params["metadata"].update(metadata or {})  # the payment intent's metadata is the same dict
    if payment.method != PaymentMethod.CARD:
        Payment.objects.filter(pk=payment.pk).update(method=PaymentMethod.CARD, updated_at=timezone.now())
        payment.method = PaymentMethod.CARD
    return _open_checkout(payment, params)


def _card_interval(tier: Tier, recurring: bool) -> str | None:
    """The subscription's interval for a card payment of ``tier`` (None: one period), or the reason
    there can be none: Stripe not configured, a tier that cannot renew automatically."""
    if not gateway.is_configured():
        raise ValidationError(_("Online payment is not available: pay by bank transfer or cheque."))
    interval = RECURRING_PERIODS.get(tier.period) if recurring else None
    if recurring and interval is None:
        raise ValidationError(_("This tier cannot renew automatically: pay for one period."))
    return interval


def start_checkout(user: Any, tier: Tier, *, recurring: bool, success_url: str, cancel_url: str) -> Payment:
    """A card payment of ``tier``'s dues through Stripe Checkout; returns the payment with its
    ``checkout_url``. A retry (double click, network failure) reuses the same pending payment and so
    the same Checkout Session. Raises ``gateway.StripeUnavailable`` when Stripe cannot be reached."""
    interval = _card_interval(tier, recurring)
    with transaction.atomic():
        _lock_user(user)
        check_tier(user, tier)
        payment = (Payment.objects.filter(
            user=user, tier=tier, purpose=PaymentPurpose.MEMBERSHIP, method=PaymentMethod.CARD,
            status=PaymentStatus.PENDING, recurring=bool(interval), amount_cents=tier.price_cents,
            currency=tier.currency, created_at__gte=timezone.now() - REUSE_WINDOW,
        ).order_by("-id").first())
        if payment is None:
            payment = _create_payment(
                purpose=PaymentPurpose.MEMBERSHIP, user=user, tier=tier, description=tier.name,
                amount_cents=tier.price_cents, currency=tier.currency, method=PaymentMethod.CARD,
                recurring=bool(interval), stripe_customer=_customer_of(user),
            )
            _log(user, "payment.started", payment)
    params = _checkout_params(payment, name=tier.name, interval=interval, success_url=success_url,
                              cancel_url=cancel_url, customer=payment.stripe_customer, email=user.email)
    return _open_checkout(payment, params)


# --- a company's dues: its contacts pay for every seat at once ------------------------------------------


def company_tiers(company: Any) -> tuple[Any, list[Tier]]:
    """The company's membership a payment would start or renew (its current one, else the last one
    that ended, else None) and the tiers it may pay for: that membership's tier, or — a company that
    never held one — the company tiers open to choice."""
    from tribu.billing.actions import company_renewal_target

    membership = company_renewal_target(company)
    if membership is not None:
        tiers = [membership.tier]
    else:
        tiers = list(Tier.objects.filter(active=True, seats__gt=0, self_selectable=True, price_cents__gt=0)
                     .order_by("price_cents", "pk"))
    return membership, [t for t in tiers if t.active and t.is_company_tier and t.price_cents and t.period != "free"]


def check_company_tier(actor: Any, company: Any, tier: Tier) -> Any:
    """Who pays and for what: a contact of ``company`` (or the team), for one of ``company_tiers``.
    Returns the company's membership the payment is for (None: it never held one)."""
    if not policies.can_pay_for_company(actor, company):
        raise PermissionDenied
    if not tier.is_company_tier:
        raise ValidationError(_("This tier is for members, not companies: choose your company's tier."))
    membership, tiers = company_tiers(company)
    if tier not in tiers:
        if membership is not None and membership.tier_id != tier.pk:
            raise ValidationError(_("Your company's membership is for another tier: to change it, write to the "
                                    "community team."))
        raise ValidationError(_("This membership cannot be paid online: write to the community team."))
    return membership


def _company_customer(company: Any) -> str:
    return (Payment.objects.filter(company=company, user__isnull=True).exclude(stripe_customer="").order_by("-id")
            .values_list("stripe_customer", flat=True).first() or "")


def _company_checkout_params(payment: Payment, company: Any, params: dict[str, Any]) -> dict[str, Any]:
    """The company is the payer: its id in the metadata, and (one-off payments) a Stripe invoice in
    its name with its VAT number; Tribu's own invoice and receipt carry its legal details too."""
    params["metadata"]["company_id"] = str(company.pk)
    if params["mode"] == "payment":
        fields = [{"name": "SIRET", "value": company.siret}] if company.siret else []
        if company.vat_number:
            fields.append({"name": _("VAT number")[:40], "value": company.vat_number})
        params["invoice_creation"] = {"enabled": True, "invoice_data": {
            "description": f"{company.name} — {payment.description}"[:500], "metadata": params["metadata"],
            **({"custom_fields": fields} if fields else {}),
        }}
    return params


def start_company_checkout(actor: Any, company: Any, tier: Tier, *, recurring: bool, success_url: str,
                           cancel_url: str) -> Payment:
    """A card payment of the company's dues (every seat) through Stripe Checkout, the company as the
    payer. Two contacts at once, a double click, a retry: the same pending payment, so the same
    Checkout Session (the company's row is locked while it is looked up). Raises
    ``gateway.StripeUnavailable`` when Stripe cannot be reached."""
    from tribu.companies.policies import is_contact_of

    if not policies.can_pay_for_company(actor, company):
        raise PermissionDenied
    interval = _card_interval(tier, recurring)
    with transaction.atomic():
        m_actions._lock_holder(company=company)
        membership = check_company_tier(actor, company, tier)
        payment = (Payment.objects.filter(
            company=company, user__isnull=True, tier=tier, purpose=PaymentPurpose.MEMBERSHIP,
            method=PaymentMethod.CARD, status=PaymentStatus.PENDING, recurring=bool(interval),
            amount_cents=tier.price_cents, currency=tier.currency, created_at__gte=timezone.now() - REUSE_WINDOW,
        ).select_related("company").order_by("-id").first())
        if payment is None:
            payment = _create_payment(
                purpose=PaymentPurpose.MEMBERSHIP, company=company, tier=tier, membership=membership,
                description=tier.name, amount_cents=tier.price_cents, currency=tier.currency,
                method=PaymentMethod.CARD, recurring=bool(interval), stripe_customer=_company_customer(company),
            )
            _log(actor, "payment.started", payment, company=company.name)
    # Stripe's receipt goes to the contact who pays; when the team starts it, to the company's first contact.
    email = getattr(actor, "email", "")
    if not is_contact_of(actor, company):
        email = (User.objects.filter(company_attachment__company=company, company_attachment__is_contact=True,
                                     is_active=True).exclude(email="").order_by("pk")
                 .values_list("email", flat=True).first() or email)
    params = _checkout_params(payment, name=f"{tier.name} — {company.name}", interval=interval,
                              success_url=success_url, cancel_url=cancel_url, customer=payment.stripe_customer,
                              email=email)
    return _open_checkout(payment, _company_checkout_params(payment, company, params))


def start_company_offline(actor: Any, company: Any, tier: Tier, *, method: str) -> Payment:
    """The company will pay its dues by transfer or cheque: one pending payment with its unique
    reference (the same one for a second request, whichever contact makes it) and an invoice carrying
    the bank details and the reference, emailed to the company's contacts. A company with no current
    membership gets a pending one; the team's record of the payment (``record_offline``) starts or
    renews it, and with it every seat."""
    from tribu.billing import actions as billing
    from tribu.memberships.models import Membership, MembershipStatus

    if not policies.can_pay_for_company(actor, company):
        raise PermissionDenied
    _check_offline_method(method)
    with transaction.atomic():
        m_actions._lock_holder(company=company)
        membership = check_company_tier(actor, company, tier)
        payment = (Payment.objects.filter(
            company=company, tier=tier, purpose=PaymentPurpose.MEMBERSHIP, status=PaymentStatus.PENDING,
            method__in=[PaymentMethod.TRANSFER, PaymentMethod.CHEQUE],
        ).select_related("company", "tier").order_by("-id").first())
        if payment is not None:
            if payment.method != method:
                payment.method = method
                payment.save(update_fields=["method", "updated_at"])
        else:
            if membership is None or membership.status == MembershipStatus.EXPIRED:
                membership = Membership.objects.create(company=company, tier=tier, status=MembershipStatus.PENDING,
                                                       source="payment")
                m_actions._log(actor, "membership.chosen", membership)
            payment = _create_payment(
                purpose=PaymentPurpose.MEMBERSHIP, company=company, tier=tier, membership=membership,
                description=tier.name, amount_cents=tier.price_cents, currency=tier.currency, method=method,
            )
            _log(actor, "payment.pledged", payment, company=company.name)
        billing.issue_invoice(None, payment)
    return payment


def check_donation(amount_cents: int, currency: str) -> str:
    currency = validate_currency(currency)
    if amount_cents < MIN_DONATION_CENTS:
        raise ValidationError({"amount": [_("A donation starts at 1.00.")]})
    if amount_cents > MAX_DONATION_CENTS:
        raise ValidationError({"amount": [_("This amount is too large.")]})
    return currency


def start_donation(user: Any, *, amount_cents: int, method: str, success_url: str = "",
                   cancel_url: str = "") -> Payment:
    """A donation: by card (Stripe Checkout) or announced for an offline payment (instructions)."""
    if not policies.can_donate(user):
        raise PermissionDenied
    conf = PaymentSettings.load()
    if not conf.donations_enabled:
        raise ValidationError(_("Donations are not open."))
    currency = check_donation(amount_cents, conf.donation_currency)
    if method == PaymentMethod.CARD and not gateway.is_configured():
        raise ValidationError({"method": [_("Online payment is not available: pay by bank transfer or cheque.")]})
    if method != PaymentMethod.CARD:
        _check_offline_method(method)
    with transaction.atomic():
        _lock_user(user)
        payment = _create_payment(
            purpose=PaymentPurpose.DONATION, user=user, description=_("Donation"), amount_cents=amount_cents,
            currency=currency, method=method,
        )
        _log(user, "payment.started" if method == PaymentMethod.CARD else "payment.pledged", payment)
        if method != PaymentMethod.CARD:
            _send_instructions(payment)
    if method == PaymentMethod.CARD:
        params = _checkout_params(payment, name=_("Donation"), interval=None, success_url=success_url,
                                  cancel_url=cancel_url, customer=_customer_of(user), email=user.email)
        return _open_checkout(payment, params)
    return payment


def portal_url(user: Any, return_url: str, *, company: Any = None) -> str:
    """The Stripe customer portal for the member's card and subscription — or, with ``company`` (or for
    a company's contact who pays nothing of their own, e.g. from a failed renewal's email), the
    company's (raises when there is none)."""
    if company is not None:
        if not policies.can_pay_for_company(user, company):
            raise PermissionDenied
        customer = _company_customer(company)
    else:
        customer = _customer_of(user)
        attachment = getattr(user, "company_attachment", None) if not customer else None
        if attachment is not None and attachment.is_contact and policies.can_pay_for_company(user,
                                                                                              attachment.company):
            customer = _company_customer(attachment.company_id)
    if not customer or not gateway.is_configured():
        raise ValidationError(_("You have no card payment to manage."))
    return str(gateway.create_portal_session(customer, return_url)["url"])


# --- offline (transfer, cheque) --------------------------------------------------------------------------


def _send_instructions(payment: Payment) -> None:
    from tribu.core.emails import send_templated_email_on_commit

    if payment.user is not None and payment.user.email:
        send_templated_email_on_commit(payment.user, "payments/emails/instructions", {
            "payment": payment, "bank": queries.bank_details(), "url": reverse("payments:mine"),
        })


def _check_offline_method(method: str) -> None:
    bank = queries.bank_details()
    if method == PaymentMethod.TRANSFER and bank.transfer_ready:
        return
    if method == PaymentMethod.CHEQUE and bank.cheque_ready:
        return
    if method in {PaymentMethod.TRANSFER, PaymentMethod.CHEQUE}:
        raise ValidationError({"method": [_("This way of paying is not available: choose another one.")]})
    raise ValidationError({"method": [_("Choose bank transfer or cheque.")]})


def start_offline(user: Any, tier: Tier, *, method: str) -> Payment:
    """The member will pay ``tier``'s dues by transfer or cheque: a pending payment with its unique
    reference (the same one on a second request), the membership pending until the team records it."""
    _check_offline_method(method)
    with transaction.atomic():
        _lock_user(user)
        current = check_tier(user, tier)
        existing = Payment.objects.filter(
            user=user, tier=tier, purpose=PaymentPurpose.MEMBERSHIP, status=PaymentStatus.PENDING,
            method__in=[PaymentMethod.TRANSFER, PaymentMethod.CHEQUE],
        ).order_by("-id").first()
        if existing is not None:
            if existing.method != method:
                existing.method = method
                existing.save(update_fields=["method", "updated_at"])
            return existing
        if current is None:
            current = m_actions.choose_tier(user, tier)
        payment = _create_payment(
            purpose=PaymentPurpose.MEMBERSHIP, user=user, tier=tier, membership=current, description=tier.name,
            amount_cents=tier.price_cents, currency=tier.currency, method=method,
        )
        _log(user, "payment.pledged", payment)
        _send_instructions(payment)
    return payment


def _parse_paid_at(paid_on: Any) -> datetime:
    if paid_on is None:
        return timezone.now()
    if isinstance(paid_on, datetime):
        return paid_on
    moment = datetime.combine(paid_on, datetime.min.time().replace(hour=12))
    return timezone.make_aware(moment)


def record_offline(actor: Any, payment: Payment, *, method: str, external_reference: str = "", note: str = "",
                   paid_on: Any = None, amount_cents: int | None = None) -> Payment:
    """The team received a pending offline payment: it is paid, the membership starts (or runs on).
    Two people recording it at once: the second one is told it is already recorded."""
    if not policies.can_manage_payments(actor):
        raise PermissionDenied
    if method not in OFFLINE_METHODS:
        raise ValidationError({"method": [_("Choose bank transfer, cheque, cash or other.")]})
    if paid_on is not None and paid_on > timezone.localdate():
        raise ValidationError({"paid_on": [_("The payment date cannot be in the future.")]})
    with transaction.atomic():
        locked = Payment.objects.select_for_update(of=("self",)).select_related("user", "company", "tier").get(
            pk=payment.pk)
        if locked.status != PaymentStatus.PENDING:
            raise ValidationError(_("This payment is already recorded (%(status)s).")
                                  % {"status": locked.get_status_display()})
        locked.status = PaymentStatus.SUCCEEDED
        locked.method = method
        locked.recorded_by = actor
        locked.external_reference = (external_reference or "").strip()[:100]
        locked.note = (note or "").strip()[:2000]
        locked.paid_at = _parse_paid_at(paid_on)
        if amount_cents is not None:
            if amount_cents <= 0:
                raise ValidationError({"amount": [_("Enter the amount received.")]})
            locked.amount_cents = amount_cents
        _succeed(actor, locked)
    return locked


# Dues the team recorded for the same member or company this recently, same tier and amount, are taken
# for the same money recorded a second time (two people at the same moment, or a double submit).
SAME_RECORD_WINDOW = timedelta(minutes=10)


class AlreadyRecorded(ValidationError):
    """The payment is already recorded: the views and the API answer 409."""


def _refuse_same_record(dues: Any, amount_cents: int, external_reference: str) -> None:
    """Under the payer's row lock: the team recorded these dues (same payer, tier and amount) moments
    ago, with no different cheque number or label — the same money recorded twice, refused."""
    same = (dues.filter(status=PaymentStatus.SUCCEEDED, recorded_by__isnull=False, amount_cents=amount_cents,
                        updated_at__gte=timezone.now() - SAME_RECORD_WINDOW)
            .values_list("reference", "external_reference").order_by("-id").first())
    if same is not None and not (external_reference and same[1] and same[1] != external_reference):
        raise AlreadyRecorded(_("This payment is already recorded (%(reference)s): it is not recorded twice.")
                              % {"reference": same[0]}, code="already_recorded")


def record_payment(actor: Any, *, user: Any = None, purpose: str, method: str, amount_cents: int | None,
                   tier: Tier | None = None, currency: str = "EUR", external_reference: str = "",
                   note: str = "", paid_on: Any = None, company: Any = None) -> Payment:
    """A payment the team received without a pending one (a member who never signed in, a donation
    handed over at an event): recorded as paid, with its membership effect. The same dues recorded
    again moments later (two people at once, under the member's row lock) raise ``AlreadyRecorded``.
    With ``company`` instead of ``user``: the company's dues (``record_company_payment``)."""
    if not policies.can_manage_payments(actor):
        raise PermissionDenied
    if company is not None or user is None:
        if user is not None or company is None:
            raise ValidationError(_("Choose either a member or a company."))
        if purpose != PaymentPurpose.MEMBERSHIP:
            raise ValidationError({"purpose": [_("A company pays membership dues.")]})
        return record_company_payment(actor, company=company, tier=tier, method=method, amount_cents=amount_cents,
                                      external_reference=external_reference, note=note, paid_on=paid_on)
    if amount_cents is None:
        amount_cents = tier.price_cents if tier is not None and purpose == PaymentPurpose.MEMBERSHIP else 0
    if method not in OFFLINE_METHODS:
        raise ValidationError({"method": [_("Choose bank transfer, cheque, cash or other.")]})
    if purpose not in {PaymentPurpose.MEMBERSHIP, PaymentPurpose.DONATION}:
        raise ValidationError({"purpose": [_("Choose membership dues or a donation.")]})
    if amount_cents <= 0:
        raise ValidationError({"amount": [_("Enter the amount received.")]})
    if purpose == PaymentPurpose.MEMBERSHIP:
        if tier is None:
            raise ValidationError({"tier": [_("Choose the tier the dues pay for.")]})
        if not tier.active or tier.is_company_tier:
            raise ValidationError({"tier": [_("Choose an active tier for members.")]})
        currency = tier.currency
    currency = validate_currency(currency)
    if paid_on is not None and paid_on > timezone.localdate():
        raise ValidationError({"paid_on": [_("The payment date cannot be in the future.")]})
    with transaction.atomic():
        _lock_user(user)
        if purpose == PaymentPurpose.MEMBERSHIP:  # two people recording the same dues at once: one payment
            _refuse_same_record(Payment.objects.filter(user=user, tier=tier, purpose=PaymentPurpose.MEMBERSHIP),
                                amount_cents, (external_reference or "").strip()[:100])
        payment = _create_payment(
            purpose=purpose, user=user, tier=tier if purpose == PaymentPurpose.MEMBERSHIP else None,
            description=tier.name if tier and purpose == PaymentPurpose.MEMBERSHIP else _("Donation"),
            amount_cents=amount_cents, currency=currency, method=method, status=PaymentStatus.SUCCEEDED,
            recorded_by=actor, external_reference=(external_reference or "").strip()[:100],
            note=(note or "").strip()[:2000], paid_at=_parse_paid_at(paid_on),
        )
        payment = Payment.objects.select_related("user", "company", "tier").get(pk=payment.pk)
        _succeed(actor, payment, created=True)
    return payment


def record_company_payment(actor: Any, *, company: Any, tier: Tier | None, method: str,
                           amount_cents: int | None = None, external_reference: str = "", note: str = "",
                           paid_on: Any = None) -> Payment:
    """A company's dues the team received (transfer, cheque, cash, other), announced or not: the
    payment is recorded as paid in the company's name, the company's membership starts or runs one more
    period for ``tier`` (and with it every seat), the receipt is numbered and emailed to its contacts.

    One payment however many people record it at once, as on the member's path: the company's row is
    locked (as its contacts' payments do); a transfer or cheque the contacts announced for that tier is
    the payment recorded (under its row lock, as ``record_offline`` does); and once it, or a payment
    nobody announced, is recorded, the same record again (same tier and amount, within
    ``SAME_RECORD_WINDOW``, no different cheque number or label) is refused with ``AlreadyRecorded``,
    as ``record_payment`` does for a member's dues."""
    if not policies.can_manage_payments(actor):
        raise PermissionDenied
    if method not in OFFLINE_METHODS:
        raise ValidationError({"method": [_("Choose bank transfer, cheque, cash or other.")]})
    if tier is None:
        raise ValidationError({"tier": [_("Choose the tier the dues pay for.")]})
    if not tier.active or not tier.is_company_tier or tier.period == "free":
        raise ValidationError({"tier": [_("Choose an active tier for companies.")]})
    if amount_cents is None:
        amount_cents = tier.price_cents
    if amount_cents <= 0:
        raise ValidationError({"amount": [_("Enter the amount received.")]})
    if paid_on is not None and paid_on > timezone.localdate():
        raise ValidationError({"paid_on": [_("The payment date cannot be in the future.")]})
    external_reference = (external_reference or "").strip()[:100]
    with transaction.atomic():
        m_actions._lock_holder(company=company)
        dues = Payment.objects.filter(company=company, user__isnull=True, tier=tier,
                                      purpose=PaymentPurpose.MEMBERSHIP)
        payment = (dues.filter(status=PaymentStatus.PENDING, method__in=[PaymentMethod.TRANSFER,
                                                                          PaymentMethod.CHEQUE])
                   .select_for_update(of=("self",)).select_related("user", "company", "tier").order_by("-id").first())
        if payment is None:
            _refuse_same_record(dues, amount_cents, external_reference)
            payment = _create_payment(
                purpose=PaymentPurpose.MEMBERSHIP, company=company, tier=tier, description=tier.name,
                amount_cents=amount_cents, currency=tier.currency, method=method,
            )
            payment = Payment.objects.select_related("user", "company", "tier").get(pk=payment.pk)
        payment.status = PaymentStatus.SUCCEEDED
        payment.method = method
        payment.amount_cents = amount_cents
        payment.recorded_by = actor
        payment.external_reference = external_reference
        payment.note = (note or "").strip()[:2000]
        payment.paid_at = _parse_paid_at(paid_on)
        payment.checkout_url = ""
        _succeed(actor, payment)
    return payment


def _succeed(actor: Any, payment: Payment, *, created: bool = False, ends_on: Any = None) -> None:
    """Inside the transaction that made ``payment`` paid: its membership effect, activity, receipt."""
    if payment.purpose == PaymentPurpose.MEMBERSHIP:
        membership = effects.apply_dues(actor, payment, ends_on=ends_on)
        if membership is not None:
            payment.period_start = membership.starts_on
            payment.period_end = membership.ends_on
        if payment.user_id:  # the other ways the member meant to pay these dues are void now
            (Payment.objects.filter(user_id=payment.user_id, purpose=PaymentPurpose.MEMBERSHIP,
                                    status=PaymentStatus.PENDING).exclude(pk=payment.pk)
             .update(status=PaymentStatus.CANCELLED, checkout_url="", updated_at=timezone.now()))
        elif payment.company_id:  # and those of the company's other contacts
            (Payment.objects.filter(company_id=payment.company_id, user__isnull=True,
                                    purpose=PaymentPurpose.MEMBERSHIP, status=PaymentStatus.PENDING)
             .exclude(pk=payment.pk)
             .update(status=PaymentStatus.CANCELLED, checkout_url="", updated_at=timezone.now()))
    payment.save()
    _log(actor, "payment.recorded" if payment.recorded_by_id else "payment.received", payment)
    _issue_receipt(payment)


def update_settings(actor: Any, **values: Any) -> PaymentSettings:
    if not policies.can_edit_payment_settings(actor):
        raise PermissionDenied
    fields = ["bank_name", "cheques_accepted", "donations_enabled", "donation_currency"]
    with transaction.atomic():
        PaymentSettings.load()
        row = PaymentSettings.objects.select_for_update().get(pk=1)
        for key in fields:
            if key in values:
                setattr(row, key, values[key])
        row.donation_currency = validate_currency(row.donation_currency)
        row.save()
        record(actor, "payments.settings_changed", None, audit=True, fields=sorted(k for k in values if k in fields))
    return row


# --- Stripe's word (called by webhooks.py, inside the event's transaction) ------------------------------


def mark_paid(payment: Payment, *, amount_cents: int | None = None, ends_on: Any = None, locked: bool = False,
              **stripe_ids: str) -> bool:
    """A card payment Stripe confirmed: paid once, whatever the number of deliveries. ``locked``: the
    caller already holds the payment's row lock (and passes that fresh row)."""
    if locked:
        payment_row = payment
    else:
        payment_row = Payment.objects.select_for_update(of=("self",)).select_related(
            "user", "company", "tier").get(pk=payment.pk)
    locked = payment_row
    for key, value in stripe_ids.items():
        if value and not getattr(locked, key):
            setattr(locked, key, value)
    if locked.status == PaymentStatus.SUCCEEDED or locked.status in (PaymentStatus.REFUNDED,
                                                                     PaymentStatus.PARTIALLY_REFUNDED):
        locked.save()
        if ends_on is not None and locked.purpose == PaymentPurpose.MEMBERSHIP:
            effects.apply_dues(None, locked, ends_on=ends_on)  # a no-op unless Stripe's period is later
        return False
    locked.status = PaymentStatus.SUCCEEDED
    locked.paid_at = timezone.now()
    locked.checkout_url = ""
    if amount_cents is not None:
        locked.amount_cents = amount_cents
    _succeed(None, locked, ends_on=ends_on)
    payment.status = locked.status
    return True


def mark_failed(payment: Payment) -> bool:
    changed = Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(
        status=PaymentStatus.FAILED, updated_at=timezone.now()
    )
    if changed:
        payment.status = PaymentStatus.FAILED
        _log(None, "payment.failed", payment)
    return bool(changed)


def apply_refund(payment: Payment, refunded_total: int) -> int:
    """Stripe says ``refunded_total`` of the payment is refunded (a running total, so a late or
    repeated event changes nothing): records the difference and issues a credit note for it."""
    locked = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
    refunded_total = min(int(refunded_total), locked.amount_cents)
    delta = refunded_total - locked.refunded_cents
    if delta <= 0:
        return 0
    locked.refunded_cents = refunded_total
    locked.status = (PaymentStatus.REFUNDED if refunded_total >= locked.amount_cents
                     else PaymentStatus.PARTIALLY_REFUNDED)
    locked.save(update_fields=["refunded_cents", "status", "updated_at"])
    _log(None, "payment.refunded", locked, refunded_cents=delta)
    _issue_credit_note(locked, delta, key=f"refunded-to-{refunded_total}")
    return delta
