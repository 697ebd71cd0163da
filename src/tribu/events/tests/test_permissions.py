"""Permission matrix: every kind of person × every kind of event × view, register, see the link,
check in, edit — through the pages (status codes) and the policies the API shares."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import make_user
from tribu.events import policies

from .conftest import add_to, make_event, make_group, make_membership

STATES = ["public", "members", "tier", "tier_hidden", "group_public", "group_moderated", "group_private", "draft",
          "cancelled"]
PEOPLE = ["anonymous", "guest", "member", "other_tier", "tier_holder", "group_member", "organiser", "staff"]

# What each person may do with each event: V view, R register, C check in / edit / see the link.
MATRIX = {
    "anonymous":    {"public": "V", "members": "", "tier": "", "tier_hidden": "", "group_public": "",
                     "group_moderated": "", "group_private": "", "draft": "", "cancelled": "V"},
    "guest":        {"public": "VR", "members": "V", "tier": "V", "tier_hidden": "", "group_public": "",
                     "group_moderated": "", "group_private": "", "draft": "", "cancelled": "V"},
    "member":       {"public": "VR", "members": "VR", "tier": "V", "tier_hidden": "", "group_public": "V",
                     "group_moderated": "", "group_private": "", "draft": "", "cancelled": "V"},
    "other_tier":   {"public": "VR", "members": "VR", "tier": "V", "tier_hidden": "", "group_public": "V",
                     "group_moderated": "", "group_private": "", "draft": "", "cancelled": "V"},
    "tier_holder":  {"public": "VR", "members": "VR", "tier": "VR", "tier_hidden": "VR", "group_public": "V",
                     "group_moderated": "", "group_private": "", "draft": "", "cancelled": "V"},
    "group_member": {"public": "VR", "members": "VR", "tier": "V", "tier_hidden": "", "group_public": "VR",
                     "group_moderated": "VR", "group_private": "VR", "draft": "", "cancelled": "V"},
    "organiser":    {"public": "VRC", "members": "VRC", "tier": "VC", "tier_hidden": "VC", "group_public": "VRC",
                     "group_moderated": "VRC", "group_private": "VRC", "draft": "VC", "cancelled": "VC"},
    "staff":        {"public": "VRC", "members": "VRC", "tier": "VRC", "tier_hidden": "VRC", "group_public": "VRC",
                     "group_moderated": "VRC", "group_private": "VRC", "draft": "VC", "cancelled": "VC"},
}


@pytest.fixture
def world(db, anna, bob, gina, mia, membre, premium):
    other = make_user("olga@example.org", "member", "Olga Autre")
    make_membership(tier=premium, user=other)
    holder = make_user("tina@example.org", "member", "Tina Tier")
    make_membership(tier=membre, user=holder)
    insider = make_user("gus@example.org", "member", "Gus Groupe")
    groups = {v: make_group(f"Groupe {v}", visibility=v, owner=anna) for v in ("public", "moderated", "private")}
    for group in groups.values():
        add_to(group, insider)
    events = {
        "public": make_event(title="Public", organiser=anna),
        "members": make_event(title="Members", organiser=anna, audience="members"),
        "tier": make_event(title="Tier", organiser=anna, audience="tiers", tiers=[membre]),
        "tier_hidden": make_event(title="Hidden", organiser=anna, audience="tiers", tiers=[membre],
                                  restriction_mode="hidden"),
        "group_public": make_event(title="Group public", organiser=anna, group=groups["public"], audience="group"),
        "group_moderated": make_event(title="Group moderated", organiser=anna, group=groups["moderated"]),
        "group_private": make_event(title="Group private", organiser=anna, group=groups["private"]),
        "draft": make_event(title="Draft", organiser=anna, status="draft"),
        "cancelled": make_event(title="Cancelled", organiser=anna, status="cancelled"),
    }
    people = {"anonymous": None, "guest": gina, "member": mia, "other_tier": other, "tier_holder": holder,
              "group_member": insider, "organiser": anna, "staff": bob}
    return people, events


def _expected(person: str) -> dict[str, str]:
    return MATRIX[person]


@pytest.mark.parametrize("person", PEOPLE)
def test_the_policies_follow_the_matrix(world, person):
    from django.contrib.auth.models import AnonymousUser

    people, events = world
    user = people[person] or AnonymousUser()
    got = {}
    for state, event in events.items():
        rights = ""
        if policies.can_view(user, event):
            rights += "V"
        if policies.can_register(user, event):
            rights += "R"
        if policies.can_check_in(user, event):
            assert policies.can_edit(user, event) and policies.can_see_link(user, event)
            rights += "C"
        else:
            assert not policies.can_edit(user, event) and not policies.can_see_link(user, event, None)
        got[state] = rights
    assert got == _expected(person)


@pytest.mark.parametrize("person", PEOPLE)
def test_the_pages_follow_the_matrix(world, person):
    people, events = world
    client = Client()
    if people[person] is not None:
        client.force_login(people[person])
    for state, event in events.items():
        rights = _expected(person)[state]
        page = client.get(f"/events/{event.slug}/")
        if "V" in rights:
            assert page.status_code == 200, (state, page.status_code)
            assert event.title in page.content.decode()
            has_button = f'action="/events/{event.slug}/register/"' in page.content.decode()
            assert has_button == ("R" in rights), state
        else:
            assert page.status_code == (302 if person == "anonymous" else 404), (state, page.status_code)
        for suffix in ("edit/", "attendees/", "check-in/", "programme/", "cancel/"):
            status = client.get(f"/events/{event.slug}/{suffix}").status_code
            if "C" in rights:
                assert status == 200, (state, suffix, status)
            else:
                assert status in ((302,) if person == "anonymous" else (404,)), (state, suffix, status)


@pytest.mark.parametrize("person", PEOPLE)
def test_registering_through_the_page_follows_the_matrix(world, person):
    from tribu.events.models import Registration

    people, events = world
    client = Client()
    user = people[person]
    if user is not None:
        client.force_login(user)
    for state, event in events.items():
        response = client.post(f"/events/{event.slug}/register/")
        registered = user is not None and Registration.objects.filter(event=event, user=user).exists()
        assert registered == ("R" in _expected(person)[state]), (state, response.status_code)
        if not registered:
            assert response.status_code in (302, 400, 403, 404), (state, response.status_code)
            if user is not None and "V" in _expected(person)[state]:
                assert response.status_code in (400, 403)


def test_the_video_link_is_shown_to_confirmed_registrants_only(client, anna, mia, gina):
    from tribu.events import actions

    event = make_event(organiser=anna, format="online", online_url="https://meet.jit.si/Tribu-secret", capacity=1)
    page = Client()
    page.force_login(gina)
    assert "Tribu-secret" not in page.get(f"/events/{event.slug}/").content.decode()
    actions.register(mia, event)
    actions.register(gina, event)  # waitlisted
    assert "Tribu-secret" not in page.get(f"/events/{event.slug}/").content.decode()
    assert "Tribu-secret" not in page.get(f"/events/{event.slug}/event.ics").content.decode()
    page.force_login(mia)
    assert "Tribu-secret" in page.get(f"/events/{event.slug}/").content.decode()
    assert "Tribu-secret" in page.get(f"/events/{event.slug}/event.ics").content.decode().replace("\r\n ", "")


@pytest.mark.parametrize("person", PEOPLE)
def test_the_api_follows_the_matrix(world, person):
    import json

    from tribu.events.models import Registration

    people, events = world
    client = Client()
    user = people[person]
    if user is not None:
        client.force_login(user)
    listed = {e["slug"] for e in client.get("/api/v1/events?page_size=50").json()["results"]}
    for state, event in events.items():
        rights = _expected(person)[state]
        read = client.get(f"/api/v1/events/{event.slug}")
        if "V" in rights:
            assert read.status_code == 200, (state, read.status_code)
        else:
            assert read.status_code == (401 if person == "anonymous" else 404), (state, read.status_code)
        # The agenda lists what may be seen, drafts aside (they live on the organisers' page).
        assert (event.slug in listed) == ("V" in rights and state != "draft"), state
        created = client.post(f"/api/v1/events/{event.slug}/registrations", data=json.dumps({}),
                              content_type="application/json")
        registered = user is not None and Registration.objects.filter(event=event, user=user).exists()
        assert registered == ("R" in rights), (state, created.status_code)
        assert created.status_code == 201 if "R" in rights else created.status_code in (400, 401, 403, 404)
        managed = client.get(f"/api/v1/events/{event.slug}/registrations").status_code
        if "C" in rights:
            assert managed == 200, (state, managed)
        else:
            assert managed in ((401,) if person == "anonymous" else (403, 404)), (state, managed)
