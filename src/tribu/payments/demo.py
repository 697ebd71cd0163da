"""The demo step: the payments behind the demo memberships (card and offline dues paid, a few
transfers and cheques still expected, donations), and the payment settings. Idempotent: members who
already have a payment are left alone. Runs before billing's step, which issues their receipts."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

SEED = 4242


def populate(faker: Any, now: datetime) -> str:
    from tribu.core.demo import demo_users
    from tribu.memberships.models import Membership, MembershipStatus

    from .actions import new_reference
    from .models import Payment, PaymentMethod, PaymentPurpose, PaymentSettings, PaymentStatus

    rng = random.Random(SEED)
    with transaction.atomic():
        conf = PaymentSettings.load()
        if not conf.donations_enabled:
            conf.donations_enabled = True
            conf.bank_name = conf.bank_name or "Crédit Coopératif"
            conf.save()
        payers = set(Payment.objects.values_list("user_id", flat=True))
        memberships = (Membership.objects.filter(user__in=demo_users(), tier__price_cents__gt=0)
                       .exclude(user_id__in=payers).select_related("tier").order_by("pk"))
        rows: list[Payment] = []
        for m in memberships:
            draw = rng.random()
            method = (PaymentMethod.CARD if draw < 0.55 else PaymentMethod.TRANSFER if draw < 0.85
                      else PaymentMethod.CHEQUE)
            paid = m.status in (MembershipStatus.ACTIVE, MembershipStatus.GRACE, MembershipStatus.EXPIRED)
            start = m.starts_on or timezone.localdate(now)
            paid_at = timezone.make_aware(datetime.combine(start, datetime.min.time().replace(hour=10)))
            rows.append(Payment(
                reference=new_reference(), purpose=PaymentPurpose.MEMBERSHIP, user_id=m.user_id, membership=m,
                tier=m.tier, description=m.tier.name_fr, amount_cents=m.tier.price_cents, currency=m.tier.currency,
                method=method, status=PaymentStatus.SUCCEEDED if paid else PaymentStatus.PENDING,
                paid_at=paid_at if paid else None, period_start=m.starts_on if paid else None,
                period_end=m.ends_on if paid else None,
                stripe_payment_intent=f"pi_demo_{m.pk}" if paid and method == PaymentMethod.CARD else "",
            ))
        donors = [] if Payment.objects.filter(purpose=PaymentPurpose.DONATION).exists() else list(
            demo_users().order_by("pk").values_list("pk", flat=True)[:200:17])
        for user_id in donors:
            rows.append(Payment(
                reference=new_reference(), purpose=PaymentPurpose.DONATION, user_id=user_id, description="Don",
                amount_cents=rng.choice([2000, 5000, 10000]), currency="EUR", method=PaymentMethod.CARD,
                status=PaymentStatus.SUCCEEDED, paid_at=now - timedelta(days=rng.randint(1, 200)),
                stripe_payment_intent=f"pi_demo_don_{user_id}",
            ))
        created = Payment.objects.bulk_create(rows, batch_size=500)
    return f"{len(created)} payments"
