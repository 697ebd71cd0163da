"""Demo tiers (« Invité », « Membre », « Premium », « Entreprise ») and memberships for the demo members:
most hold an active « Membre », some « Premium », a few end soon, are in grace or have expired, the
guests are on trial, and a few companies hold « Entreprise » seats. Idempotent: tiers are keyed on their
slug, and members (or companies) who already have a membership are left alone."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from . import periods

SEED = 2026
TIERS = [
    # slug, name_fr, name_en, price, period, extra
    ("invite", "Invité", "Guest", 0, "free", {
        "is_guest": True, "trial_days": 30, "self_selectable": True, "grace_days": 0,
        "description_fr": "Découvrez la communauté pendant 30 jours.",
        "description_en": "Discover the community for 30 days.",
    }),
    ("membre", "Membre", "Member", 6000, "calendar_year", {
        "calendar_start_month": 1, "self_selectable": True,
        "description_fr": "L'adhésion annuelle, de janvier à décembre.",
        "description_en": "The yearly membership, January to December.",
    }),
    ("premium", "Premium", "Premium", 12000, "yearly", {
        "self_selectable": True,
        "description_fr": "Tout Membre, plus les ressources et événements réservés.",
        "description_en": "Everything in Member, plus reserved resources and events.",
    }),
    ("entreprise", "Entreprise", "Company", 45000, "yearly", {
        "seats": 5,
        "description_fr": "Cinq places pour les salarié·es d'une société adhérente.",
        "description_en": "Five seats for the staff of a member company.",
    }),
]


def _tiers() -> dict[str, Any]:
    from .models import Tier

    out = {}
    for position, (slug, name_fr, name_en, price, period, extra) in enumerate(TIERS, start=1):
        out[slug], _created = Tier.objects.get_or_create(
            slug=slug,
            defaults={"name_fr": name_fr, "name_en": name_en, "price_cents": price, "period": period,
                      "position": position, **extra},
        )
    return out


def populate(faker: Any, now: datetime) -> str:
    from tribu.companies.models import Company
    from tribu.core.demo import demo_users
    from tribu.core.models import Activity

    from .actions import tier_data
    from .models import Membership, MembershipStatus

    rng = random.Random(SEED)
    today = timezone.localdate(now) if timezone.is_aware(now) else now.date()
    with transaction.atomic():
        tiers = _tiers()
        taken = set(Membership.objects.filter(user__isnull=False).values_list("user_id", flat=True))
        users = list(demo_users().order_by("pk").values_list("pk", "role"))
        rows: list[Membership] = []
        for index, (user_id, role) in enumerate(users):
            draw = rng.random()  # drawn for everyone so the plan does not depend on what exists
            if user_id in taken:
                continue
            rows.append(_plan(user_id, role, index, draw, tiers, today))
        rows = [r for r in rows if r is not None]
        taken_companies = set(Membership.objects.filter(company__isnull=False).values_list("company_id", flat=True))
        for company in Company.objects.order_by("pk")[:4]:
            if company.pk not in taken_companies:
                start = today - timedelta(days=rng.randint(30, 300))
                rows.append(Membership(company=company, tier=tiers["entreprise"], status=MembershipStatus.ACTIVE,
                                       starts_on=start, ends_on=periods.end_date(tiers["entreprise"], start),
                                       source="import"))
        created = Membership.objects.bulk_create(rows, batch_size=500)
        ct = ContentType.objects.get_for_model(Membership)
        Activity.objects.bulk_create([
            Activity(verb="membership.granted", target_type=ct, target_id=str(m.pk), data={
                "reason": "Reprise des adhésions", "old_status": "", "new_status": m.status,
                "ends_on": m.ends_on.isoformat() if m.ends_on else "", **tier_data(m.tier),
            })
            for m in created
        ], batch_size=500)
    return f"{len(tiers)} tiers, {len(created)} memberships"


def _plan(user_id: int, role: str, index: int, draw: float, tiers: dict[str, Any], today: date) -> Any:
    from .models import Membership, MembershipStatus

    def make(tier: Any, start: date, status: str = MembershipStatus.ACTIVE, end: Any = "auto",
             trial: bool = False) -> Membership:
        ends_on = periods.end_date(tier, start, trial=trial) if end == "auto" else end
        return Membership(user_id=user_id, tier=tier, status=status, starts_on=start, ends_on=ends_on,
                          is_trial=trial, source="import")

    if role == "guest":
        return make(tiers["invite"], today - timedelta(days=index % 25), trial=True)
    membre, premium = tiers["membre"], tiers["premium"]
    year_start = date(today.year, 1, 1)
    if draw < 0.68:
        return make(membre, year_start)
    if draw < 0.80:
        return make(premium, today - timedelta(days=int(draw * 1000) % 330 + 20))
    if draw < 0.85:  # ends within the coming two weeks
        end = today + timedelta(days=int(draw * 1000) % 14 + 1)
        return make(premium, periods.add_years(end + timedelta(days=1), -1), end=end)
    if draw < 0.89:  # in its grace period
        end = today - timedelta(days=int(draw * 1000) % 10 + 1)
        return make(premium, periods.add_years(end + timedelta(days=1), -1), MembershipStatus.GRACE, end=end)
    if draw < 0.93:  # expired last year
        return make(membre, date(today.year - 1, 1, 1), MembershipStatus.EXPIRED)
    return None
