"""Demo events: past ones with attendance and feedback, upcoming ones (one full with a waitlist, an
online webinar, a paid conference, a group's outing) and a weekly series. Idempotent: events are keyed
on their slug (``demo-…``) and nothing is created twice."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

SEED = 2026
PLAN = [
    # slug, title, kind, format, days from now, hour, capacity, extra
    ("demo-afterwork-rentree", "Afterwork de rentrée", "afterwork", "in_person", -40, 19, 40,
     {"venue": "Le Lieu Unique", "address": "2 quai Ferdinand Favre, 44000 Nantes"}),
    ("demo-conference-ia", "Conférence : l'IA dans nos métiers", "conference", "hybrid", -12, 18, 80,
     {"venue": "CCI Nantes", "address": "16 quai Ernest Renaud, 44100 Nantes"}),
    ("demo-webinaire-rgpd", "Webinaire RGPD pour les associations", "webinar", "online", 5, 12, None, {}),
    ("demo-atelier-pitch", "Atelier pitch (places limitées)", "workshop", "in_person", 9, 18, 6,
     {"venue": "La Cantine", "address": "11 rue La Noue Bras de Fer, 44200 Nantes", "max_guests": 1}),
    ("demo-gala", "Soirée annuelle des adhérents", "conference", "in_person", 30, 19, 120,
     {"venue": "Château des ducs", "address": "4 place Marc Elder, 44000 Nantes"}),
    ("demo-ama-presidente", "AMA avec la présidente", "ama", "online", 16, 13, None, {"audience": "members"}),
]


def populate(faker: Any, now: datetime) -> str:
    from tribu.core.demo import demo_users

    from . import actions
    from .models import Event, Feedback, Registration, TicketType

    if Event.objects.filter(slug__startswith="demo-").exists():
        return "events already there"
    rng = random.Random(SEED)
    people = list(demo_users().filter(is_active=True).order_by("pk"))
    organiser = next((u for u in people if u.role == "animator"), None) or next(
        (u for u in people if u.role in {"admin", "staff"}), None)
    members = [u for u in people if u.role in {"member", "animator"}]
    if organiser is None or not members:
        return "no demo members: run the core demo first"
    created = 0
    registrations = 0
    with transaction.atomic():
        for slug, title, kind, fmt, days, hour, capacity, extra in PLAN:
            start = (now + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
            event = Event.objects.create(
                slug=slug, title=title, kind=kind, format=fmt, status="published", capacity=capacity,
                starts_at=start, ends_at=start + timedelta(hours=2), organiser=organiser,
                online_url=actions.jitsi_url() if fmt != "in_person" else "",
                summary=faker.sentence(nb_words=12), description="\n\n".join(faker.paragraphs(nb=3)), **extra,
            )
            created += 1
            if slug == "demo-gala":
                TicketType.objects.create(event=event, name="Adhérent", price_cents=3500, member_price_cents=2500)
            wanted = min(len(members), (capacity or 25) + (3 if capacity and capacity < 10 else -capacity // 3
                                                           if capacity else 0))
            chosen = rng.sample(members, max(0, wanted))
            seats = 0
            rows = []
            for index, user in enumerate(chosen):
                confirmed = capacity is None or seats < capacity
                seats += 1 if confirmed else 0
                rows.append(Registration(event=event, user=user, status="confirmed" if confirmed else "waitlisted",
                                         checked_in_at=start + timedelta(minutes=index % 30)
                                         if days < 0 and confirmed and rng.random() < 0.8 else None))
            Registration.objects.bulk_create(rows)
            registrations += len(rows)
            Event.objects.filter(pk=event.pk).update(seats_taken=seats)
            if days < 0:
                Feedback.objects.bulk_create([
                    Feedback(registration=r, rating=rng.choice([3, 4, 4, 5, 5]), comment=faker.sentence())
                    for r in Registration.objects.filter(event=event, checked_in_at__isnull=False)[:12]
                ])
        start = (now + timedelta(days=3)).replace(hour=8, minute=30, second=0, microsecond=0)
        series = actions.create_series(organiser, recurrence="weekly", count=6, title="Café des membres",
                                       starts_at=start, ends_at=start + timedelta(hours=1), venue="Café Cosy",
                                       capacity=15)
        for event in series.events.all():
            Event.objects.filter(pk=event.pk).update(status="published", slug="demo-" + event.slug)
            created += 1
    return f"{created} events and {registrations} registrations created"
