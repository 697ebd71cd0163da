"""The agenda (list, month, my events), the event form, attendees, exports, check-in and the
calendar feed, as people use them; list pages run a bounded number of queries."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tribu.events import actions
from tribu.events.models import Event, Registration

from .conftest import make_event, make_group

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_agenda_lists_upcoming_events_and_filters_them(mia, anna):
    make_event(title="Afterwork d'automne", organiser=anna, kind="afterwork")
    make_event(title="Webinaire RGPD", organiser=anna, kind="webinar", format="online")
    make_event(title="Vieux meetup", organiser=anna, days=-10)
    client = _client(mia)
    page = client.get("/events/").content.decode()
    assert "Afterwork d&#x27;automne" in page and "Webinaire RGPD" in page and "Vieux meetup" not in page
    page = client.get("/events/?kind=webinar").content.decode()
    assert "Webinaire RGPD" in page and "automne" not in page
    page = client.get("/events/?format=online").content.decode()
    assert "Webinaire RGPD" in page and "automne" not in page
    page = client.get("/events/?when=past").content.decode()
    assert "Vieux meetup" in page and "Webinaire" not in page
    assert client.get("/events/?start=not-a-date").status_code == 400


def test_the_agenda_filters_by_group_and_date(mia, anna):
    club = make_group("Club vélo", owner=anna)
    make_event(title="Sortie du club", organiser=anna, group=club, days=3)
    make_event(title="Plus tard", organiser=anna, days=40)
    client = _client(mia)
    page = client.get("/events/?group=club-velo").content.decode()
    assert "Sortie du club" in page and "Plus tard" not in page
    until = (timezone.localdate() + timedelta(days=10)).isoformat()
    page = client.get(f"/events/?end={until}").content.decode()
    assert "Sortie du club" in page and "Plus tard" not in page


def test_anonymous_visitors_see_public_events_only(anna):
    make_event(title="Conférence ouverte", organiser=anna)
    make_event(title="Réservé aux membres", organiser=anna, audience="members")
    page = Client().get("/events/").content.decode()
    assert "Conférence ouverte" in page and "Réservé aux membres" not in page


def test_the_agenda_runs_the_same_queries_for_5_or_40_events(mia, anna, django_assert_num_queries):
    client = _client(mia)
    for i in range(5):
        make_event(title=f"E{i}", organiser=anna, capacity=10)
    client.get("/events/")
    with CaptureQueriesContext(connection) as small:
        client.get("/events/")
    with CaptureQueriesContext(connection) as small_month:
        client.get("/events/month/")
    for i in range(35):
        make_event(title=f"F{i}", organiser=anna, capacity=10, days=1 + i % 20)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get("/events/")
    with django_assert_num_queries(len(small_month.captured_queries)):
        client.get("/events/month/")
    assert len(small.captured_queries) <= 12


def test_the_month_calendar_shows_the_events_of_the_month(mia, anna):
    event = make_event(title="Pique-nique", organiser=anna, days=1)
    local = timezone.localtime(event.starts_at)
    page = _client(mia).get(f"/events/month/{local.year}/{local.month}/").content.decode()
    assert "Pique-nique" in page
    assert _client(mia).get("/events/month/2025/13/").status_code == 404


def test_my_events_lists_my_registrations(mia, anna):
    event = make_event(title="Atelier CV", organiser=anna)
    make_event(title="Autre chose", organiser=anna)
    actions.register(mia, event)
    page = _client(mia).get("/events/mine/").content.decode()
    assert "Atelier CV" in page and "Autre chose" not in page


def test_registering_and_unregistering_in_one_click(mia, anna):
    event = make_event(organiser=anna, capacity=3)
    client = _client(mia)
    response = client.post(f"/events/{event.slug}/register/", follow=True)
    assert "You are registered" in response.content.decode()
    assert client.post(f"/events/{event.slug}/register/").status_code == 409
    client.post(f"/events/{event.slug}/unregister/")
    assert Registration.objects.get(user=mia).status == "cancelled"
    assert Event.objects.get(pk=event.pk).seats_taken == 0


def test_an_organiser_creates_an_event_in_its_own_time_zone_and_publishes_it(anna, mia):
    client = _client(anna)
    assert client.get("/events/new/").status_code == 200
    response = client.post("/events/new/", {
        "title": "Conférence à Montréal", "kind": "conference", "format": "in_person", "venue": "UQAM",
        "starts_at": "2031-06-30T18:30", "ends_at": "2031-06-30T20:00", "time_zone": "America/Montreal",
        "audience": "everyone", "restriction_mode": "teaser", "max_guests": "0",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get(title="Conférence à Montréal")
    assert event.status == "draft"
    assert event.starts_at.astimezone(timezone.UTC).hour == 22  # 18:30 in Montreal (UTC-4) is 22:30 UTC
    client.post(f"/events/{event.slug}/publish/")
    assert Event.objects.get(pk=event.pk).status == "published"
    from tribu.core.models import Notification

    assert Notification.objects.filter(recipient=mia, kind="events.announced").exists()


def test_the_event_form_refuses_an_end_before_the_start(anna):
    anna.language = "en"
    anna.save(update_fields=["language"])
    response = _client(anna).post("/events/new/", {
        "title": "À l'envers", "kind": "meetup", "format": "in_person", "starts_at": "2031-06-30T18:30",
        "ends_at": "2031-06-30T17:00", "time_zone": "Europe/Paris", "audience": "everyone",
        "restriction_mode": "teaser", "max_guests": "0",
    })
    assert response.status_code == 400
    assert "The end must come after the start." in response.content.decode()
    assert not Event.objects.exists()


def test_a_weekly_series_is_created_from_the_form(anna):
    response = _client(anna).post("/events/new/", {
        "title": "Yoga", "kind": "workshop", "format": "in_person", "starts_at": "2031-01-06T08:00",
        "ends_at": "2031-01-06T09:00", "time_zone": "Europe/Paris", "audience": "everyone",
        "restriction_mode": "teaser", "max_guests": "0", "repeat": "weekly", "occurrences": "3",
    })
    assert response.status_code == 302
    assert Event.objects.filter(title="Yoga").count() == 3


def test_the_attendee_list_searches_exports_and_ticks_names(anna, mia, oscar):
    from openpyxl import load_workbook

    event = make_event(organiser=anna, capacity=5)
    mine = actions.register(mia, event)
    actions.register(oscar, event)
    client = _client(anna)
    page = client.get(f"/events/{event.slug}/attendees/?q=oscar").content.decode()
    assert "Oscar Outsider" in page and "Mia Membre" not in page
    csv = client.get(f"/events/{event.slug}/attendees/export.csv").content.decode("utf-8-sig")
    assert "Mia Membre" in csv and "Oscar Outsider" in csv
    xlsx = client.get(f"/events/{event.slug}/attendees/export.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == {"Mia Membre", "Oscar Outsider"}
    client.post(f"/events/{event.slug}/attendees/{mine.pk}/check-in/")
    assert Registration.objects.get(pk=mine.pk).checked_in_at is not None
    client.post(f"/events/{event.slug}/attendees/walk-in/", {"name": "Jean Passant"})
    assert Registration.objects.filter(event=event, name="Jean Passant", walk_in=True).exists()
    page = client.get(f"/events/{event.slug}/attendees/").content.decode()
    assert "attendance rate 67 %" in page


def test_the_attendee_export_neutralises_formulas(anna):
    event = make_event(organiser=anna, capacity=5)
    actions.add_walk_in(anna, event, name="=HYPERLINK(\"http://evil\")")
    csv = _client(anna).get(f"/events/{event.slug}/attendees/export.csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in csv


def test_the_attendee_list_runs_the_same_queries_for_3_or_30_people(anna, django_assert_num_queries):
    from conftest import make_user

    event = make_event(organiser=anna, capacity=100)
    for i in range(3):
        actions.register(make_user(f"a{i}@example.org", "member", f"A {i}"), event)
    client = _client(anna)
    client.get(f"/events/{event.slug}/attendees/")
    with CaptureQueriesContext(connection) as small:
        client.get(f"/events/{event.slug}/attendees/")
    from tribu.accounts.models import User

    for i in range(27):
        user = User.objects.create(email=f"b{i}@example.org", display_name=f"B {i}", role="member")
        actions.register(user, event)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(f"/events/{event.slug}/attendees/")


def test_the_check_in_page_takes_the_code_of_the_qr(anna, mia):
    event = make_event(organiser=anna, capacity=5)
    registration = actions.register(mia, event)
    client = _client(anna)
    page = client.get(f"/events/{event.slug}/check-in/").content.decode()
    assert "checkin.js" in page and "<script>" not in page
    response = client.post(f"/events/{event.slug}/check-in/", {"code": registration.code})
    assert "Mia Membre is checked in." in response.content.decode()
    response = client.post(f"/events/{event.slug}/check-in/", {"code": registration.code})
    assert "already checked in" in response.content.decode()
    assert client.post(f"/events/{event.slug}/check-in/", {"code": "wrong"}).status_code == 400


def test_the_ticket_shows_a_qr_code_to_its_owner_only(mia, oscar, anna):
    event = make_event(organiser=anna)
    registration = actions.register(mia, event)
    page = _client(mia).get(f"/events/ticket/{registration.code}/").content.decode()
    assert "<svg" in page and registration.code in page
    assert _client(oscar).get(f"/events/ticket/{registration.code}/").status_code == 404
    assert _client(anna).get(f"/events/ticket/{registration.code}/").status_code == 200


def test_the_programme_page_adds_speakers_agenda_tickets_questions_and_resources(anna, mia):
    event = make_event(organiser=anna)
    client = _client(anna)
    assert client.post(f"/events/{event.slug}/programme/", {
        "form": "speaker", "speaker-name": "Dr Invitée", "speaker-bio": "Chercheuse"}).status_code == 302
    assert client.post(f"/events/{event.slug}/programme/", {
        "form": "speaker", "speaker-email": "mia@example.org"}).status_code == 302
    local = timezone.localtime(event.starts_at).strftime("%Y-%m-%dT%H:%M")
    assert client.post(f"/events/{event.slug}/programme/", {
        "form": "agenda", "agenda-starts_at": local, "agenda-title": "Accueil"}).status_code == 302
    assert client.post(f"/events/{event.slug}/programme/", {
        "form": "ticket", "ticket-name": "Standard", "ticket-price_cents": "1500"}).status_code == 302
    assert client.post(f"/events/{event.slug}/programme/", {
        "form": "question", "question-label_fr": "Entreprise", "question-kind": "short_text"}).status_code == 302
    assert client.post(f"/events/{event.slug}/programme/", {
        "form": "resource", "resource-title": "Diapos", "resource-kind": "slides",
        "resource-url": "https://example.org/slides.pdf"}).status_code == 302
    assert client.post(f"/events/{event.slug}/programme/", {"form": "resource", "resource-title": "Rien",
                                                             "resource-kind": "slides"}).status_code == 400
    page = _client(mia).get(f"/events/{event.slug}/").content.decode()
    for text in ("Dr Invitée", "Mia Membre", "Accueil", "Standard", "Diapos", "15.00"):
        assert text in page, text


def test_the_calendar_settings_page_gives_a_revocable_address(mia, anna):
    client = _client(mia)
    page = client.get("/events/calendar/").content.decode()
    feed = mia.calendar_feed
    assert f"/events/calendar/{feed.token}.ics" in page and "webcal://" in page
    old = feed.token
    assert Client().get(f"/events/calendar/{old}.ics").status_code == 200
    client.post("/events/calendar/", {"action": "revoke"})
    assert Client().get(f"/events/calendar/{old}.ics").status_code == 404
    mia.calendar_feed.refresh_from_db()
    assert Client().get(f"/events/calendar/{mia.calendar_feed.token}.ics").status_code == 200


def test_the_pages_are_in_french_too(mia, anna):
    event = make_event(organiser=anna, capacity=1)
    from django.conf import settings

    client = _client(mia)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get(f"/events/{event.slug}/").content.decode()
    assert "Inscription" in page


def test_an_organiser_edits_an_event_and_registrants_hear_of_the_new_time(anna, mia):
    from tribu.core.models import Notification

    event = make_event(organiser=anna, capacity=5, venue="Salle A")
    actions.register(mia, event)
    client = _client(anna)
    page = client.get(f"/events/{event.slug}/edit/").content.decode()
    assert "Salle A" in page
    local = timezone.localtime(event.starts_at + timedelta(hours=1))
    end = timezone.localtime(event.ends_at + timedelta(hours=1))
    form = {
        "title": "Nouveau titre", "kind": event.kind, "format": "in_person", "venue": "Salle B",
        "starts_at": local.strftime("%Y-%m-%dT%H:%M"), "ends_at": end.strftime("%Y-%m-%dT%H:%M"),
        "time_zone": "Europe/Paris", "capacity": "5", "audience": "everyone", "restriction_mode": "teaser",
        "max_guests": "0",
    }
    response = client.post(f"/events/{event.slug}/edit/", form)
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.title == "Nouveau titre" and event.venue == "Salle B"
    assert Notification.objects.filter(recipient=mia, kind="events.changed").count() == 1
    form["capacity"] = "0"
    response = client.post(f"/events/{event.slug}/edit/", form)
    assert response.status_code == 400
    assert "1 seat is already taken: the capacity cannot be lower." in response.content.decode()


def test_the_event_page_runs_the_same_queries_with_few_or_many_registrations(anna, mia, django_assert_num_queries):
    from tribu.accounts.models import User

    event = make_event(organiser=anna, capacity=200)
    actions.add_speaker(anna, event, name="Invitée")
    for i in range(3):
        actions.register(User.objects.create(email=f"c{i}@example.org", display_name=f"C {i}", role="member"), event)
    client = _client(anna)
    client.get(f"/events/{event.slug}/")
    with CaptureQueriesContext(connection) as small:
        client.get(f"/events/{event.slug}/")
    for i in range(30):
        actions.register(User.objects.create(email=f"d{i}@example.org", display_name=f"D {i}", role="member"), event)
    actions.add_speaker(anna, event, name="Autre")
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(f"/events/{event.slug}/")


def test_the_team_announces_an_event_to_a_segment_only(bob, anna, mia, gina, oscar):
    from tribu.core.models import Notification
    from tribu.segments.models import Segment

    guests = Segment.objects.create(name="Invités", filters={"match": "all", "rules": [
        {"field": "role", "op": "in", "value": ["guest"]}]})
    event = make_event(organiser=anna, status="draft")
    client = _client(bob)
    assert "Invités" in client.get(f"/events/{event.slug}/").content.decode()
    client.post(f"/events/{event.slug}/publish/", {"segment": str(guests.pk)})
    announced = set(Notification.objects.filter(kind="events.announced").values_list("recipient__email", flat=True))
    assert announced == {"gina@example.org"}
    assert "Invités" not in _client(anna).get(f"/events/{event.slug}/").content.decode()


def test_organisers_remove_programme_items_but_not_a_ticket_type_in_use(anna, mia, oscar):
    from tribu.events.models import Speaker, TicketType

    event = make_event(organiser=anna)
    speaker = actions.add_speaker(anna, event, name="Partante")
    used = TicketType.objects.create(event=event, name="Pris")
    actions.register(mia, event, ticket_type=used)
    client = _client(anna)
    assert f"/programme/speaker/{speaker.pk}/remove/" in client.get(f"/events/{event.slug}/programme/").content.decode()
    assert _client(oscar).post(f"/events/{event.slug}/programme/speaker/{speaker.pk}/remove/").status_code == 404
    client.post(f"/events/{event.slug}/programme/speaker/{speaker.pk}/remove/")
    assert not Speaker.objects.filter(pk=speaker.pk).exists()
    response = client.post(f"/events/{event.slug}/programme/ticket/{used.pk}/remove/", follow=True)
    assert "cannot be removed" in response.content.decode()
    assert TicketType.objects.filter(pk=used.pk).exists()


def test_a_cover_image_is_checked_and_stripped_of_its_metadata(anna):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "Camera with GPS"  # Make
    Image.new("RGB", (800, 400), "teal").save(buffer, format="JPEG", exif=exif)
    photo = SimpleUploadedFile("cover.jpg", buffer.getvalue(), content_type="image/jpeg")
    event = make_event(organiser=anna)
    actions.update_event(anna, event, {"cover": photo})
    event.refresh_from_db()
    with Image.open(event.cover.path) as stored:
        assert stored.size == (800, 400) and not stored.getexif()
    fake = SimpleUploadedFile("cover.png", b"not an image at all", content_type="image/png")
    with pytest.raises(ValidationError):
        actions.update_event(anna, event, {"cover": fake})
