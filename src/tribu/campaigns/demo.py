"""Demo step: a campaign already sent to the demo members (with opens and clicks spread over its
first hours, so the statistics page has something to show) and a newsletter draft to edit.
Running it twice creates nothing new."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

SEED = 2608
NAME = "Rentrée de la communauté"


def populate(faker: Any, now: datetime) -> str:
    from tribu.core.demo import demo_users
    from tribu.segments.models import Segment

    from .models import Campaign, Kind, Link, Recipient, RecipientStatus, Status, TrackingEvent

    if Campaign.objects.filter(name=NAME).exists():
        return "campaigns already there"
    rng = random.Random(SEED)
    users = list(demo_users().order_by("pk")[:150])
    with transaction.atomic():
        segment, _ = Segment.objects.get_or_create(
            name="Membres de la démo",
            defaults={"filters": {"match": "all", "rules": [{"field": "role", "op": "in", "value": ["member"]}]}},
        )
        started = now - timedelta(days=3)
        campaign = Campaign.objects.create(
            name=NAME,
            segment=segment,
            status=Status.SENT,
            started_at=started,
            finished_at=started + timedelta(minutes=4),
            subject_fr="La rentrée, c'est maintenant, {{ first_name }}",
            subject_en="Back to it, {{ first_name }}",
            preheader_fr="Le programme de septembre",
            preheader_en="September's programme",
            blocks=[
                {
                    "type": "text",
                    "text_fr": "Bonjour {{ first_name }},\n\nVoici le **programme de la rentrée**.",
                    "text_en": "Hello {{ first_name }},\n\nHere is **what's on this autumn**.",
                },
                {
                    "type": "button",
                    "url": "https://example.org/programme",
                    "label_fr": "Voir le programme",
                    "label_en": "See the programme",
                },
            ],
            recipient_count=len(users),
        )
        link = Link.objects.create(campaign=campaign, url="https://example.org/programme")
        rows = Recipient.objects.bulk_create(
            [
                Recipient(
                    campaign=campaign,
                    user=u,
                    email=u.email,
                    language=u.language or "fr",
                    status=RecipientStatus.SENT,
                    sent_at=started + timedelta(seconds=i),
                    attempts=1,
                )
                for i, u in enumerate(users)
            ]
        )
        events = []
        for row in rows:
            if rng.random() < 0.45:
                events.append(TrackingEvent(campaign=campaign, recipient=row, kind="open"))
                if rng.random() < 0.35:
                    events.append(TrackingEvent(campaign=campaign, recipient=row, kind="click", link=link))
        created = TrackingEvent.objects.bulk_create(events)
        for event in created:  # spread over the first day, most in the first hours
            event.created_at = started + timedelta(minutes=int(rng.expovariate(1 / 180)) % 1440)
        TrackingEvent.objects.bulk_update(created, ["created_at"])
        Campaign.objects.create(
            name="Lettre d'information (brouillon)",
            kind=Kind.NEWSLETTER,
            segment=segment,
            subject_fr="Les nouvelles du mois",
            subject_en="This month's news",
            blocks=[
                {"type": "text", "text_fr": "Bonjour {{ first_name }},", "text_en": "Hello {{ first_name }},"},
                {"type": "posts", "count": 3, "post_ids": []},
            ],
        )
    return f"2 campaigns, {len(rows)} recipients, {len(created)} opens and clicks"
