"""Races on PostgreSQL, with real threads and their own connections: the same Stripe event delivered
three times at once through the real view applies once; a subscription's checkout and first invoice
arriving together pay once; two people on the team recording the same transfer make one payment."""

from __future__ import annotations

import json
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import Client

from tribu.memberships.models import Membership
from tribu.payments import actions
from tribu.payments.models import Payment, StripeEvent

from .conftest import event, make_tier
from .stripe_fakes import sign

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and unique-index waits need PostgreSQL"),
]


def race(calls):
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = []

    def run(call):
        try:
            barrier.wait()
            outcomes.append(call())
        except ValidationError as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def deliver(evt):
    payload = json.dumps(evt)
    header = sign(payload)

    def post():
        answer = Client().post("/payments/stripe/webhook/", data=payload, content_type="application/json",
                               headers={"Stripe-Signature": header})
        return answer.status_code, answer.json().get("result")

    return post


def test_the_same_event_three_times_at_once_applies_once(fake_stripe, mia):
    premium = make_tier("premium", name_fr="Premium", price_cents=12000, self_selectable=True)
    payment = actions.start_checkout(mia, premium, recurring=False, success_url="http://t/?s={CHECKOUT_SESSION_ID}",
                                     cancel_url="http://t/")
    done = fake_stripe.complete(payment.stripe_checkout_session)
    evt = event("checkout.session.completed", done)
    outcomes = race([deliver(evt) for _i in range(3)])
    assert sorted(outcomes) == [(200, "applied"), (200, "duplicate"), (200, "duplicate")]
    assert StripeEvent.objects.count() == 1
    assert StripeEvent.objects.get().payload["id"] == evt["id"]  # stored as JSON, not a string
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert Membership.objects.filter(user=mia).count() == 1
    from tribu.billing.models import Document
    from tribu.core.models import Activity

    assert Document.objects.filter(payment_id=payment.pk).count() == 1
    assert Activity.objects.filter(verb="membership.granted").count() == 1


def test_checkout_and_first_invoice_together_pay_once(fake_stripe, mia):
    monthly = make_tier("mensuel", name_fr="Mensuel", price_cents=1500, period="monthly", self_selectable=True)
    payment = actions.start_checkout(mia, monthly, recurring=True, success_url="http://t/?s={CHECKOUT_SESSION_ID}",
                                     cancel_url="http://t/")
    done = fake_stripe.complete(payment.stripe_checkout_session)
    sub = fake_stripe.client().v1.subscriptions.retrieve(done["subscription"]).to_dict()
    invoice = fake_stripe.client().v1.invoices.retrieve(sub["latest_invoice"]).to_dict()
    completed, paid = event("checkout.session.completed", done), event("invoice.paid", invoice)
    outcomes = race([deliver(completed), deliver(paid), deliver(completed), deliver(paid)])
    assert sorted(outcomes).count((200, "applied")) == 2
    assert Payment.objects.count() == 1
    assert Payment.objects.get().status == "succeeded"
    from tribu.core.models import Activity

    assert Activity.objects.filter(verb="membership.granted").count() == 1
    assert Activity.objects.filter(verb="membership.extended").count() == 0


def test_two_staff_recording_the_same_transfer_make_one_payment(bank, alice, bob, mia):
    premium = make_tier("premium", name_fr="Premium", price_cents=12000, self_selectable=True)
    payment = actions.start_offline(mia, premium, method="transfer")
    outcomes = race([
        lambda: actions.record_offline(alice, payment, method="transfer", external_reference="A"),
        lambda: actions.record_offline(bob, payment, method="cheque", external_reference="B"),
    ])
    assert sum(isinstance(o, Payment) for o in outcomes) == 1
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1
    assert Payment.objects.count() == 1
    m = Membership.objects.get(user=mia)
    assert m.status == "active"
    from tribu.billing.models import Document
    from tribu.core.models import Activity

    assert Document.objects.filter(payment_id=payment.pk).count() == 1
    assert Activity.objects.filter(verb="payment.recorded").count() == 1
    assert Activity.objects.filter(verb="membership.activated").count() == 1
