"""ICS files and feeds (RFC 5545: parsed back, required properties, folding, CRLF) and the periodic
jobs (reminders 24 h and 1 h before, the feedback survey), idempotent whatever the number of runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from tribu.events import actions, ics, jobs
from tribu.events.models import Event, ReminderSent

from .conftest import make_event, subject_of

pytestmark = pytest.mark.django_db(transaction=True)


def _check_rfc5545(data: bytes) -> Calendar:
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    for line in data.split(b"\r\n"):
        assert b"\n" not in line and b"\r" not in line
        assert len(line) <= 75, line  # folded at 75 octets
    calendar = Calendar.from_ical(data)
    assert calendar["VERSION"] == "2.0" and calendar.get("PRODID")
    for component in calendar.walk("VEVENT"):
        for required in ("UID", "DTSTAMP", "DTSTART"):
            assert component.get(required) is not None, required
    return calendar


def test_the_event_ics_validates_and_carries_the_details(anna, mia):
    long_title = "Rencontre annuelle des adhérents — " + "très " * 30 + "longue"
    event = make_event(title=long_title, organiser=anna, venue="Hôtel de ville", address="1 place, Lyon")
    data = Client().get(f"/events/{event.slug}/event.ics").content
    calendar = _check_rfc5545(data)
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == long_title
    assert vevent.decoded("DTSTART") == event.starts_at.replace(microsecond=0)
    assert vevent.decoded("DTEND") == event.ends_at.replace(microsecond=0)
    assert "Hôtel de ville" in str(vevent["LOCATION"])
    assert str(vevent["UID"]) == ics.uid_of(event)
    assert str(vevent["STATUS"]) == "CONFIRMED"


def test_the_calendar_feed_holds_my_events_and_optionally_every_visible_one(anna, mia):
    mine = make_event(title="Mon atelier", organiser=anna)
    other = make_event(title="Autre rendez-vous", organiser=anna)
    hidden = make_event(title="Brouillon", organiser=anna, status="draft")
    actions.register(mia, mine)
    feed = actions.calendar_feed(mia)
    calendar = _check_rfc5545(Client().get(f"/events/calendar/{feed.token}.ics").content)
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["Mon atelier"]
    actions.set_calendar_scope(mia, True)
    calendar = _check_rfc5545(Client().get(f"/events/calendar/{feed.token}.ics").content)
    titles = {str(e["SUMMARY"]) for e in calendar.walk("VEVENT")}
    assert titles == {"Mon atelier", "Autre rendez-vous"} and hidden.title not in titles
    actions.cancel_event(anna, mine)
    calendar = _check_rfc5545(Client().get(f"/events/calendar/{feed.token}.ics").content)
    statuses = {str(e["SUMMARY"]): str(e["STATUS"]) for e in calendar.walk("VEVENT")}
    assert statuses["Mon atelier"] == "CANCELLED"
    assert other.pk


def test_add_to_calendar_links_carry_the_times_in_utc(anna):
    event = make_event(organiser=anna)
    start = event.starts_at.astimezone(timezone.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert start in ics.google_url(event)
    assert "outlook.live.com" in ics.outlook_url(event)


def test_reminders_go_24_hours_and_1_hour_before_once_each(anna, mia, oscar, smtp_server):
    event = make_event(organiser=anna, days=0.9)  # starts in about 21 hours
    actions.register(mia, event)
    actions.register(oscar, event)
    smtp_server.received.clear()
    assert jobs.send_reminders() == 2
    assert jobs.send_reminders() == 0
    assert sorted(m["To"] for m in smtp_server.received) == ["mia@example.org", "oscar@example.org"]
    assert all("Reminder" in subject_of(m) for m in smtp_server.received)
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() + timedelta(minutes=40),
                                             ends_at=timezone.now() + timedelta(hours=2))
    assert jobs.send_reminders() == 2
    assert jobs.send_reminders() == 0
    assert ReminderSent.objects.count() == 4
    assert len(smtp_server.received) == 4


def test_the_feedback_survey_goes_to_attendees_once(anna, mia, oscar, smtp_server):
    event = make_event(organiser=anna)
    came = actions.register(mia, event)
    actions.register(oscar, event)
    actions.check_in(anna, event, registration=came)
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - timedelta(hours=3),
                                             ends_at=timezone.now() - timedelta(hours=1))
    smtp_server.received.clear()
    assert jobs.request_feedback() == 1
    assert jobs.request_feedback() == 0
    [message] = smtp_server.received
    assert message["To"] == "mia@example.org"
    assert f"/events/ticket/{came.code}/feedback/" in message.get_payload()[0].get_payload(decode=True).decode()
    client = Client()
    client.force_login(mia)
    response = client.post(f"/events/ticket/{came.code}/feedback/", {"rating": "5", "comment": "Parfait"})
    assert response.status_code == 302
    client.force_login(anna)
    page = client.get(f"/events/{event.slug}/").content.decode()
    assert "Parfait" in page and "5/5" in page
