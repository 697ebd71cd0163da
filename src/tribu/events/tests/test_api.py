"""API v1 for events: the same rules as the pages (visibility, registration refusals as clear 4xx,
organisers only for registrations and check-ins), and the calendar feed."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tribu.events.models import Event, Registration

from .conftest import make_event, make_group

pytestmark = pytest.mark.django_db


def api(client, method, path, body=None):
    kwargs = {"content_type": "application/json"}
    if body is not None:
        kwargs["data"] = json.dumps(body)
    return getattr(client, method)(f"/api/v1{path}", **kwargs)


def _as(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_agenda_shows_what_the_caller_may_see(anna, mia):
    make_event(title="Public", organiser=anna)
    make_event(title="Members", organiser=anna, audience="members")
    make_event(title="Draft", organiser=anna, status="draft")
    assert [e["title"] for e in api(_as(), "get", "/events").json()["results"]] == ["Public"]
    body = api(_as(mia), "get", "/events").json()
    assert [e["title"] for e in body["results"]] == ["Public", "Members"]
    assert body["count"] == 2
    assert api(_as(mia), "get", "/events?when=sometime").status_code == 422


def test_an_event_hides_its_link_from_people_not_registered(anna, mia, oscar):
    event = make_event(organiser=anna, format="online", online_url="https://meet.jit.si/Tribu-x", capacity=5)
    assert api(_as(oscar), "get", f"/events/{event.slug}").json()["online_url"] is None
    response = api(_as(mia), "post", f"/events/{event.slug}/registrations", {})
    assert response.status_code == 201 and response.json()["status"] == "confirmed"
    assert api(_as(mia), "get", f"/events/{event.slug}").json()["online_url"] == "https://meet.jit.si/Tribu-x"
    assert api(_as(), "get", "/events/nope").status_code == 404


def test_registration_refusals_are_clear(anna, mia, gina, membre):
    event = make_event(organiser=anna, capacity=5)
    api(_as(mia), "post", f"/events/{event.slug}/registrations", {})
    twice = api(_as(mia), "post", f"/events/{event.slug}/registrations", {})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already"
    members = make_event(title="Members", organiser=anna, audience="members")
    refused = api(_as(gina), "post", f"/events/{members.slug}/registrations", {})
    assert refused.status_code == 403 and "reserved for members" in refused.json()["error"]["message"]
    bad = api(_as(mia), "post", f"/events/{event.slug}/registrations", {"guests": 3})
    assert bad.status_code == 400
    assert api(_as(), "post", f"/events/{event.slug}/registrations", {}).status_code == 401
    assert Registration.objects.filter(event=event).count() == 1


def test_a_private_groups_event_is_a_404_from_outside(anna, mia):
    secret = make_group("Comité secret", visibility="private", owner=anna)
    event = make_event(organiser=anna, group=secret)
    assert api(_as(mia), "get", f"/events/{event.slug}").status_code == 404
    assert api(_as(mia), "post", f"/events/{event.slug}/registrations", {}).status_code == 404
    assert api(_as(anna), "get", f"/events/{event.slug}").status_code == 200


def test_organisers_create_publish_list_and_check_in(anna, mia, oscar):
    response = api(_as(anna), "post", "/events", {
        "title": "Atelier API", "starts_at": "2031-05-01T18:00:00+02:00", "ends_at": "2031-05-01T20:00:00+02:00",
        "capacity": 1,
    })
    assert response.status_code == 201, response.content
    slug = response.json()["slug"]
    assert response.json()["status"] == "draft"
    assert api(_as(mia), "post", "/events", {"title": "x", "starts_at": "2031-05-01T18:00:00Z",
                                             "ends_at": "2031-05-01T19:00:00Z"}).status_code == 403
    wrong = api(_as(anna), "post", "/events", {"title": "x", "starts_at": "2031-05-01T18:00:00Z",
                                               "ends_at": "2031-05-01T17:00:00Z"})
    assert wrong.status_code == 422 and "ends_at" in wrong.json()["error"]["details"]
    assert api(_as(anna), "post", f"/events/{slug}/publish").status_code == 200
    assert api(_as(anna), "post", f"/events/{slug}/publish").status_code == 409
    ticket = api(_as(anna), "post", f"/events/{slug}/ticket-types", {"name": "Gratuit"})
    assert ticket.status_code == 201
    assert api(_as(mia), "get", f"/events/{slug}/ticket-types").json()[0]["name"] == "Gratuit"
    code = api(_as(mia), "post", f"/events/{slug}/registrations", {}).json()["code"]
    assert api(_as(oscar), "post", f"/events/{slug}/registrations", {}).json()["status"] == "waitlisted"
    assert api(_as(mia), "get", f"/events/{slug}/registrations").status_code == 403
    listed = api(_as(anna), "get", f"/events/{slug}/registrations").json()
    assert {r["status"] for r in listed} == {"confirmed", "waitlisted"}
    assert api(_as(mia), "post", f"/events/{slug}/check-ins", {"code": code}).status_code == 403
    checked = api(_as(anna), "post", f"/events/{slug}/check-ins", {"code": code})
    assert checked.status_code == 200 and checked.json()["checked_in_now"] is True
    assert api(_as(anna), "post", f"/events/{slug}/check-ins", {"code": code}).json()["checked_in_now"] is False
    assert api(_as(anna), "post", f"/events/{slug}/check-ins", {"code": "zzz"}).status_code == 400
    lowered = api(_as(anna), "patch", f"/events/{slug}", {"capacity": 0})
    assert lowered.status_code == 422
    assert api(_as(oscar), "delete", f"/events/{slug}/registrations/me").status_code == 204
    assert api(_as(anna), "post", f"/events/{slug}/cancel", {"reason": "Pluie"}).json()["status"] == "cancelled"
    assert Event.objects.get(slug=slug).status == "cancelled"


def test_my_registrations_and_calendar(anna, mia):
    event = make_event(organiser=anna)
    api(_as(mia), "post", f"/events/{event.slug}/registrations", {})
    assert [r["event"] for r in api(_as(mia), "get", "/me/registrations").json()] == [event.slug]
    first = api(_as(mia), "get", "/me/calendar").json()
    assert first["webcal_url"].startswith("webcal://")
    second = api(_as(mia), "post", "/me/calendar/revoke").json()
    assert second["url"] != first["url"]
    assert api(_as(mia), "patch", "/me/calendar", {"include_all": True}).json()["include_all"] is True
    assert api(_as(), "get", "/me/calendar").status_code == 401
