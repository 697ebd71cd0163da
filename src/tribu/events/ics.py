"""iCalendar (RFC 5545) files and calendar links for events.

``calendar_bytes(events, ...)`` writes a VCALENDAR with one VEVENT per event (UID, DTSTAMP, DTSTART,
DTEND, SUMMARY, STATUS, SEQUENCE, URL, LOCATION) — the ``icalendar`` library folds long lines at
75 octets and ends every line with CRLF. ``google_url`` and ``outlook_url`` are the add-to-calendar
links; Apple Calendar opens the .ics file.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from icalendar import Event as VEvent

from .models import EventStatus


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "tribu.local"


def uid_of(event: Any) -> str:
    return f"event-{event.pk}@{_host()}"


def event_url(event: Any) -> str:
    return settings.SITE_URL + reverse("events:detail", args=[event.slug])


def location_of(event: Any, show_link: bool) -> str:
    parts = [p for p in (event.venue, event.address) if p]
    if event.has_link and show_link and event.online_url:
        parts.append(event.online_url)
    return ", ".join(parts)


def _sequence(event: Any) -> int:
    # Grows with every change, so calendars replace their copy (RFC 5545 3.8.7.4).
    return max(0, int((event.updated_at - event.created_at).total_seconds()))


def vevent(event: Any, *, show_link: bool = False, stamp: datetime | None = None) -> VEvent:
    item = VEvent()
    item.add("uid", uid_of(event))
    item.add("dtstamp", (stamp or timezone.now()).astimezone(UTC))
    item.add("dtstart", event.starts_at.astimezone(UTC))
    item.add("dtend", event.ends_at.astimezone(UTC))
    item.add("summary", event.title)
    description = event.summary or ""
    if show_link and event.has_link and event.online_url:
        description = f"{description}\n\n{event.online_url}".strip()
    description = f"{description}\n\n{event_url(event)}".strip()
    item.add("description", description)
    location = location_of(event, show_link)
    if location:
        item.add("location", location)
    item.add("url", event_url(event))
    item.add("status", "CANCELLED" if event.status == EventStatus.CANCELLED else "CONFIRMED")
    item.add("sequence", _sequence(event))
    item.add("last-modified", event.updated_at.astimezone(UTC))
    return item


def calendar_bytes(events: Iterable[Any], *, name: str = "", link_for: Any = None, method: str = "PUBLISH") -> bytes:
    """A VCALENDAR; ``link_for(event) -> bool`` says whether the video link goes in (registrants)."""
    from tribu.core.community import get_community

    cal = Calendar()
    cal.add("prodid", f"-//Tribu//{get_community().name or 'Tribu'}//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    stamp = timezone.now()
    for event in events:
        cal.add_component(vevent(event, show_link=bool(link_for and link_for(event)), stamp=stamp))
    return cal.to_ical()


def _utc_compact(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_url(event: Any) -> str:
    query = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": f"{_utc_compact(event.starts_at)}/{_utc_compact(event.ends_at)}",
        "details": f"{event.summary}\n{event_url(event)}".strip(),
        "location": location_of(event, False),
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_url(event: Any) -> str:
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.title,
        "startdt": event.starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "enddt": event.ends_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "body": f"{event.summary}\n{event_url(event)}".strip(),
        "location": location_of(event, False),
    }
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(query)


def ics_url(event: Any) -> str:
    return settings.SITE_URL + reverse("events:ics", args=[event.slug])
