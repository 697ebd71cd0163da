"""Demo segments the community team uses every month: renewals due, lapsed members, Premium members,
company seat holders, quiet members, newsletter readers. Idempotent: keyed on the segment's name;
rules naming a demo tier are left out when that tier does not exist."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

SEGMENTS: list[tuple[str, str, str, list[dict[str, Any]]]] = [
    ("Adhésions à renouveler (30 jours)", "Pour la relance de renouvellement.", "all",
     [{"field": "membership_status", "op": "expiring_within", "value": 30}]),
    ("Adhésions échues", "Anciens membres à reconquérir.", "all",
     [{"field": "membership_status", "op": "in", "value": ["lapsed"]}]),
    ("Membres Premium", "", "all", [{"field": "tier", "op": "in", "value": ["premium"]}]),
    ("Salarié·es des sociétés adhérentes", "", "all", [{"field": "tier", "op": "in", "value": ["entreprise"]}]),
    ("Membres silencieux (60 jours)", "Aucune activité depuis deux mois : à réengager.", "all",
     [{"field": "activity", "op": "none_for_days", "value": 60},
      {"field": "membership_status", "op": "in", "value": ["active"]}]),
    ("Lecteurs de la lettre d'information", "", "all",
     [{"field": "email_consent", "op": "given", "value": "newsletter"}]),
]


def populate(faker: Any, now: datetime) -> str:
    from tribu.accounts.models import User
    from tribu.memberships.models import Tier

    from .filters import validate
    from .models import Segment

    tiers = dict(Tier.objects.values_list("slug", "pk"))
    author = User.objects.filter(role="admin").order_by("pk").first()
    existing = set(Segment.objects.filter(name__in=[s[0] for s in SEGMENTS]).values_list("name", flat=True))
    created = 0
    with transaction.atomic():
        for name, description, match, rules in SEGMENTS:
            if name in existing:
                continue
            kept = []
            for rule in rules:
                if rule["field"] == "tier":
                    ids = [tiers[slug] for slug in rule["value"] if slug in tiers]
                    if not ids:
                        continue
                    rule = {**rule, "value": ids}
                kept.append(rule)
            if not kept:
                continue
            Segment.objects.create(name=name, description=description, created_by=author,
                                   filters=validate({"match": match, "rules": kept}))
            created += 1
    return f"{created} segments"
