"""A paid ticket by card: Stripe Checkout through the payments app's gateway (the payments tests'
Stripe stand-in), the signed webhook marks the payment paid, the events job confirms the seat."""

from __future__ import annotations

import pytest
from django.test import Client

from tribu.events import actions
from tribu.events.models import Registration, TicketType
from tribu.payments.tests.conftest import bank, fake_stripe, localstripe_url, no_stripe, post_event  # noqa: F401
from tribu.payments.tests.stripe_fakes import event as stripe_event

from .conftest import make_event

pytestmark = pytest.mark.django_db


def test_a_member_pays_a_ticket_by_card_and_the_seat_is_confirmed(fake_stripe, bank, mia, anna):  # noqa: F811
    event = make_event(organiser=anna, capacity=3)
    ticket = TicketType.objects.create(event=event, name="Standard", price_cents=2500)
    registration = actions.register(mia, event, ticket_type=ticket)
    client = Client()
    client.force_login(mia)
    page = client.get(f"/events/{event.slug}/").content.decode()
    assert f'action="/events/ticket/{registration.code}/pay/"' in page
    response = client.post(f"/events/ticket/{registration.code}/pay/")
    assert response.status_code == 302
    registration.refresh_from_db()
    payment = registration.payment
    assert payment.method == "card" and response["Location"] == payment.checkout_url
    # A second click goes back to the same Checkout page.
    assert client.post(f"/events/ticket/{registration.code}/pay/")["Location"] == payment.checkout_url
    done = fake_stripe.complete(payment.stripe_checkout_session)
    assert post_event(Client(), stripe_event("checkout.session.completed", done)).status_code == 200
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert actions.settle_payments() == {"confirmed": 1, "released": 0}
    assert Registration.objects.get(pk=registration.pk).status == "confirmed"


def test_without_stripe_the_ticket_is_paid_by_transfer(no_stripe, mia, anna):  # noqa: F811
    event = make_event(organiser=anna, capacity=3)
    ticket = TicketType.objects.create(event=event, name="Standard", price_cents=2500)
    registration = actions.register(mia, event, ticket_type=ticket)
    client = Client()
    client.force_login(mia)
    page = client.get(f"/events/{event.slug}/").content.decode()
    assert "/pay/" not in page and registration.payment.reference in page
    response = client.post(f"/events/ticket/{registration.code}/pay/", follow=True)
    assert "Online payment is not available" in response.content.decode()
