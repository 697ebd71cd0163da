"""The team records a company's dues nobody announced (or a transfer its contacts announced): from the
staff payments page, the company's membership page or the API. The company's membership starts or runs
on and every seat with it, the receipt is numbered and emailed to the contacts; two people recording
the same payment at once make one payment."""

from __future__ import annotations

import html
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from tribu.memberships import access
from tribu.memberships.models import Membership
from tribu.payments import actions
from tribu.payments.models import Payment

from .conftest import make_membership

URL = "/payments/manage/company/"


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def lapsed(forge, entreprise):
    """La Forge's membership ended last week: in its grace period, its seats still cover Carla and Cole."""
    forge.vat_number = "FR32732829320"
    forge.save()
    return make_membership(tier=entreprise, company=forge, status="grace",
                           starts_on=timezone.localdate() - timedelta(days=372),
                           ends_on=timezone.localdate() - timedelta(days=7))


def documents(**kw):
    from tribu.billing.models import Document

    return Document.objects.filter(**kw)


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "status"), [
    ("staff", 302), ("admin", 302), ("contact", 403), ("colleague", 403), ("member", 403), ("anonymous", 302),
])
def test_only_the_team_records_a_companys_payment(client, no_stripe, bank, lapsed, forge, carla, cole, mia, bob,
                                                  alice, entreprise, who, status):
    people = {"staff": bob, "admin": alice, "contact": carla, "colleague": cole, "member": mia, "anonymous": None}
    if people[who] is not None:
        client.force_login(people[who])
    team = who in {"staff", "admin"}
    assert client.get(URL).status_code == (200 if team else status)
    answer = client.post(URL, {"company": forge.pk, "tier": entreprise.pk, "method": "cheque",
                               "external_reference": "CHQ 1"})
    assert answer.status_code == status
    if who == "anonymous":
        assert "/login" in answer["Location"] or "connexion" in answer["Location"]
    assert Payment.objects.filter(company=forge).count() == (1 if team else 0)
    lapsed.refresh_from_db()
    assert lapsed.status == ("active" if team else "grace")
    api = client.post("/api/v1/payments", {"company_id": forge.pk, "tier_id": entreprise.pk, "method": "cash",
                                           "external_reference": "CHQ 2"}, content_type="application/json")
    assert api.status_code == {True: 201, False: 401 if who == "anonymous" else 403}[team]


@pytest.mark.django_db
def test_a_payment_nobody_announced_renews_every_seat_with_a_receipt_to_the_contacts(
        client, no_stripe, bank, lapsed, forge, carla, cole, bob, entreprise, french, smtp_server,
        django_capture_on_commit_callbacks):
    from tribu.billing.tests.conftest import pdf_text

    client.force_login(bob)
    form = text(client.get(f"{URL}?company={forge.slug}"))
    assert "Enregistrer le paiement d'une entreprise" in form and "La Forge du Léon" in form
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(URL, {"company": forge.pk, "tier": entreprise.pk, "method": "cheque",
                                   "external_reference": "CHQ 881", "paid_on": timezone.localdate().isoformat()})
    assert answer.status_code == 302 and answer["Location"] == f"/companies/{forge.slug}/membership/"
    payment = Payment.objects.get()
    assert (payment.company, payment.user, payment.tier, payment.status, payment.method, payment.amount_cents,
            payment.recorded_by) == (forge, None, entreprise, "succeeded", "cheque", 45000, bob)
    lapsed.refresh_from_db()
    assert lapsed.status == "active" and lapsed.ends_on > timezone.localdate() + timedelta(days=300)
    assert payment.membership == lapsed
    access.forget(cole)
    assert access.effective_tier_ids(cole) == {entreprise.pk}
    receipt = documents(payment=payment, kind="receipt").get()
    content = pdf_text(client.get(f"/billing/documents/{receipt.pk}/").content)
    assert "La Forge du Léon" in content and "FR32732829320" in content and "450,00" in content
    assert receipt.number in content
    mailed = [m for m in smtp_server.received if receipt.number in str(m)]
    assert [m["To"] for m in mailed] == ["carla@example.org"]  # the contact, not the colleague nor the team
    page = text(client.get(answer["Location"]))
    assert payment.reference in page and receipt.number in page and "est enregistré" in page
    client.force_login(carla)
    assert payment.reference in text(client.get(f"/companies/{forge.slug}/membership/"))


@pytest.mark.django_db
def test_the_receipts_are_numbered_in_sequence_with_the_members(no_stripe, bank, lapsed, forge, bob, mia,
                                                                premium, entreprise):
    actions.record_payment(bob, user=mia, purpose="membership", method="cash", amount_cents=None, tier=premium)
    actions.record_company_payment(bob, company=forge, tier=entreprise, method="transfer")
    member, company = documents(kind="receipt").order_by("pk")
    assert (member.company_id, company.company_id) == (None, forge.pk)
    assert int(company.number.rsplit("-", 1)[-1]) == int(member.number.rsplit("-", 1)[-1]) + 1


@pytest.mark.django_db
def test_a_company_that_never_held_a_membership_starts_one(no_stripe, bank, forge, carla, cole, bob, entreprise):
    payment = actions.record_company_payment(bob, company=forge, tier=entreprise, method="cash", amount_cents=40000)
    membership = Membership.objects.get(company=forge)
    assert (membership.status, membership.tier, membership.starts_on) == ("active", entreprise,
                                                                           timezone.localdate())
    assert payment.amount_cents == 40000 and documents(payment=payment, kind="receipt").count() == 1
    access.forget(cole)
    assert entreprise.pk in access.effective_tier_ids(cole)


@pytest.mark.django_db
def test_a_transfer_the_contacts_announced_is_the_payment_recorded(no_stripe, bank, lapsed, forge, carla, bob,
                                                                   entreprise):
    announced = actions.start_company_offline(carla, forge, entreprise, method="transfer")
    recorded = actions.record_company_payment(bob, company=forge, tier=entreprise, method="transfer",
                                              external_reference="VIR FORGE")
    assert recorded.pk == announced.pk and Payment.objects.count() == 1
    announced.refresh_from_db()
    assert (announced.status, announced.external_reference) == ("succeeded", "VIR FORGE")
    assert documents(payment=announced, kind="receipt").count() == 1


@pytest.mark.django_db
def test_the_same_payment_recorded_twice_is_refused_with_409(client, no_stripe, bank, lapsed, forge, bob, alice,
                                                             entreprise, french):
    data = {"company": forge.pk, "tier": entreprise.pk, "method": "cheque", "external_reference": "CHQ 881"}
    client.force_login(bob)
    assert client.post(URL, data).status_code == 302
    lapsed.refresh_from_db()
    ends_on = lapsed.ends_on
    client.force_login(alice)
    again = client.post(URL, data)
    assert again.status_code == 409
    reference = Payment.objects.get().reference
    assert f"Ce paiement est déjà enregistré ({reference})" in text(again)
    api = client.post("/api/v1/payments", {"company_id": forge.pk, "tier_id": entreprise.pk, "method": "cheque"},
                      content_type="application/json")
    assert api.status_code == 409 and api.json()["error"]["code"] == "already_recorded"
    assert Payment.objects.count() == 1 and documents(kind="receipt").count() == 1
    lapsed.refresh_from_db()
    assert lapsed.ends_on == ends_on  # not one more period
    # another cheque (another number) is another payment
    assert client.post(URL, {**data, "external_reference": "CHQ 882"}).status_code == 302
    assert Payment.objects.count() == 2


@pytest.mark.django_db
def test_bad_input_gets_a_translated_4xx_and_writes_nothing(client, no_stripe, bank, lapsed, forge, bob, premium,
                                                            entreprise, french):
    client.force_login(bob)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    for data, message in (
        ({"company": forge.pk, "tier": premium.pk, "method": "cash"}, "Sélectionnez un choix valide"),
        ({"company": 999999, "tier": entreprise.pk, "method": "cash"}, "Sélectionnez un choix valide"),
        ({"company": forge.pk, "tier": entreprise.pk, "method": "cash", "amount": "-10"}, ""),
        ({"company": forge.pk, "tier": entreprise.pk, "method": "cash", "amount": "0"}, "Indiquez le montant reçu"),
        ({"company": forge.pk, "tier": entreprise.pk, "method": "cash", "amount": "abc"}, ""),
        ({"company": forge.pk, "tier": entreprise.pk, "method": "card"}, "Sélectionnez un choix valide"),
        ({"company": forge.pk, "tier": entreprise.pk, "method": "cash", "paid_on": tomorrow}, "dans le futur"),
        ({"company": forge.pk, "method": "cash"}, "Ce champ est obligatoire"),
    ):
        answer = client.post(URL, data)
        assert answer.status_code == 400, data
        assert message in text(answer), (data, text(answer)[-3000:])
    api = [
        ({"company_id": forge.pk, "tier_id": premium.pk, "method": "cash"}, 422),
        ({"company_id": 999999, "tier_id": entreprise.pk, "method": "cash"}, 404),
        ({"company_id": forge.pk, "tier_id": entreprise.pk, "method": "cash", "amount_cents": -100}, 422),
        ({"company_id": forge.pk, "tier_id": entreprise.pk, "method": "card"}, 422),
        ({"company_id": forge.pk, "tier_id": entreprise.pk, "method": "cash", "purpose": "donation"}, 422),
        ({"company_id": forge.pk, "user_id": bob.pk, "tier_id": entreprise.pk, "method": "cash"}, 422),
        ({"tier_id": entreprise.pk, "method": "cash"}, 422),
    ]
    for payload, status in api:
        answer = client.post("/api/v1/payments", payload, content_type="application/json")
        assert answer.status_code == status, (payload, answer.content)
    member_tier = client.post("/api/v1/payments", api[0][0], content_type="application/json").json()
    assert "Choisissez une formule active pour les entreprises." in str(member_tier)
    with pytest.raises(ValidationError):
        actions.record_company_payment(bob, company=forge, tier=premium, method="cash")
    assert Payment.objects.count() == 0 and documents().count() == 0
    lapsed.refresh_from_db()
    assert lapsed.status == "grace"


@pytest.mark.django_db
def test_the_membership_page_offers_the_team_to_record_a_payment(client, no_stripe, bank, lapsed, forge, carla,
                                                                 bob, french):
    client.force_login(bob)
    page = text(client.get(f"/companies/{forge.slug}/membership/"))
    assert f'href="{URL}?company={forge.slug}"' in page and "Enregistrer un paiement reçu (équipe)" in page
    assert "Enregistrer le paiement d'une entreprise" in text(client.get("/payments/manage/"))
    client.force_login(carla)
    assert URL not in text(client.get(f"/companies/{forge.slug}/membership/"))


@pytest.mark.django_db
def test_the_record_page_speaks_english_too(client, no_stripe, bank, lapsed, forge, bob, premium, entreprise):
    bob.language = "en"
    bob.save(update_fields=["language"])
    client.force_login(bob)
    page = text(client.get(URL))
    assert "Record a company's payment" in page and "Company tier" in page
    refused = text(client.post(URL, {"company": forge.pk, "tier": entreprise.pk, "method": "cash", "amount": "0"}))
    assert "Enter the amount received." in refused


@pytest.mark.django_db(transaction=True)
def test_two_staff_recording_the_same_company_payment_at_once_make_one_payment(no_stripe, bank, forge, carla, cole,
                                                                               bob, alice, entreprise):
    if connection.vendor != "postgresql":
        pytest.skip("row locks between threads: PostgreSQL")
    from tribu.core.models import Activity

    membership = make_membership(tier=entreprise, company=forge, status="active",
                                 ends_on=timezone.localdate() + timedelta(days=20))
    barrier = threading.Barrier(2)
    outcomes: list = []

    def record(person, method):
        try:
            barrier.wait()
            outcomes.append(actions.record_company_payment(person, company=forge, tier=entreprise, method=method))
        except ValidationError as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=record, args=a) for a in ((bob, "transfer"), (alice, "cheque"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(isinstance(o, Payment) for o in outcomes) == 1
    assert sum(isinstance(o, actions.AlreadyRecorded) for o in outcomes) == 1
    assert Payment.objects.count() == 1
    assert documents(kind="receipt").count() == 1
    assert Activity.objects.filter(verb="payment.recorded").count() == 1
    assert Activity.objects.filter(verb="membership.extended").count() == 1
    membership.refresh_from_db()
    assert membership.ends_on == (timezone.localdate() + timedelta(days=20)).replace(
        year=timezone.localdate().year + 1) or membership.ends_on > timezone.localdate() + timedelta(days=300)


# --- the same rule on the member's path (a member who never signed in) ------------------------------------


@pytest.mark.django_db
def test_a_members_dues_recorded_twice_make_one_payment(client, no_stripe, bank, bob, alice, mia, premium, french):
    data = {"user": mia.pk, "purpose": "membership", "tier": premium.pk, "method": "cash"}
    client.force_login(bob)
    assert client.post("/payments/manage/new/", data).status_code == 302
    client.force_login(alice)
    again = client.post("/payments/manage/new/", data)
    assert again.status_code == 409 and "Ce paiement est déjà enregistré" in text(again)
    api = client.post("/api/v1/payments", {"user_id": mia.pk, "tier_id": premium.pk, "method": "cash"},
                      content_type="application/json")
    assert api.status_code == 409
    assert Payment.objects.filter(user=mia).count() == 1 and documents(kind="receipt").count() == 1
    donation = {"user": mia.pk, "purpose": "donation", "amount": "20", "method": "cash"}
    assert client.post("/payments/manage/new/", donation).status_code == 302
    assert client.post("/payments/manage/new/", donation).status_code == 302  # two gifts may be two gifts


@pytest.mark.django_db(transaction=True)
def test_two_staff_recording_the_same_members_dues_at_once_make_one_payment(no_stripe, bank, bob, alice, mia,
                                                                            premium):
    if connection.vendor != "postgresql":
        pytest.skip("row locks between threads: PostgreSQL")
    barrier = threading.Barrier(2)
    outcomes: list = []

    def record(person):
        try:
            barrier.wait()
            outcomes.append(actions.record_payment(person, user=mia, purpose="membership", method="cash",
                                                   amount_cents=None, tier=premium))
        except ValidationError as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=record, args=(p,)) for p in (bob, alice)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(type(o).__name__ for o in outcomes) == ["AlreadyRecorded", "Payment"]
    assert Payment.objects.count() == 1 and documents(kind="receipt").count() == 1
    assert Membership.objects.get(user=mia).status == "active"
