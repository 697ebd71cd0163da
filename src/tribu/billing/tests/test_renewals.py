"""Renewal reminders (J-30, J-7, J0, J+7 by default): sent once per membership and end date, by the
periodic job, to the member or the company's contacts, with a "renew now" link; the team's one-click
reminder is rate-limited and recorded; a company contact renews every seat at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tribu.billing import actions, renewals
from tribu.billing.models import Document, Organisation, RenewalReminder
from tribu.core.models import Activity
from tribu.memberships.access import effective_tier_ids

from .conftest import attach, body_of, make_company, make_membership, make_tier, set_organisation, subject_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


def run(django_capture_on_commit_callbacks, day):
    with django_capture_on_commit_callbacks(execute=True):
        return renewals.run(day)


@pytest.mark.parametrize(("days_to_end", "offset"), [(31, None), (30, -30), (8, -30), (7, -7), (1, -7), (0, 0),
                                                    (-6, 0), (-7, 7), (-14, 7), (-15, None)])
def test_the_latest_reached_offset_applies(today, days_to_end, offset):
    assert renewals.applicable_offset(today + timedelta(days=days_to_end), today, [-30, -7, 0, 7]) == offset


def test_each_reminder_is_sent_once_even_when_the_job_runs_twice(
    mia, premium, today, smtp_server, django_capture_on_commit_callbacks
):
    membership = make_membership(tier=premium, user=mia, ends_on=today + timedelta(days=30))
    assert run(django_capture_on_commit_callbacks, today) == {"sent": 1, "skipped": 0}
    assert run(django_capture_on_commit_callbacks, today) == {"sent": 0, "skipped": 1}
    assert len(smtp_server.received) == 1
    message = smtp_server.received[0]
    assert message["To"] == "mia@example.org"
    assert "30 jours" in subject_of(message) and "Premium" in subject_of(message)
    assert "/payments/pay/" in body_of(message) or "/memberships/mine/" in body_of(message)
    # the days go by: J-7, J0 and J+7 each come once, in grace after the end date
    for day, expected in ((23, 1), (24, 0), (30, 1), (31, 0), (37, 1), (38, 0)):
        assert run(django_capture_on_commit_callbacks, today + timedelta(days=day))["sent"] == expected, day
    assert list(RenewalReminder.objects.filter(membership=membership).order_by("offset_days")
                .values_list("offset_days", flat=True)) == [-30, -7, 0, 7]
    assert len(smtp_server.received) == 4
    assert Activity.objects.filter(verb="renewal.reminded").count() == 4
    # in the app too, once per reminder, with the renewal link and the days left in French
    from django.utils import translation

    from tribu.core.models import Notification
    from tribu.core.notifications.kinds import render_text

    notes = list(Notification.objects.filter(recipient=mia, kind="billing.renewal_due").order_by("pk"))
    assert [n.data["days_left"] for n in notes] == [30, 7, 0, -7]
    assert all(n.url == renewals.renew_url(membership) for n in notes)
    with translation.override("fr"):
        assert render_text(notes[0]) == "Votre adhésion « Premium » se termine dans 30 jours : renouvelez-la."
        assert "se termine aujourd’hui" in render_text(notes[2])
        assert "est terminée" in render_text(notes[3])


def test_a_scheduler_down_for_weeks_sends_only_the_latest_reminder(mia, premium, today,
                                                                   django_capture_on_commit_callbacks):
    make_membership(tier=premium, user=mia, ends_on=today + timedelta(days=3))
    assert run(django_capture_on_commit_callbacks, today)["sent"] == 1
    assert RenewalReminder.objects.get().offset_days == -7


def test_a_renewed_membership_starts_a_new_cycle(mia, premium, today, django_capture_on_commit_callbacks):
    membership = make_membership(tier=premium, user=mia, ends_on=today + timedelta(days=7))
    run(django_capture_on_commit_callbacks, today)
    membership.ends_on = today + timedelta(days=7 + 365)
    membership.save(update_fields=["ends_on"])
    assert run(django_capture_on_commit_callbacks, today)["sent"] == 0
    assert run(django_capture_on_commit_callbacks, today + timedelta(days=365))["sent"] == 1
    assert RenewalReminder.objects.count() == 2


def test_no_reminder_for_trials_lifetime_or_a_lapsed_member_who_joined_again(mia, anna, premium, today,
                                                                           django_capture_on_commit_callbacks):
    invite = make_tier("invite", is_guest=True, trial_days=30, period="free")
    make_membership(tier=invite, user=anna, ends_on=today, is_trial=True)
    make_membership(tier=premium, user=mia, status="expired", ends_on=today - timedelta(days=7))
    make_membership(tier=premium, user=mia, status="active", ends_on=today + timedelta(days=300))
    assert run(django_capture_on_commit_callbacks, today)["sent"] == 0


def test_the_offsets_are_editable(mia, premium, today, django_capture_on_commit_callbacks):
    set_organisation(reminder_offsets=[-60])
    make_membership(tier=premium, user=mia, ends_on=today + timedelta(days=60))
    assert run(django_capture_on_commit_callbacks, today)["sent"] == 1
    assert RenewalReminder.objects.get().offset_days == -60
    Organisation.objects.filter(pk=1).update(reminder_offsets=[])
    assert run(django_capture_on_commit_callbacks, today + timedelta(days=1))["sent"] == 0


def test_a_company_reminder_goes_to_its_contacts_with_the_company_renewal_link(
    anna, mia, entreprise, today, smtp_server, django_capture_on_commit_callbacks
):
    company = make_company("La Forge")
    attach(company, anna, minutes_ago=10, contact=True)
    attach(company, mia, minutes_ago=5)
    make_membership(tier=entreprise, company=company, ends_on=today + timedelta(days=7))
    run(django_capture_on_commit_callbacks, today)
    assert [m["To"] for m in smtp_server.received] == ["anna@example.org"]
    body = body_of(smtp_server.received[0])
    assert f"/companies/{company.slug}/membership/" in body and "La Forge" in body
    assert "/billing/company/renew/" not in body  # straight to the page where the contacts pay


def test_the_team_sends_one_reminder_a_day_and_it_is_recorded(bob, mia, premium, today, smtp_server,
                                                               django_capture_on_commit_callbacks):
    membership = make_membership(tier=premium, user=mia, ends_on=today + timedelta(days=12))
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_manual_reminder(bob, membership)
    with pytest.raises(actions.ReminderTooSoon):
        actions.send_manual_reminder(bob, membership)
    assert len(smtp_server.received) == 1
    activity = Activity.objects.get(verb="renewal.reminded")
    assert activity.actor == bob and activity.data["manual"] is True
    RenewalReminder.objects.update(sent_at=timezone.now() - timedelta(hours=25))
    actions.send_manual_reminder(bob, membership)
    assert RenewalReminder.objects.filter(kind="manual").count() == 2


@pytest.mark.parametrize("role", ["animator", "member", "guest"])
def test_only_the_team_sends_reminders(users_by_role, role, premium, today):
    membership = make_membership(tier=premium, user=users_by_role["member"], ends_on=today + timedelta(days=3))
    with pytest.raises(PermissionDenied):
        actions.send_manual_reminder(users_by_role[role], membership)
    assert not RenewalReminder.objects.exists()


def test_a_company_contact_renews_every_seat_at_once(alice, anna, mia, gina, entreprise, today, smtp_server,
                                                      django_capture_on_commit_callbacks):
    from tribu.payments import actions as payments

    set_organisation(iban="FR7630006000011234567890189", bic="AGRIFRPP")
    company = make_company("La Forge")
    attach(company, anna, minutes_ago=10, contact=True)
    attach(company, mia, minutes_ago=5)
    membership = make_membership(tier=entreprise, company=company, status="grace", ends_on=today - timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        invoice = actions.request_company_renewal(anna, company)
    assert actions.request_company_renewal(anna, company).pk == invoice.pk  # asked twice: one invoice
    assert invoice.kind == "invoice" and invoice.company == company and invoice.total_cents == 45000
    assert [m["To"] for m in smtp_server.received] == ["anna@example.org"]
    with pytest.raises(PermissionDenied):
        actions.request_company_renewal(mia, company)  # attached, not a contact
    with django_capture_on_commit_callbacks(execute=True):
        payments.record_offline(alice, invoice.payment, method="transfer", external_reference="VIR LA FORGE")
    membership.refresh_from_db()
    assert membership.status == "active" and membership.ends_on > today
    for person in (anna, mia):
        person.refresh_from_db()
        assert entreprise.pk in effective_tier_ids(person)
    receipt = Document.objects.get(payment=invoice.payment, kind="receipt")
    assert receipt.company == company
    assert smtp_server.received[-1]["To"] == "anna@example.org"


def test_a_company_without_membership_cannot_renew(anna):
    company = make_company("Sans Adhésion")
    attach(company, anna, minutes_ago=1, contact=True)
    with pytest.raises(ValidationError):
        actions.request_company_renewal(anna, company)


def test_the_renew_link_goes_where_the_holder_can_pay(mia, premium, entreprise, today):
    from django.urls import reverse

    premium.self_selectable = False
    premium.save(update_fields=["self_selectable"])
    active = make_membership(tier=premium, user=mia, ends_on=today + timedelta(days=3))
    assert renewals.renew_url(active) == reverse("payments:pay", args=[premium.pk])
    active.status = "expired"
    assert renewals.renew_url(active) == reverse("memberships:mine")
    company = make_company("La Forge")
    assert renewals.renew_url(make_membership(tier=entreprise, company=company,
                                              ends_on=today)) == reverse("companies:membership",
                                                                         args=[company.slug])


def test_with_the_lifecycle_a_member_is_reminded_loses_access_and_shows_as_lapsed(
    mia, premium, today, smtp_server, django_capture_on_commit_callbacks
):
    """The memberships lifecycle moves the membership to grace then expiry; billing only reminds and lists."""
    from tribu.billing import queries
    from tribu.memberships import lifecycle

    premium.grace_days = 10
    premium.save(update_fields=["grace_days"])
    membership = make_membership(tier=premium, user=mia, ends_on=today)
    states = {}
    for day in (0, 7, 11):
        moment = today + timedelta(days=day)
        with django_capture_on_commit_callbacks(execute=True):
            lifecycle.run(moment)
            renewals.run(moment)
        membership.refresh_from_db()
        states[day] = membership.status
        rows = list(queries.renewals(queries.RenewalFilters(), today=moment))
        queries.attach_last_reminders(rows)
        assert [m.renewal_state for m in rows] == [{"active": "due", "grace": "overdue",
                                                    "expired": "lapsed"}[membership.status]]
    assert states == {0: "active", 7: "grace", 11: "expired"}
    assert list(RenewalReminder.objects.order_by("offset_days").values_list("offset_days", flat=True)) == [0, 7]
    mia.refresh_from_db()
    assert premium.pk not in effective_tier_ids(mia)


def test_an_english_speaking_member_gets_the_reminder_in_english_with_both_parts(
    mia, premium, today, smtp_server, django_capture_on_commit_callbacks
):
    mia.language = "en"
    mia.save(update_fields=["language"])
    make_membership(tier=premium, user=mia, ends_on=today - timedelta(days=7), status="grace")
    run(django_capture_on_commit_callbacks, today)
    message = smtp_server.received[0]
    assert subject_of(message) == "Your « Premium » membership has ended: renew it"
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in message.walk()
             if not p.is_multipart()}
    assert "You keep your access until" in parts["text/plain"] and "Renew now:" in parts["text/plain"]
    assert ">Renew now</a>" in parts["text/html"]
    assert "$" not in parts["text/plain"] and "€120.00" in parts["text/plain"]


def test_a_membership_renewed_by_a_running_subscription_gets_no_reminder_before_its_end(
    mia, premium, today, django_capture_on_commit_callbacks
):
    from tribu.payments.models import Payment

    from .conftest import make_payment

    membership = make_membership(tier=premium, user=mia, ends_on=today + timedelta(days=7))
    make_payment(user=mia, tier=premium, membership=membership, method="card", recurring=True,
                 stripe_subscription="sub_123")
    assert run(django_capture_on_commit_callbacks, today)["sent"] == 0
    # the member cancels in the portal: the payments app clears ``recurring``; the reminders resume
    Payment.objects.update(recurring=False)
    assert run(django_capture_on_commit_callbacks, today)["sent"] == 1
