"""Stripe webhooks through the real view: signed with the library's helper, objects re-read from
localstripe (behind the test server), each event applied once, in any order."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tribu.memberships.models import Membership
from tribu.payments import actions
from tribu.payments.models import Payment, StripeEvent

from .conftest import event, post_event
from .stripe_fakes import sign


def start_card(user, tier, fake_stripe, *, recurring=False):
    return actions.start_checkout(user, tier, recurring=recurring, success_url="http://t/ok?s={CHECKOUT_SESSION_ID}",
                                  cancel_url="http://t/ko")


def documents_of(payment):
    from tribu.billing.models import Document

    return list(Document.objects.filter(payment_id=payment.pk).order_by("pk"))


@pytest.mark.django_db
def test_it_refuses_a_bad_signature_a_stale_timestamp_and_no_header(client, fake_stripe, mia, premium):
    payment = start_card(mia, premium, fake_stripe)
    done = fake_stripe.complete(payment.stripe_checkout_session)
    evt = event("checkout.session.completed", done)
    assert post_event(client, evt, secret="whsec_wrong").status_code == 400
    assert post_event(client, evt, timestamp=int(time.time()) - 600).status_code == 400
    assert post_event(client, evt, header="").status_code == 400
    assert post_event(client, evt, header="t=1,v1=deadbeef").status_code == 400
    assert client.post("/payments/stripe/webhook/", data="not json", content_type="application/json",
                       headers={"Stripe-Signature": "t=1,v1=x"}).status_code == 400
    # correctly signed, but not an event (no id, no object): refused too, not a server error
    for body in ({}, {"id": "evt_x", "type": "invoice.paid"}, {"id": "evt_y", "data": "x"}):
        assert client.post("/payments/stripe/webhook/", data=json.dumps(body), content_type="application/json",
                           headers={"Stripe-Signature": sign(json.dumps(body))}).status_code == 400
    assert StripeEvent.objects.count() == 0
    payment.refresh_from_db()
    assert payment.status == "pending"
    assert not Membership.objects.filter(user=mia).exists()


@pytest.mark.django_db
def test_a_paid_checkout_starts_the_membership_once_with_its_receipt(client, fake_stripe, mia, premium,
                                                                      smtp_server,
                                                                      django_capture_on_commit_callbacks):
    payment = start_card(mia, premium, fake_stripe)
    params = fake_stripe.sessions[payment.stripe_checkout_session]["_params"]
    assert params["mode"] == "payment"
    assert params["allow_promotion_codes"] == "true"
    assert params["metadata"]["reference"] == payment.reference
    assert params["line_items"][0]["price_data"]["unit_amount"] == "12000"
    assert params["line_items"][0]["price_data"]["currency"] == "eur"
    done = fake_stripe.complete(payment.stripe_checkout_session)
    evt = event("checkout.session.completed", done)
    with django_capture_on_commit_callbacks(execute=True):
        answers = [post_event(client, evt) for _i in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["result"] for a in answers] == ["applied", "duplicate", "duplicate"]
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert payment.stripe_payment_intent == done["payment_intent"]
    m = Membership.objects.get(user=mia)
    today = timezone.localdate()
    assert (m.status, m.tier, m.starts_on) == ("active", premium, today)
    assert m.ends_on == today.replace(year=today.year + 1) - timedelta(days=1)
    assert payment.membership == m and payment.period_end == m.ends_on
    assert len(documents_of(payment)) == 1
    assert Payment.objects.count() == 1
    from .conftest import subject_of

    subjects = sorted(subject_of(m) for m in smtp_server.received)
    number = documents_of(payment)[0].number
    assert subjects == sorted([f"Votre paiement est reçu — reçu {number}",
                               "Votre adhésion « Premium » est active"]), subjects


@pytest.mark.django_db
def test_a_promotion_code_amount_is_what_is_recorded(client, fake_stripe, mia, premium):
    payment = start_card(mia, premium, fake_stripe)
    done = fake_stripe.complete(payment.stripe_checkout_session, amount_total=9000)
    assert post_event(client, event("checkout.session.completed", done)).status_code == 200
    payment.refresh_from_db()
    assert (payment.status, payment.amount_cents) == ("succeeded", 9000)


@pytest.mark.django_db
@pytest.mark.parametrize("order", ["checkout_first", "invoice_first"])
def test_a_subscription_pays_once_whatever_the_order(client, fake_stripe, mia, order):
    from .conftest import make_tier

    monthly = make_tier("mensuel", name_fr="Mensuel", price_cents=1500, period="monthly", self_selectable=True)
    payment = start_card(mia, monthly, fake_stripe, recurring=True)
    params = fake_stripe.sessions[payment.stripe_checkout_session]["_params"]
    assert params["mode"] == "subscription"
    assert params["line_items"][0]["price_data"]["recurring"]["interval"] == "month"
    done = fake_stripe.complete(payment.stripe_checkout_session)
    sub = fake_stripe.client().v1.subscriptions.retrieve(done["subscription"]).to_dict()
    invoice = fake_stripe.client().v1.invoices.retrieve(sub["latest_invoice"]).to_dict()
    events = [event("checkout.session.completed", done), event("invoice.paid", invoice)]
    if order == "invoice_first":
        events.reverse()
    for evt in events:
        assert post_event(client, evt).status_code == 200
    assert Payment.objects.count() == 1
    payment.refresh_from_db()
    assert (payment.status, payment.stripe_invoice, payment.stripe_subscription) == (
        "succeeded", invoice["id"], sub["id"])
    m = Membership.objects.get(user=mia)
    from datetime import UTC, datetime

    expected = timezone.localdate(datetime.fromtimestamp(sub["current_period_end"], tz=UTC))
    assert (m.status, m.ends_on) == ("active", expected)
    # the same invoice again, as a new event: applied, and nothing changes
    assert post_event(client, event("invoice.paid", invoice)).json()["result"] == "applied"
    assert Payment.objects.count() == 1
    client.force_login(mia)
    page = client.get("/payments/mine/").content.decode()
    assert "Votre adhésion se renouvelle automatiquement par carte." in page
    assert "Renouveler maintenant" not in page


@pytest.mark.django_db
def test_a_failed_renewal_starts_dunning_with_the_portal_link(client, fake_stripe, mia, premium, smtp_server,
                                                              django_capture_on_commit_callbacks):
    """The renewal's card is declined: the payment fails, the membership enters its grace period, the
    member gets an email with the link to update their card — once, however often Stripe retries."""
    from tribu.payments.tests.stripe_fakes import SECRET_KEY  # noqa: F401

    c = fake_stripe.client()
    origin = start_card(mia, premium, fake_stripe)
    Payment.objects.filter(pk=origin.pk).update(status="succeeded", stripe_invoice="in_first", recurring=True)
    from .conftest import make_membership

    make_membership(tier=premium, user=mia, ends_on=timezone.localdate())
    customer = c.v1.customers.create({"email": mia.email})
    pm = c.v1.payment_methods.create({"type": "card", "card": {"number": "4000000000000341", "exp_month": 12,
                                                               "exp_year": 2035, "cvc": "123"}})
    c.v1.payment_methods.attach(pm.id, {"customer": customer.id})
    c.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": pm.id}})
    product = c.v1.products.create({"name": "Premium"})
    plan = c.v1.plans.create({"amount": 12000, "currency": "eur", "interval": "year", "product": product.id})
    sub = c.v1.subscriptions.create({"customer": customer.id, "items": [{"plan": plan.id}],
                                     "metadata": {"reference": origin.reference}}).to_dict()
    Payment.objects.filter(pk=origin.pk).update(stripe_subscription=sub["id"], stripe_customer=customer.id)
    invoice = c.v1.invoices.retrieve(sub["latest_invoice"]).to_dict()
    assert invoice["status"] != "paid"
    smtp_server.received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for _attempt in range(2):  # Stripe retries the card: two events, one dunning
            assert post_event(client, event("invoice.payment_failed", invoice)).status_code == 200
    failed = Payment.objects.get(stripe_invoice=invoice["id"])
    assert failed.status == "failed"
    assert Membership.objects.get(user=mia).status == "grace"
    dunning = [m for m in smtp_server.received if "carte" in str(m["Subject"]).lower()
               or "card" in str(m["Subject"]).lower()]
    assert len(dunning) == 1
    from .conftest import body_of

    assert "/payments/portal/" in body_of(dunning[0])
    # the member follows the link: the portal session for their Stripe customer
    client.force_login(mia)
    answer = client.get("/payments/portal/")
    assert answer.status_code == 302
    assert answer["Location"].startswith("https://billing.stripe.com/p/session/")
    assert fake_stripe.portal_sessions[-1]["customer"] == customer.id


@pytest.mark.django_db
def test_refunds_follow_stripe_even_out_of_order(client, fake_stripe, mia, premium):
    payment = start_card(mia, premium, fake_stripe)
    done = fake_stripe.complete(payment.stripe_checkout_session)
    post_event(client, event("checkout.session.completed", done))
    c = fake_stripe.client()
    intent = c.v1.payment_intents.retrieve(done["payment_intent"]).to_dict()
    charge = intent["latest_charge"] if isinstance(intent["latest_charge"], dict) else c.v1.charges.retrieve(
        intent["latest_charge"]).to_dict()
    c.v1.refunds.create({"charge": charge["id"], "amount": 2000})
    first = c.v1.charges.retrieve(charge["id"]).to_dict()
    c.v1.refunds.create({"charge": charge["id"], "amount": 3000})
    second = c.v1.charges.retrieve(charge["id"]).to_dict()
    # the second refund's event arrives first, then the first one's, then the second again
    for snapshot in (second, first):
        assert post_event(client, event("charge.refunded", snapshot)).status_code == 200
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_cents) == ("partially_refunded", 5000)
    credit = [d for d in documents_of(payment) if d.kind == "credit_note"]
    assert sum(d.total_cents for d in credit) == 5000
    c.v1.refunds.create({"charge": charge["id"]})
    post_event(client, event("charge.refunded", first))
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_cents) == ("refunded", 12000)


@pytest.mark.django_db
def test_a_cancelled_subscription_stops_the_renewals_once(client, fake_stripe, mia):
    from .conftest import make_tier

    monthly = make_tier("mensuel", name_fr="Mensuel", price_cents=1500, period="monthly", self_selectable=True)
    payment = start_card(mia, monthly, fake_stripe, recurring=True)
    done = fake_stripe.complete(payment.stripe_checkout_session)
    post_event(client, event("checkout.session.completed", done))
    c = fake_stripe.client()
    c.v1.subscriptions.cancel(done["subscription"])
    sub = c.v1.subscriptions.retrieve(done["subscription"]).to_dict()
    assert sub["status"] == "canceled"
    for _i in range(2):
        assert post_event(client, event("customer.subscription.deleted", sub)).status_code == 200
    payment.refresh_from_db()
    assert payment.recurring is False
    from tribu.core.models import Activity

    assert Activity.objects.filter(verb="payment.subscription_ended").count() == 1
    assert Membership.objects.get(user=mia).status == "active"  # runs to its end


@pytest.mark.django_db
def test_an_event_for_someone_else_is_stored_and_ignored(client, fake_stripe, mia):
    evt = event("checkout.session.completed", {"id": "cs_other", "object": "checkout.session", "mode": "payment",
                                               "metadata": {}, "payment_status": "paid"})
    assert post_event(client, evt).status_code == 200
    assert post_event(client, event("customer.created", {"id": "cus_1"})).json()["result"] == "ignored"
    assert StripeEvent.objects.count() == 2
    assert Payment.objects.count() == 0


@pytest.mark.django_db
def test_without_a_webhook_secret_the_address_does_not_exist(client, no_stripe):
    assert post_event(client, event("invoice.paid", {"id": "in_1"})).status_code == 404


@pytest.mark.django_db
def test_stripe_unreachable_while_applying_keeps_the_event_and_the_retry_applies_it_once(client, fake_stripe, mia):
    from tribu.payments import webhooks

    from .conftest import make_tier

    monthly = make_tier("mensuel", name_fr="Mensuel", price_cents=1500, period="monthly", self_selectable=True)
    payment = start_card(mia, monthly, fake_stripe, recurring=True)
    done = fake_stripe.complete(payment.stripe_checkout_session)
    evt = event("checkout.session.completed", done)
    fake_stripe.down = True
    # Stored and acknowledged (Stripe need not retry), but nothing applied: the effect rolled back
    assert post_event(client, evt).json()["result"] == "queued"
    stored = StripeEvent.objects.get()
    assert stored.processed_at is None and "StripeUnavailable" in stored.error
    payment.refresh_from_db()
    assert payment.status == "pending" and not Membership.objects.filter(user=mia).exists()
    # Stripe's own retry of the delivery is a duplicate: the retry is ours
    assert post_event(client, evt).json()["result"] == "duplicate"
    assert webhooks.retry_stale() == 0  # not stale yet
    fake_stripe.down = False
    later = timezone.now() + webhooks.STALE_AFTER + timedelta(seconds=1)
    assert webhooks.retry_stale(now=later) == 1  # the task runs at once here (immediate backend)
    stored.refresh_from_db()
    assert stored.processed_at is not None and stored.error == ""
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert Membership.objects.get(user=mia).status == "active"
    assert webhooks.apply_pending(stored.pk) == {"applied": 0, "skipped": 1, "failed": 0, "own": 1}
    assert Payment.objects.filter(status="succeeded").count() == 1


@pytest.mark.django_db
def test_with_a_worker_a_delivery_is_stored_and_queued_a_duplicate_costs_one_insert(
        client, settings, fake_stripe, mia, gina, premium, django_assert_num_queries):
    """The database task backend, as in production: the view only stores and queues; a burst of events
    makes one job, which applies them all once, with gap-free receipt numbers."""
    from django_tasks_db.models import DBTaskResult

    from tribu.billing.models import Document
    from tribu.payments import webhooks

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend", "QUEUES": []}}
    first, second = start_card(mia, premium, fake_stripe), start_card(gina, premium, fake_stripe)
    evt1 = event("checkout.session.completed", fake_stripe.complete(first.stripe_checkout_session))
    evt2 = event("checkout.session.completed", fake_stripe.complete(second.stripe_checkout_session))
    # warm (the community row, as on a running site), with an event type Tribu ignores: stored as processed
    assert post_event(client, event("customer.created", {"id": "cus_1"})).json()["result"] == "ignored"
    # savepoint, INSERT … ON CONFLICT, is a job waiting?, INSERT the job, release
    with django_assert_num_queries(5):
        assert post_event(client, evt1).json()["result"] == "queued"
    # savepoint, INSERT … ON CONFLICT (nothing inserted), release: nothing else
    with django_assert_num_queries(3):
        assert post_event(client, evt1).json()["result"] == "duplicate"
    assert post_event(client, evt2).json()["result"] == "queued"  # the waiting job will take it
    assert DBTaskResult.objects.count() == 1
    first.refresh_from_db()
    assert first.status == "pending" and not Membership.objects.filter(user=mia).exists()  # not applied yet

    job = DBTaskResult.objects.get()
    counts = webhooks.apply_pending(*job.args_kwargs["args"])
    assert counts == {"applied": 2, "skipped": 0, "failed": 0, "own": 1}
    assert Payment.objects.filter(status="succeeded").count() == 2
    assert Membership.objects.filter(status="active").count() == 2
    assert sorted(Document.objects.values_list("sequence", flat=True)) == [1, 2]
    assert not StripeEvent.objects.filter(processed_at__isnull=True).exists()
    # the job run again, or the scheduler's sweep: nothing more
    assert webhooks.apply_pending(*job.args_kwargs["args"])["applied"] == 0
    assert webhooks.retry_stale(now=timezone.now() + timedelta(hours=1)) == 0
    assert Document.objects.count() == 2


@pytest.mark.django_db
def test_a_worker_applies_waiting_events_before_the_emails_and_documents_already_queued(
        client, settings, fake_stripe, mia, premium):
    """With the database task backend, a worker takes the apply job first (its priority), even when
    the emails and receipt documents of earlier payments were queued before it: a member's payment is
    applied first, announced after."""
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from tribu.billing.tasks import send_document

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend", "QUEUES": []}}
    for n in range(3):
        send_document.enqueue(10_000 + n)  # follow-ups of earlier payments, waiting
    payment = start_card(mia, premium, fake_stripe)
    evt = event("checkout.session.completed", fake_stripe.complete(payment.stripe_checkout_session))
    assert post_event(client, evt).json()["result"] == "queued"
    with transaction.atomic():
        picked = DBTaskResult.objects.ready().get_locked()  # what the worker's loop runs next
    assert picked is not None and picked.task_path == "tribu.payments.tasks.apply_events"
