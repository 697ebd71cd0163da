"""Demo billing: the organisation's legal details (an association exempt from VAT, allowed to issue tax
receipts) and a receipt for every paid demo payment that has none. Idempotent: the details are filled
only when empty, and ``issue_receipt`` returns the existing receipt of a payment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from .models import DEFAULT_VAT_MENTION, Organisation

LEGAL = {
    "legal_name": "Association Réseau des Artisans de Bretagne",
    "address": "4 place des Lices\n35000 Rennes",
    "siret": "81234567800015",
    "rna": "W353012345",
    "vat_mention": DEFAULT_VAT_MENTION,
    "email": "tresorerie@demo.tribu.local",
    "iban": "FR7630006000011234567890189",
    "bic": "AGRIFRPP",
    "invoice_footer": "Association loi 1901 — merci de votre soutien.",
    "tax_receipts_enabled": True,
    "object_description": "Promotion et entraide des métiers de l'artisanat en Bretagne",
    "signatory": "Claire Le Goff, trésorière",
}


def populate(faker: Any, now: datetime) -> str:
    from tribu.payments.models import Payment, PaymentStatus

    from . import actions

    org = Organisation.get()
    if not org.legal_name:
        for key, value in LEGAL.items():
            setattr(org, key, value)
        org.save()
    issued = 0
    paid = (Payment.objects.filter(status=PaymentStatus.SUCCEEDED, amount_cents__gt=0)
            .exclude(documents__kind__in=["receipt", "tax_receipt"]).order_by("paid_at", "pk"))
    for payment in paid:
        with transaction.atomic():
            actions.issue_receipt(payment, email=False)
        issued += 1
    return f"legal details, {issued} receipts"
