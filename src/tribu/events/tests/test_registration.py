"""Registration: one click for free events, a strict capacity, a waitlist that moves until the
deadline, clear refusals, tickets and guests, payments awaited and settled."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conftest import make_user
from tribu.events import actions
from tribu.events.models import Event, Registration, RegistrationStatus, TicketType

from .conftest import body_of, make_event, make_membership, subject_of

pytestmark = pytest.mark.django_db(transaction=True)


def _people(n: int, prefix: str = "p"):
    return [make_user(f"{prefix}{i}@example.org", "member", f"Person {i}") for i in range(n)]


def test_a_member_registers_in_one_click_and_gets_the_confirmation_with_an_ics(mia, anna, smtp_server):
    event = make_event(title="Rock & Roll <live>", organiser=anna, capacity=5, venue="La Cantine",
                       address="12 rue de la Paix, Nantes")
    registration = actions.register(mia, event)
    assert registration.status == RegistrationStatus.CONFIRMED
    assert Event.objects.get(pk=event.pk).seats_taken == 1
    [message] = smtp_server.received
    assert message["To"] == "mia@example.org"
    assert subject_of(message) == "You are registered: Rock & Roll <live>"
    html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    assert "Rock &amp; Roll &lt;live&gt;" in html
    body = body_of(message)
    assert "La Cantine" in body and registration.code in body
    assert "calendar.google.com" in body and "outlook.live.com" in body and f"/events/{event.slug}/event.ics" in body
    attachments = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(attachments) == 1
    data = attachments[0].get_payload(decode=True)
    assert b"BEGIN:VEVENT" in data and b"\r\n" in data


def test_registering_twice_is_refused_with_a_clear_message(mia, event):
    actions.register(mia, event)
    with pytest.raises(actions.RegistrationRefused) as refused:
        actions.register(mia, event)
    assert refused.value.code == "already"
    assert "already registered" in refused.value.messages[0]
    assert Registration.objects.filter(event=event).count() == 1


def test_registering_after_the_deadline_is_refused(mia, anna):
    event = make_event(organiser=anna, registration_deadline=timezone.now() - timedelta(minutes=1))
    with pytest.raises(actions.RegistrationRefused) as refused:
        actions.register(mia, event)
    assert refused.value.code == "deadline"
    assert not Registration.objects.exists()


def test_a_full_event_puts_the_next_people_on_the_waitlist_and_promotes_them_in_order(anna, smtp_server):
    event = make_event(organiser=anna, capacity=1)
    first, second, third = _people(3)
    assert actions.register(first, event).status == RegistrationStatus.CONFIRMED
    assert actions.register(second, event).status == RegistrationStatus.WAITLISTED
    assert actions.register(third, event).status == RegistrationStatus.WAITLISTED
    smtp_server.received.clear()
    mine = Registration.objects.get(event=event, user=first)
    actions.unregister(first, mine)
    assert Registration.objects.get(event=event, user=second).status == RegistrationStatus.CONFIRMED
    assert Registration.objects.get(event=event, user=third).status == RegistrationStatus.WAITLISTED
    assert Event.objects.get(pk=event.pk).seats_taken == 1
    [message] = smtp_server.received
    assert message["To"] == "p1@example.org"
    assert "you are in" in subject_of(message)


def test_the_waitlist_stops_moving_after_the_deadline(anna):
    event = make_event(organiser=anna, capacity=1)
    first, second = _people(2)
    actions.register(first, event)
    actions.register(second, event)
    Event.objects.filter(pk=event.pk).update(registration_deadline=timezone.now() - timedelta(minutes=1))
    event.refresh_from_db()
    actions.unregister(first, Registration.objects.get(user=first, event=event))
    assert Registration.objects.get(user=second, event=event).status == RegistrationStatus.WAITLISTED
    assert Event.objects.get(pk=event.pk).seats_taken == 0


def test_a_tier_restricted_event_refuses_members_without_the_tier(mia, oscar, anna, membre):
    event = make_event(organiser=anna, audience="tiers", tiers=[membre])
    make_membership(tier=membre, user=mia)
    assert actions.register(mia, event).status == RegistrationStatus.CONFIRMED
    with pytest.raises(actions.RegistrationRefused) as refused:
        actions.register(oscar, event)
    assert refused.value.code == "tier"


def test_guests_take_seats_and_are_limited(mia, oscar, anna):
    event = make_event(organiser=anna, capacity=3, max_guests=1)
    with pytest.raises(actions.RegistrationRefused):
        actions.register(mia, event, guests=2)
    actions.register(mia, event, guests=1)
    assert Event.objects.get(pk=event.pk).seats_taken == 2
    # Two seats needed, one left: the waitlist.
    assert actions.register(oscar, event, guests=1).status == RegistrationStatus.WAITLISTED


def test_a_paid_ticket_holds_a_seat_until_the_payment_is_recorded(mia, anna, membre, smtp_server):
    from tribu.payments.models import Payment, PaymentStatus

    event = make_event(organiser=anna, capacity=2)
    ticket = TicketType.objects.create(event=event, name="Standard", price_cents=2000, member_price_cents=1500)
    make_membership(tier=membre, user=mia)
    registration = actions.register(mia, event, ticket_type=ticket)
    assert registration.status == RegistrationStatus.PENDING_PAYMENT
    assert registration.price_cents == 1500
    payment = Payment.objects.get(pk=registration.payment_id)
    assert payment.purpose == "event" and payment.amount_cents == 1500 and payment.status == "pending"
    assert Event.objects.get(pk=event.pk).seats_taken == 1
    assert actions.settle_payments() == {"confirmed": 0, "released": 0}
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.SUCCEEDED)
    assert actions.settle_payments() == {"confirmed": 1, "released": 0}
    assert Registration.objects.get(pk=registration.pk).status == RegistrationStatus.CONFIRMED
    assert actions.settle_payments() == {"confirmed": 0, "released": 0}


def test_a_failed_payment_frees_the_seat_for_the_waitlist(mia, oscar, anna):
    from tribu.payments.models import Payment

    event = make_event(organiser=anna, capacity=1)
    ticket = TicketType.objects.create(event=event, name="Standard", price_cents=1000)
    held = actions.register(mia, event, ticket_type=ticket)
    waiting = actions.register(oscar, event, ticket_type=ticket)
    assert waiting.status == RegistrationStatus.WAITLISTED
    Payment.objects.filter(pk=held.payment_id).update(status="failed")
    assert actions.settle_payments()["released"] == 1
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.PENDING_PAYMENT and waiting.payment_id
    assert TicketType.objects.get(pk=ticket.pk).sold == 1


def test_a_ticket_type_quantity_is_enforced(mia, oscar, anna):
    event = make_event(organiser=anna)
    ticket = TicketType.objects.create(event=event, name="Early bird", quantity=1)
    actions.register(mia, event, ticket_type=ticket)
    with pytest.raises(actions.RegistrationRefused) as refused:
        actions.register(oscar, event, ticket_type=ticket)
    assert refused.value.code == "ticket_sold_out"


def test_a_tier_restricted_ticket_is_refused_without_the_tier(mia, anna, premium):
    event = make_event(organiser=anna)
    ticket = TicketType.objects.create(event=event, name="VIP")
    ticket.required_tiers.set([premium])
    with pytest.raises(actions.RegistrationRefused) as refused:
        actions.register(mia, event, ticket_type=ticket)
    assert refused.value.code == "ticket_tier"


def test_registration_questions_reuse_the_custom_field_kinds(mia, anna):
    event = make_event(organiser=anna)
    actions.add_question(anna, event, kind="single_choice", label_fr="Régime", label_en="Diet", required=True,
                         choices=[{"value": "veg", "label_fr": "Végétarien", "label_en": "Vegetarian"}])
    with pytest.raises(ValidationError) as error:
        actions.register(mia, event, answers={})
    assert "q_diet" in error.value.message_dict
    registration = actions.register(mia, event, answers={"diet": "Vegetarian"})
    assert registration.answers == {"diet": "veg"}


def test_an_organiser_cannot_set_the_end_before_the_start_nor_capacity_below_registrations(anna, mia, oscar):
    event = make_event(organiser=anna, capacity=5)
    actions.register(mia, event)
    actions.register(oscar, event)
    with pytest.raises(ValidationError) as error:
        actions.update_event(anna, event, {"ends_at": event.starts_at - timedelta(hours=1)})
    assert "ends_at" in error.value.message_dict
    event.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        actions.update_event(anna, event, {"capacity": 1})
    assert "2 seats are already taken" in error.value.message_dict["capacity"][0]
    assert Event.objects.get(pk=event.pk).capacity == 5


def test_raising_the_capacity_promotes_the_waitlist(anna, mia, oscar):
    event = make_event(organiser=anna, capacity=1)
    actions.register(mia, event)
    actions.register(oscar, event)
    event.refresh_from_db()
    actions.update_event(anna, event, {"capacity": 2})
    assert Registration.objects.get(user=oscar).status == RegistrationStatus.CONFIRMED


def test_a_change_of_time_and_a_cancellation_reach_every_registrant(anna, mia, oscar, smtp_server):
    from tribu.core.models import Notification

    event = make_event(organiser=anna, capacity=1)
    actions.register(mia, event)
    actions.register(oscar, event)
    smtp_server.received.clear()
    event.refresh_from_db()
    actions.update_event(anna, event, {"starts_at": event.starts_at + timedelta(hours=1),
                                       "ends_at": event.ends_at + timedelta(hours=1)})
    assert sorted(m["To"] for m in smtp_server.received) == ["mia@example.org", "oscar@example.org"]
    assert all("changed" in subject_of(m) for m in smtp_server.received)
    smtp_server.received.clear()
    actions.cancel_event(anna, event, "Salle indisponible")
    assert sorted(m["To"] for m in smtp_server.received) == ["mia@example.org", "oscar@example.org"]
    assert all("Salle indisponible" in body_of(m) for m in smtp_server.received)
    assert Notification.objects.filter(kind="events.changed", recipient=mia).count() == 2


def test_an_online_event_gets_a_jitsi_room_shown_only_to_confirmed_registrants(anna, mia, oscar):
    from tribu.events import policies

    event = actions.create_event(anna, title="Webinaire", format="online", starts_at=timezone.now() + timedelta(days=2),
                                 ends_at=timezone.now() + timedelta(days=2, hours=1), capacity=1)
    assert event.online_url.startswith("https://meet.jit.si/Tribu-")
    actions.publish_event(anna, event)
    mine = actions.register(mia, event)
    waiting = actions.register(oscar, event)
    assert policies.can_see_link(mia, event, mine)
    assert not policies.can_see_link(oscar, event, waiting)
    assert policies.can_see_link(anna, event, None)


def test_check_in_by_code_is_recorded_once_and_walk_ins_are_added(anna, mia, bob):
    from tribu.core.models import Activity

    event = make_event(organiser=anna, capacity=2)
    registration = actions.register(mia, event)
    row, done = actions.check_in(anna, event, code=registration.code)
    assert done and row.checked_in_at is not None
    row, done = actions.check_in(anna, event, code=registration.code)
    assert not done
    assert Activity.objects.filter(verb="event.attended", actor=mia).count() == 1
    with pytest.raises(ValidationError):
        actions.check_in(anna, event, code="nope")
    walk = actions.add_walk_in(bob, event, name="Jean Passant", email="jean@example.org")
    assert walk.walk_in and walk.checked_in_at
    with pytest.raises(ValidationError) as full:
        actions.add_walk_in(bob, event, name="Another One")
    assert full.value.code == "full"


def test_series_create_one_event_per_occurrence_each_changeable(anna):
    start = timezone.now() + timedelta(days=3)
    series = actions.create_series(anna, recurrence="weekly", count=4, title="Café du lundi",
                                   starts_at=start, ends_at=start + timedelta(hours=1))
    events = list(series.events.order_by("starts_at"))
    assert len(events) == 4
    assert events[1].starts_at - events[0].starts_at == timedelta(weeks=1)
    assert len({e.slug for e in events}) == 4
    actions.publish_event(anna, events[2])
    actions.cancel_event(anna, events[2])
    assert [e.status for e in series.events.order_by("starts_at")] == ["draft", "draft", "cancelled", "draft"]


def test_feedback_opens_after_the_event(mia, anna):
    event = make_event(organiser=anna)
    registration = actions.register(mia, event)
    with pytest.raises(ValidationError):
        actions.submit_feedback(mia, registration, rating=5)
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - timedelta(hours=3),
                                             ends_at=timezone.now() - timedelta(hours=1))
    registration.refresh_from_db()
    feedback = actions.submit_feedback(mia, registration, rating=4, comment="Super")
    assert feedback.rating == 4
    with pytest.raises(ValidationError):
        actions.submit_feedback(mia, registration, rating=9)
