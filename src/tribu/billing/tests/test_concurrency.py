"""Races on PostgreSQL (real threads, each with its own connection): document numbers stay
sequential without gaps, a receipt is issued once per payment, a reminder is sent once."""

from __future__ import annotations

import threading
from contextlib import suppress
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from tribu.billing import actions, renewals
from tribu.billing.models import Document, RenewalReminder

from .conftest import make_membership, make_payment, make_tier, set_organisation

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def race(calls):
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = []
    lock = threading.Lock()

    def run(call):
        try:
            barrier.wait()
            result = call()
        except Exception as exc:
            result = exc
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def test_twenty_payments_succeeding_at_once_get_numbers_one_to_twenty(mia):
    set_organisation()
    payments = [make_payment(user=mia, amount_cents=1000 + i) for i in range(20)]

    def pay(p):
        def call():
            with transaction.atomic():
                return actions.issue_receipt(p, email=False)
        return call

    outcomes = race([pay(p) for p in payments])
    assert all(isinstance(o, Document) for o in outcomes), outcomes
    sequences = sorted(Document.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, 21))
    year = timezone.localdate().year
    assert sorted(Document.objects.values_list("number", flat=True)) == [f"R-{year}-{i:05d}" for i in range(1, 21)]


def test_failed_transactions_leave_no_gap(mia):
    set_organisation()
    payments = [make_payment(user=mia) for _ in range(10)]

    def pay(p, fail):
        def call():
            with transaction.atomic():
                doc = actions.issue_receipt(p, email=False)
                if fail:
                    raise RuntimeError("the payment's transaction fails")
                return doc
        return call

    race([pay(p, i % 3 == 0) for i, p in enumerate(payments)])
    assert sorted(Document.objects.values_list("sequence", flat=True)) == list(range(1, 7))


def test_batches_applied_side_by_side_number_their_receipts_without_gap_or_duplicate(mia):
    """Four workers' batches (Stripe events) at once, each numbering its receipts at its end, some
    receipts rolled back with their savepoint, one batch failing as a whole: 1..N, nothing twice."""
    set_organisation()
    payments = [make_payment(user=mia, amount_cents=1000 + i) for i in range(24)]

    def batch(chunk, fail):
        def call():
            with transaction.atomic(), actions.same_organisation():
                for i, p in enumerate(chunk):
                    # The third event's savepoint rolls back (its receipt with it); the batch goes on.
                    with suppress(RuntimeError), transaction.atomic():
                        actions.issue_receipt(p, email=False)
                        if i == 2:
                            raise RuntimeError("this event fails")
                if fail:
                    raise RuntimeError("the whole batch fails")
            return True
        return call

    outcomes = race([batch(payments[k:k + 6], k == 6) for k in range(0, 24, 6)])
    assert sum(o is True for o in outcomes) == 3
    sequences = sorted(Document.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, 16))  # 3 batches × 5 receipts
    year = timezone.localdate().year
    assert sorted(Document.objects.values_list("number", flat=True)) == [f"R-{year}-{i:05d}" for i in range(1, 16)]


def test_the_same_payment_confirmed_five_times_at_once_gets_one_receipt(mia):
    set_organisation()
    payment = make_payment(user=mia)
    outcomes = race([lambda: actions.issue_receipt(payment, email=False) for _ in range(5)])
    assert Document.objects.count() == 1
    assert {o.pk for o in outcomes} == {Document.objects.get().pk}


def test_two_schedulers_at_once_send_each_reminder_once(mia, anna):
    set_organisation()
    tier = make_tier("premium", name_fr="Premium", price_cents=12000)
    today = timezone.localdate()
    make_membership(tier=tier, user=mia, ends_on=today + timedelta(days=7))
    make_membership(tier=tier, user=anna, ends_on=today + timedelta(days=30))
    outcomes = race([lambda: renewals.run(today) for _ in range(4)])
    assert all(isinstance(o, dict) for o in outcomes), outcomes
    assert RenewalReminder.objects.count() == 2
    assert sum(o["sent"] for o in outcomes) == 2


def test_two_staff_clicking_remind_at_once_send_one_reminder(alice, bob, mia):
    set_organisation()
    tier = make_tier("premium", name_fr="Premium", price_cents=12000)
    membership = make_membership(tier=tier, user=mia, ends_on=timezone.localdate() + timedelta(days=5))
    outcomes = race([lambda: actions.send_manual_reminder(alice, membership),
                     lambda: actions.send_manual_reminder(bob, membership)])
    assert RenewalReminder.objects.filter(kind="manual").count() == 1
    assert sum(isinstance(o, actions.ReminderTooSoon) for o in outcomes) == 1


def test_two_contacts_renewing_their_company_at_once_get_one_invoice(anna, mia):
    from tribu.payments.models import Payment

    from .conftest import attach, make_company

    set_organisation()
    tier = make_tier("entreprise", name_fr="Entreprise", price_cents=45000, seats=3)
    company = make_company("La Forge")
    attach(company, anna, minutes_ago=5, contact=True)
    attach(company, mia, minutes_ago=3, contact=True)
    make_membership(tier=tier, company=company, ends_on=timezone.localdate() + timedelta(days=5))
    outcomes = race([lambda: actions.request_company_renewal(anna, company),
                     lambda: actions.request_company_renewal(mia, company)])
    assert all(isinstance(o, Document) for o in outcomes), outcomes
    assert Payment.objects.filter(company=company).count() == 1
    assert Document.objects.filter(kind="invoice").count() == 1
