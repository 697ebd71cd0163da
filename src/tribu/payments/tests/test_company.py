"""A company's contact pays the company's dues for every seat: by card (Stripe Checkout, the company as
the payer) or by transfer/cheque (an invoice with the reference, the team records it). When the payment
lands, the company's membership starts or runs on and every attached member's access with it."""

from __future__ import annotations

import html
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tribu.memberships import access
from tribu.memberships.models import Membership
from tribu.payments import actions
from tribu.payments.models import Payment

from .conftest import event, make_membership, make_tier, post_event


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def lapsed(forge, entreprise):
    """La Forge's membership ended last week: in its grace period, its seats still cover Carla and Cole."""
    forge.vat_number = "FR32732829320"
    forge.address, forge.postcode, forge.city = "3 quai du Léon", "29600", "Morlaix"
    forge.save()
    return make_membership(tier=entreprise, company=forge, status="grace",
                           starts_on=timezone.localdate() - timedelta(days=372),
                           ends_on=timezone.localdate() - timedelta(days=7))


def card_url(company):
    return f"/companies/{company.slug}/membership/card/"


def offline_url(company):
    return f"/companies/{company.slug}/membership/offline/"


# --- who may -------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "page", "pay"), [
    ("contact", 200, 302), ("colleague", 403, 403), ("other_contact", 403, 403), ("member", 403, 403),
    ("anonymous", 302, 302), ("staff", 200, 302), ("admin", 200, 302),
])
def test_only_the_companys_contacts_and_the_team_see_and_pay_its_membership(
        client, fake_stripe, bank, lapsed, forge, carla, cole, olga, mia, bob, alice, entreprise, who, page, pay):
    people = {"contact": carla, "colleague": cole, "other_contact": olga, "member": mia, "staff": bob,
              "admin": alice, "anonymous": None}
    if people[who] is not None:
        client.force_login(people[who])
    seen = client.get(f"/companies/{forge.slug}/membership/")
    assert seen.status_code == page
    answer = client.post(card_url(forge), {"tier": entreprise.pk, "recurring": "0"})
    assert answer.status_code == pay
    if who == "anonymous":
        assert "/login" in answer["Location"] or "connexion" in answer["Location"]
    paid = who in {"contact", "staff", "admin"}
    assert Payment.objects.filter(company=forge).count() == (1 if paid else 0)
    assert len(fake_stripe.created) == (1 if paid else 0)
    if paid:  # Stripe's receipt goes to the company's contact, even when the team starts the payment
        assert fake_stripe.sessions[fake_stripe.created[0]]["_params"]["customer_email"] == carla.email
    offline = client.post(offline_url(forge), {"tier": entreprise.pk, "method": "transfer"})
    assert offline.status_code == pay
    assert Payment.objects.filter(company=forge, method="transfer").count() == (1 if paid else 0)


@pytest.mark.django_db
def test_the_company_page_links_its_contacts_to_the_membership_page(client, lapsed, forge, carla, cole):
    client.force_login(carla)
    assert f"/companies/{forge.slug}/membership/" in client.get(f"/companies/{forge.slug}/").content.decode()
    client.force_login(cole)
    assert f"/companies/{forge.slug}/membership/" not in client.get(f"/companies/{forge.slug}/").content.decode()


# --- by card -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_contact_pays_by_card_and_every_seat_is_renewed_once(
        client, fake_stripe, bank, lapsed, forge, carla, cole, entreprise, french, smtp_server,
        django_capture_on_commit_callbacks):
    client.force_login(carla)
    page = text(client.get(f"/companies/{forge.slug}/membership/"))
    assert "Entreprise" in page and "2 places prises sur 3" in page and "Renouveler maintenant" in page
    first = client.post(card_url(forge), {"tier": entreprise.pk, "recurring": "0"})
    assert first.status_code == 302
    again = client.post(card_url(forge), {"tier": entreprise.pk, "recurring": "0"})  # double submit
    assert again["Location"] == first["Location"]
    assert len(fake_stripe.created) == 1
    sid = fake_stripe.created[0]
    params = fake_stripe.sessions[sid]["_params"]
    assert params["customer_email"] == carla.email
    assert params["metadata"]["company_id"] == str(forge.pk)
    assert params["line_items"][0]["price_data"]["unit_amount"] == "45000"
    invoice_data = params["invoice_creation"]["invoice_data"]
    assert params["invoice_creation"]["enabled"] == "true"
    assert {"name": "Numéro de TVA", "value": "FR32732829320"} in invoice_data["custom_fields"]
    assert params["success_url"].endswith(f"/companies/{forge.slug}/membership/?session={{CHECKOUT_SESSION_ID}}")
    payment = Payment.objects.get()
    assert (payment.company, payment.user, payment.status) == (forge, None, "pending")

    done = fake_stripe.complete(sid)
    with django_capture_on_commit_callbacks(execute=True):
        answers = [post_event(client, event("checkout.session.completed", done, event_id="evt_forge"))
                   for _i in range(3)]
    assert [a.json()["result"] for a in answers] == ["applied", "duplicate", "duplicate"]
    payment.refresh_from_db()
    lapsed.refresh_from_db()
    assert payment.status == "succeeded"
    assert lapsed.status == "active"
    assert lapsed.ends_on > timezone.localdate() + timedelta(days=300)
    assert Membership.objects.filter(company=forge).count() == 1
    for person in (carla, cole):  # both seats run on with the company's membership
        access.forget(person)
        assert access.effective_tier_ids(person) == {entreprise.pk}
    # the receipt goes to the contact, in the company's name
    from tribu.billing.models import Document

    receipt = Document.objects.get(payment=payment, kind="receipt")
    assert receipt.company == forge and receipt.buyer["vat_number"] == "FR32732829320"
    to = sorted(r for m in smtp_server.received for r in m["To"].split(","))
    assert carla.email in " ".join(to) and cole.email not in " ".join(to)
    client.force_login(carla)
    back = text(client.get(f"/companies/{forge.slug}/membership/?session={sid}"))
    assert f"Merci : votre paiement {payment.reference} est confirmé" in back
    assert receipt.number in back
    # paid for a year: no second "renew now" until 60 days before the new end
    assert "Renouveler maintenant" not in back and "membership/card/" not in back
    assert "L'adhésion est payée : vous pourrez la renouveler à partir du" in back


@pytest.mark.django_db
def test_an_expired_company_membership_starts_again_and_its_colleagues_get_their_access_back(
        client, fake_stripe, bank, forge, carla, cole, entreprise):
    ended = make_membership(tier=entreprise, company=forge, status="expired",
                            starts_on=timezone.localdate() - timedelta(days=400),
                            ends_on=timezone.localdate() - timedelta(days=35))
    assert access.effective_tier_ids(cole) == set()
    client.force_login(carla)
    client.post(card_url(forge), {"tier": entreprise.pk, "recurring": "0"})
    done = fake_stripe.complete(fake_stripe.created[0])
    assert post_event(client, event("checkout.session.completed", done)).json()["result"] == "applied"
    current = Membership.objects.get(company=forge, status="active")
    assert current.pk != ended.pk and current.starts_on == timezone.localdate()
    access.forget(cole)
    assert access.effective_tier_ids(cole) == {entreprise.pk}


@pytest.mark.django_db
def test_a_yearly_company_subscription_renews_by_its_invoices(client, fake_stripe, bank, lapsed, forge, carla,
                                                              entreprise):
    client.force_login(carla)
    client.post(card_url(forge), {"tier": entreprise.pk, "recurring": "1"})
    sid = fake_stripe.created[0]
    assert fake_stripe.sessions[sid]["_params"]["mode"] == "subscription"
    done = fake_stripe.complete(sid)
    sub = fake_stripe.client().v1.subscriptions.retrieve(done["subscription"]).to_dict()
    invoice = fake_stripe.client().v1.invoices.retrieve(sub["latest_invoice"]).to_dict()
    for evt in (event("invoice.paid", invoice), event("checkout.session.completed", done)):
        assert post_event(client, evt).status_code == 200
    payment = Payment.objects.get()
    assert (payment.status, payment.company, payment.stripe_invoice) == ("succeeded", forge, invoice["id"])
    lapsed.refresh_from_db()
    assert lapsed.status == "active" and lapsed.ends_on > timezone.localdate()
    assert "renouvelle automatiquement par carte" in text(client.get(f"/companies/{forge.slug}/membership/"))


@pytest.mark.django_db
def test_stripe_unreachable_says_so_and_the_retry_makes_one_session(client, fake_stripe, bank, lapsed, forge, carla,
                                                                   entreprise, french):
    fake_stripe.down = True
    client.force_login(carla)
    assert client.post(card_url(forge), {"tier": entreprise.pk, "recurring": "0"}).status_code == 503
    fake_stripe.down = False
    assert client.post(card_url(forge), {"tier": entreprise.pk, "recurring": "0"}).status_code == 302
    assert Payment.objects.count() == 1 and len(fake_stripe.created) == 1


# --- bad input -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_bad_input_gets_a_clear_translated_400_and_writes_nothing(client, fake_stripe, bank, lapsed, forge, carla,
                                                                  premium, french):
    client.force_login(carla)
    member_tier = client.post(card_url(forge), {"tier": premium.pk, "recurring": "0"})
    assert member_tier.status_code == 400
    assert "Cette formule est réservée aux membres, pas aux entreprises" in text(member_tier)
    other_company_tier = make_tier("grand-compte", name_fr="Grand compte", price_cents=90000, seats=10)
    changed = client.post(offline_url(forge), {"tier": other_company_tier.pk, "method": "transfer"})
    assert changed.status_code == 400
    assert "L'adhésion de votre entreprise porte sur une autre formule" in text(changed)
    for bad in ({}, {"tier": "abc"}, {"tier": "999999"}):
        assert client.post(card_url(forge), {**bad, "recurring": "0"}).status_code == 400
    assert client.post(offline_url(forge), {"tier": lapsed.tier_id, "method": "bitcoin"}).status_code == 400
    assert client.get(card_url(forge)).status_code == 405
    assert Payment.objects.count() == 0 and fake_stripe.created == []


@pytest.mark.django_db
def test_without_stripe_keys_a_contact_pays_by_transfer_only_and_is_told_so(client, no_stripe, bank, lapsed,
                                                                           forge, carla, entreprise, french):
    client.force_login(carla)
    page = text(client.get(f"/companies/{forge.slug}/membership/"))
    assert "Le paiement en ligne n'est pas disponible : payez par virement ou par chèque." in page
    assert "membership/card/" not in page
    refused = client.post(card_url(forge), {"tier": entreprise.pk, "recurring": "0"})
    assert refused.status_code == 400
    assert "Le paiement en ligne n'est pas disponible" in text(refused)
    assert client.post(offline_url(forge), {"tier": entreprise.pk, "method": "transfer"}).status_code == 302
    assert Payment.objects.get().method == "transfer"


# --- by transfer or cheque -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_transfer_waits_for_the_team_then_renews_every_seat(
        client, no_stripe, bank, lapsed, forge, carla, cole, bob, entreprise, french, smtp_server,
        django_capture_on_commit_callbacks):
    from tribu.billing.models import Document
    from tribu.billing.tests.conftest import pdf_text

    client.force_login(carla)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(offline_url(forge), {"tier": entreprise.pk, "method": "transfer"})
        again = client.post(offline_url(forge), {"tier": entreprise.pk, "method": "cheque"})  # changed her mind
    assert answer.status_code == again.status_code == 302
    payment = Payment.objects.get()
    assert (payment.company, payment.method, payment.status, payment.amount_cents) == (forge, "cheque", "pending",
                                                                                        45000)
    page = text(client.get(f"/companies/{forge.slug}/membership/"))
    assert payment.reference in page and "Payer par chèque" in page
    invoice = Document.objects.get(payment=payment, kind="invoice")
    assert invoice.number in page
    assert any(invoice.number in str(m) for m in smtp_server.received)
    lapsed.refresh_from_db()
    assert lapsed.status == "grace"  # nothing moves before the money arrives

    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        recorded = client.post(f"/payments/manage/{payment.pk}/record/", {"method": "cheque",
                                                                           "external_reference": "CHQ 1234"})
    assert recorded.status_code == 302
    lapsed.refresh_from_db()
    assert lapsed.status == "active" and lapsed.ends_on > timezone.localdate() + timedelta(days=300)
    access.forget(cole)
    assert access.effective_tier_ids(cole) == {entreprise.pk}
    receipt = Document.objects.get(payment=payment, kind="receipt")
    content = pdf_text(client.get(f"/billing/documents/{receipt.pk}/").content)
    assert "La Forge du Léon" in content and "FR32732829320" in content
    assert "450,00" in content and receipt.number in content
    client.force_login(carla)
    assert client.get(f"/billing/documents/{receipt.pk}/").status_code == 200
    client.force_login(cole)
    assert client.get(f"/billing/documents/{receipt.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_company_that_never_held_a_membership_gets_a_pending_one_until_the_team_records_it(
        client, no_stripe, bank, forge, carla, bob, entreprise):
    entreprise.self_selectable = True
    entreprise.save()
    client.force_login(carla)
    assert client.post(offline_url(forge), {"tier": entreprise.pk, "method": "transfer"}).status_code == 302
    pending = Membership.objects.get(company=forge)
    assert pending.status == "pending"
    actions.record_offline(bob, Payment.objects.get(), method="transfer")
    pending.refresh_from_db()
    assert pending.status == "active" and pending.starts_on == timezone.localdate()


@pytest.mark.django_db(transaction=True)
def test_two_contacts_paying_at_the_same_moment_make_one_payment_and_one_checkout(fake_stripe, bank, forge,
                                                                                 carla, entreprise):
    if connection.vendor != "postgresql":
        pytest.skip("row locks between threads: PostgreSQL")
    from conftest import make_user
    from tribu.companies.tests.conftest import attach as attach_to

    make_membership(tier=entreprise, company=forge, status="active",
                    ends_on=timezone.localdate() + timedelta(days=20))
    dora = make_user("dora@example.org", "member", "Dora Contact")
    attach_to(dora, forge, contact=True)
    barrier = threading.Barrier(4)
    results: list = []

    def pay(person, how):
        try:
            barrier.wait()
            if how == "card":
                p = actions.start_company_checkout(person, forge, entreprise, recurring=False,
                                                   success_url="http://t/ok", cancel_url="http://t/ko")
            else:
                p = actions.start_company_offline(person, forge, entreprise, method="transfer")
            results.append((how, p.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(p, h)) for p in (carla, dora) for h in ("card", "offline")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    assert len({pk for how, pk in results if how == "card"}) == 1
    assert len({pk for how, pk in results if how == "offline"}) == 1
    assert Payment.objects.count() == 2 and len(fake_stripe.created) == 1


@pytest.mark.django_db
def test_a_card_payment_cancels_the_transfer_another_contact_announced(client, fake_stripe, bank, lapsed, forge,
                                                                      carla, entreprise):
    transfer = actions.start_company_offline(carla, forge, entreprise, method="transfer")
    card = actions.start_company_checkout(carla, forge, entreprise, recurring=False, success_url="http://t/ok",
                                          cancel_url="http://t/ko")
    done = fake_stripe.complete(card.stripe_checkout_session)
    post_event(client, event("checkout.session.completed", done))
    transfer.refresh_from_db()
    card.refresh_from_db()
    assert (card.status, transfer.status) == ("succeeded", "cancelled")


@pytest.mark.django_db
def test_the_renewal_reminder_reaches_the_companys_contacts_only(forge, carla, cole, entreprise, smtp_server,
                                                                 django_capture_on_commit_callbacks):
    from tribu.billing import renewals

    make_membership(tier=entreprise, company=forge, ends_on=timezone.localdate() + timedelta(days=7))
    with django_capture_on_commit_callbacks(execute=True):
        renewals.run()
    to = " ".join(m["To"] for m in smtp_server.received)
    assert carla.email in to and cole.email not in to


@pytest.mark.django_db
def test_the_invoice_asked_from_the_billing_page_is_for_a_transfer_not_an_open_card_checkout(
        fake_stripe, bank, lapsed, forge, carla, entreprise):
    from tribu.billing.actions import request_company_renewal

    card = actions.start_company_checkout(carla, forge, entreprise, recurring=False, success_url="http://t/ok",
                                          cancel_url="http://t/ko")
    invoice = request_company_renewal(carla, forge)
    assert invoice.payment.pk != card.pk and invoice.payment.method == "transfer"
    assert actions.start_company_offline(carla, forge, entreprise, method="transfer").pk == invoice.payment.pk


@pytest.mark.django_db
def test_a_company_payment_shows_to_its_contacts_and_the_team_only(client, no_stripe, bank, lapsed, forge, carla,
                                                                   cole, olga, bob, entreprise, french):
    payment = actions.start_company_offline(carla, forge, entreprise, method="transfer")
    for person, status in ((carla, 200), (bob, 200), (cole, 404), (olga, 404)):
        client.force_login(person)
        answer = client.get(f"/payments/p/{payment.reference}/")
        assert answer.status_code == status
        if status == 200:
            assert "La Forge du Léon · FR32732829320" in text(answer) and "450,00" in text(answer)


@pytest.mark.django_db
def test_the_membership_page_runs_a_bounded_number_of_queries(client, no_stripe, bank, lapsed, forge, carla, bob,
                                                              entreprise, django_assert_max_num_queries):
    def paid(n: int) -> None:
        for _i in range(n):
            actions.record_offline(bob, actions.start_company_offline(carla, forge, entreprise, method="transfer"),
                                   method="transfer")

    paid(1)
    client.force_login(carla)
    client.get(f"/companies/{forge.slug}/membership/")
    with django_assert_max_num_queries(13) as few:  # session, user, company, membership, seats, payments…
        assert client.get(f"/companies/{forge.slug}/membership/").status_code == 200
    paid(6)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        page = text(client.get(f"/companies/{forge.slug}/membership/"))
    from tribu.billing.models import Document

    receipts = Document.objects.filter(company=forge, kind="receipt").values_list("number", flat=True)
    assert len(receipts) == 7 and all(number in page for number in receipts)
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
def test_the_contacts_manage_the_companys_card_in_stripes_portal(client, fake_stripe, bank, lapsed, forge, carla,
                                                                cole, entreprise):
    client.force_login(carla)
    client.post(card_url(forge), {"tier": entreprise.pk, "recurring": "1"})
    done = fake_stripe.complete(fake_stripe.created[0])
    post_event(client, event("checkout.session.completed", done))
    assert f"/companies/{forge.slug}/membership/portal/" in text(client.get(f"/companies/{forge.slug}/membership/"))
    answer = client.get(f"/companies/{forge.slug}/membership/portal/")
    assert answer.status_code == 302 and answer["Location"].startswith("https://billing.stripe.com/")
    assert fake_stripe.portal_sessions[-1]["customer"] == done["customer"]
    # the link in a failed renewal's email (the payer's own portal) leads a contact to the company's card too
    assert client.get("/payments/portal/").status_code == 302
    assert fake_stripe.portal_sessions[-1]["customer"] == done["customer"]
    client.force_login(cole)
    assert client.get(f"/companies/{forge.slug}/membership/portal/").status_code == 403
    assert client.get("/payments/portal/").status_code == 400
    assert len(fake_stripe.portal_sessions) == 2


@pytest.mark.django_db
def test_a_failed_company_renewal_warns_its_contacts_and_keeps_the_seats_in_grace(
        client, fake_stripe, bank, forge, carla, cole, entreprise, smtp_server, django_capture_on_commit_callbacks):
    c = fake_stripe.client()
    membership = make_membership(tier=entreprise, company=forge, ends_on=timezone.localdate())
    origin = actions.start_company_checkout(carla, forge, entreprise, recurring=True, success_url="http://t/ok",
                                            cancel_url="http://t/ko")
    customer = c.v1.customers.create({"email": carla.email})
    pm = c.v1.payment_methods.create({"type": "card", "card": {"number": "4000000000000341", "exp_month": 12,
                                                               "exp_year": 2035, "cvc": "123"}})
    c.v1.payment_methods.attach(pm.id, {"customer": customer.id})
    c.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": pm.id}})
    product = c.v1.products.create({"name": "Entreprise"})
    plan = c.v1.plans.create({"amount": 45000, "currency": "eur", "interval": "year", "product": product.id})
    sub = c.v1.subscriptions.create({"customer": customer.id, "items": [{"plan": plan.id}],
                                     "metadata": {"reference": origin.reference}}).to_dict()
    Payment.objects.filter(pk=origin.pk).update(status="succeeded", stripe_invoice="in_first", recurring=True,
                                                stripe_subscription=sub["id"], stripe_customer=customer.id)
    invoice = c.v1.invoices.retrieve(sub["latest_invoice"]).to_dict()
    assert invoice["status"] != "paid"
    with django_capture_on_commit_callbacks(execute=True):
        for _attempt in range(2):
            assert post_event(client, event("invoice.payment_failed", invoice)).status_code == 200
    membership.refresh_from_db()
    assert membership.status == "grace"
    access.forget(cole)
    assert access.effective_tier_ids(cole) == {entreprise.pk}  # the grace period keeps every seat
    from .conftest import body_of

    dunning = [m for m in smtp_server.received if "/payments/portal/" in body_of(m)]
    assert [m["To"] for m in dunning] == [carla.email], [(m["To"], m["Subject"]) for m in smtp_server.received]
    client.force_login(carla)
    assert client.get("/payments/portal/").status_code == 302
    assert fake_stripe.portal_sessions[-1]["customer"] == customer.id


@pytest.mark.django_db
def test_the_membership_page_speaks_english_too(client, no_stripe, bank, lapsed, forge, carla, premium):
    carla.language = "en"
    carla.save(update_fields=["language"])
    client.force_login(carla)
    page = text(client.get(f"/companies/{forge.slug}/membership/"))
    assert "Company membership" in page and "1 of 3 seats taken" in page and "€450.00" in page
    assert "Online payment is not available: pay by bank transfer or cheque." in page
    refused = text(client.post(offline_url(forge), {"tier": premium.pk, "method": "transfer"}))
    assert "This tier is for members, not companies" in refused
