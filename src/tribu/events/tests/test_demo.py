"""The demo step creates events with registrations, a waitlist and feedback, once."""

from __future__ import annotations

import pytest
from django.utils import timezone
from faker import Faker

pytestmark = pytest.mark.django_db


def test_the_demo_creates_events_once():
    from tribu.core import demo as core_demo
    from tribu.events import demo
    from tribu.events.models import Event, Registration

    faker = Faker("fr_FR")
    faker.seed_instance(1)
    core_demo.populate(faker, timezone.now(), password="x")
    first = demo.populate(faker, timezone.now())
    assert "events" in first
    count = Event.objects.count()
    assert count >= 12
    assert Registration.objects.filter(status="waitlisted").exists()
    for event in Event.objects.exclude(capacity=None):
        assert event.seats_taken == Registration.objects.filter(event=event, status="confirmed").count()
        assert event.seats_taken <= event.capacity
    assert demo.populate(faker, timezone.now()) == "events already there"
    assert Event.objects.count() == count
