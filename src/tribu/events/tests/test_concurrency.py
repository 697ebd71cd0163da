"""The rush: 1,000 people trying to take the last 100 seats at the same moment. Exactly 100 are
confirmed, the others are waitlisted, on SQLite (a file database, every transaction BEGIN IMMEDIATE)
and on PostgreSQL (the event row locked with SELECT ... FOR UPDATE). Threads use their own connections."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from tribu.events import actions
from tribu.events.models import Event, Registration, RegistrationStatus

from .conftest import make_event

pytestmark = pytest.mark.django_db(transaction=True)


def _crowd(n: int, prefix: str = "rush"):
    from tribu.accounts.models import User

    User.objects.bulk_create(
        [User(email=f"{prefix}{i}@example.org", display_name=f"Rush {i}", role="member", password="!")
         for i in range(n)],
        batch_size=500,
    )
    return list(User.objects.filter(email__startswith=prefix).order_by("pk"))


def _rush(event_id: int, users: list, workers: int) -> tuple[list[str], list[str]]:
    start = threading.Barrier(workers)
    results: list[str] = []
    errors: list[str] = []
    chunks = [users[i::workers] for i in range(workers)]

    def run(chunk: list) -> None:
        try:
            start.wait()
            event = Event.objects.get(pk=event_id)
            for user in chunk:
                try:
                    results.append(actions.register(user, event).status)
                except actions.RegistrationRefused as refused:
                    results.append(f"refused:{refused.code}")
                except Exception as exc:
                    errors.append(repr(exc))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, chunks))
    return results, errors


@pytest.fixture
def quiet(monkeypatch):
    """No confirmation emails during the rush: what is measured is the seat counting."""
    monkeypatch.setattr(actions, "_email_on_commit", lambda registration, template: None)


def test_a_thousand_people_take_the_last_hundred_seats_and_exactly_a_hundred_get_one(anna, quiet):
    event = make_event(organiser=anna, capacity=150)
    Event.objects.filter(pk=event.pk).update(seats_taken=50)  # 50 seats already sold before the rush
    users = _crowd(1000)
    workers = 16 if connection.vendor == "postgresql" else 24
    results, errors = _rush(event.pk, users, workers)
    assert errors == []
    assert len(results) == 1000
    assert results.count(RegistrationStatus.CONFIRMED) == 100
    assert results.count(RegistrationStatus.WAITLISTED) == 900
    assert Registration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED).count() == 100
    assert Event.objects.get(pk=event.pk).seats_taken == 150


def test_the_same_member_clicking_many_times_at_once_gets_one_registration(anna, mia, quiet):
    event = make_event(organiser=anna, capacity=10)
    results, errors = _rush(event.pk, [mia] * 12, 12)
    assert errors == []
    assert results.count(RegistrationStatus.CONFIRMED) == 1
    assert results.count("refused:already") == 11
    assert Event.objects.get(pk=event.pk).seats_taken == 1


def test_concurrent_unregistrations_promote_each_waiting_person_once(anna, quiet):
    event = make_event(organiser=anna, capacity=20)
    users = _crowd(40, "swap")
    for user in users:
        actions.register(user, event)
    confirmed = list(Registration.objects.filter(event=event, status="confirmed").select_related("event"))
    barrier = threading.Barrier(10)
    errors: list[str] = []

    def leave(chunk: list) -> None:
        try:
            barrier.wait()
            for registration in chunk:
                actions.unregister(registration.user, registration)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(leave, [confirmed[i::10] for i in range(10)]))
    assert errors == []
    assert Registration.objects.filter(event=event, status="confirmed").count() == 20
    assert Registration.objects.filter(event=event, status="waitlisted").count() == 0
    assert Event.objects.get(pk=event.pk).seats_taken == 20
