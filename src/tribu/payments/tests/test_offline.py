"""Offline payments: the member's transfer or cheque instructions, the team's record, a payment for
someone who never signed in, donations; pages and their permission matrix; pinned query counts."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from django.utils import timezone

from tribu.memberships.models import Membership
from tribu.payments import actions
from tribu.payments.models import Payment, PaymentSettings

from .conftest import body_of, make_membership, subject_of


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.django_db
def test_a_member_pays_by_transfer_and_the_team_records_it(client, no_stripe, bank, bob, mia, premium, smtp_server,
                                                           django_capture_on_commit_callbacks):
    client.force_login(mia)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/payments/pay/{premium.pk}/offline/", {"method": "transfer"})
    payment = Payment.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/payments/p/{payment.reference}/"
    assert (payment.status, payment.method, payment.amount_cents) == ("pending", "transfer", 12000)
    assert payment.reference.startswith("TR-") and len(payment.reference) == 11
    m = Membership.objects.get(user=mia)
    assert (m.status, payment.membership) == ("pending", m)
    page = text(client.get("/payments/mine/"))
    assert payment.reference in page
    assert "FR7630006000011234567890189" in page and "Association Tribu" in page
    assert "120,00\u00a0€" in page
    instructions = [msg for msg in smtp_server.received if payment.reference in subject_of(msg)]
    assert len(instructions) == 1
    assert "FR7630006000011234567890189" in body_of(instructions[0])
    # asking again gives the same reference
    client.post(f"/payments/pay/{premium.pk}/offline/", {"method": "cheque"})
    assert Payment.objects.count() == 1
    assert Payment.objects.get().method == "cheque"

    client.force_login(bob)
    assert payment.reference in text(client.get("/payments/manage/?status=pending"))
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"/payments/manage/{payment.pk}/record/",
                           {"method": "transfer", "external_reference": "VIR 123", "amount": ""})
    assert done.status_code == 302
    payment.refresh_from_db()
    m.refresh_from_db()
    assert (payment.status, payment.recorded_by, payment.external_reference) == ("succeeded", bob, "VIR 123")
    assert (m.status, m.starts_on) == ("active", timezone.localdate())
    assert m.ends_on == payment.period_end
    from tribu.billing.models import Document

    assert Document.objects.filter(payment_id=payment.pk, kind="receipt").count() == 1
    again = client.post(f"/payments/manage/{payment.pk}/record/", {"method": "cash"})
    assert again.status_code == 302  # to the payment: already recorded
    assert "déjà enregistré" in text(client.get(again["Location"]))
    assert Payment.objects.get().method == "transfer"


@pytest.mark.django_db
def test_recording_twice_is_refused_with_a_clear_message(bob, alice, mia, premium, bank):
    from django.core.exceptions import ValidationError

    payment = actions.start_offline(mia, premium, method="transfer")
    actions.record_offline(bob, payment, method="transfer")
    with pytest.raises(ValidationError, match=r"déjà enregistré|already recorded"):
        actions.record_offline(alice, payment, method="cheque")
    assert Payment.objects.get().recorded_by == bob


@pytest.mark.django_db
def test_the_team_records_dues_for_a_member_who_never_signed_in(client, bob, premium):
    from conftest import make_user

    imported = make_user("jean@example.org", "guest", "Jean Importé")
    assert imported.last_login is None
    client.force_login(bob)
    form = client.get(f"/payments/manage/new/?user={imported.pk}")
    assert form.status_code == 200
    answer = client.post("/payments/manage/new/", {
        "user": imported.pk, "purpose": "membership", "tier": premium.pk, "amount": "", "method": "cheque",
        "external_reference": "CHQ 0042", "paid_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
    })
    assert answer.status_code == 302
    payment = Payment.objects.get()
    assert (payment.status, payment.amount_cents, payment.method, payment.user) == (
        "succeeded", 12000, "cheque", imported)
    m = Membership.objects.get(user=imported)
    assert (m.status, m.tier, m.source) == ("active", premium, "payment")
    imported.refresh_from_db()
    assert imported.role == "member"  # a guest who paid is a member


@pytest.mark.django_db
def test_bad_input_gets_a_400_and_writes_nothing(client, bob, mia, premium):
    client.force_login(bob)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    for data in (
        {"user": mia.pk, "purpose": "membership", "tier": "", "amount": "10", "method": "cash"},
        {"user": mia.pk, "purpose": "donation", "amount": "", "method": "cash"},
        {"user": mia.pk, "purpose": "donation", "amount": "abc", "method": "cash"},
        {"user": mia.pk, "purpose": "membership", "tier": premium.pk, "method": "card"},
        {"user": mia.pk, "purpose": "membership", "tier": premium.pk, "method": "cash", "paid_on": tomorrow},
    ):
        assert client.post("/payments/manage/new/", data).status_code == 400, data
    assert Payment.objects.count() == 0
    assert not Membership.objects.filter(user=mia).exists()


@pytest.mark.django_db
def test_a_renewal_adds_one_period_after_the_current_end(bob, mia, premium):
    end = timezone.localdate() + timedelta(days=20)
    m = make_membership(tier=premium, user=mia, ends_on=end)
    actions.record_payment(bob, user=mia, purpose="membership", method="transfer", amount_cents=12000, tier=premium)
    m.refresh_from_db()
    assert m.ends_on == end.replace(year=end.year + 1)
    assert m.status == "active"


@pytest.mark.django_db
def test_a_guest_trial_upgraded_by_payment_changes_tier(bob, gina, invite, premium):
    trial = make_membership(tier=invite, user=gina, ends_on=timezone.localdate() + timedelta(days=5), is_trial=True)
    actions.record_payment(bob, user=gina, purpose="membership", method="cash", amount_cents=12000, tier=premium)
    trial.refresh_from_db()
    assert (trial.tier, trial.status, trial.is_trial) == (premium, "active", False)
    gina.refresh_from_db()
    assert gina.role == "member"


@pytest.mark.django_db
def test_offline_donation_with_instructions(client, no_stripe, mia, bank):
    client.force_login(mia)
    assert client.get("/payments/donate/").status_code == 404  # closed by default
    PaymentSettings.objects.update_or_create(pk=1, defaults={"donations_enabled": True})
    page = text(client.get("/payments/donate/"))
    assert "Faire un don" in page and "Carte" not in page
    assert client.post("/payments/donate/", {"amount": "0,50", "method": "transfer"}).status_code == 400
    answer = client.post("/payments/donate/", {"amount": "25,00", "method": "transfer"})
    assert answer.status_code == 302
    payment = Payment.objects.get()
    assert (payment.purpose, payment.amount_cents, payment.status, payment.tier) == ("donation", 2500, "pending", None)


@pytest.mark.django_db
def test_card_donation_goes_through_checkout(client, fake_stripe, mia):
    PaymentSettings.objects.update_or_create(pk=1, defaults={"donations_enabled": True})
    client.force_login(mia)
    answer = client.post("/payments/donate/", {"amount": "40", "method": "card"})
    assert answer.status_code == 302
    session = fake_stripe.sessions[fake_stripe.created[0]]
    assert answer["Location"] == session["url"]
    assert session["_params"]["metadata"]["purpose"] == "donation"
    assert session["amount_total"] == 4000


# --- permission matrix ------------------------------------------------------------------------------------

ROLES = ["admin", "staff", "animator", "member", "guest"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_who_may_open_which_page(client, users_by_role, no_stripe, mia, premium, bank, role):
    other = actions.start_offline(mia, premium, method="transfer")
    user = users_by_role[role]
    client.force_login(user)
    team = role in {"admin", "staff"}
    expect = {
        "/payments/mine/": 200,
        f"/payments/pay/{premium.pk}/": 200,
        "/payments/manage/": 200 if team else 403,
        "/payments/manage/new/": 200 if team else 403,
        "/payments/manage/settings/": 200 if team else 403,
        f"/payments/manage/{other.pk}/record/": 200 if team else 403,
        f"/payments/p/{other.reference}/": 200 if team or user == mia else 404,
    }
    got = {url: client.get(url).status_code for url in expect}
    assert got == expect
    recorded = client.post(f"/payments/manage/{other.pk}/record/", {"method": "cash"})
    assert recorded.status_code == (302 if team else 403)
    settings_post = client.post("/payments/manage/settings/", {"bank_name": "X", "cheques_accepted": "on",
                                                                "donation_currency": "EUR"})
    assert settings_post.status_code == (302 if role == "admin" else 403)


@pytest.mark.django_db
def test_anonymous_visitors_go_to_the_login_page(client, premium):
    for url in ("/payments/mine/", f"/payments/pay/{premium.pk}/", "/payments/manage/", "/payments/donate/"):
        answer = client.get(url)
        assert answer.status_code == 302 and "/accounts/login/" in answer["Location"], url


@pytest.mark.django_db
def test_a_member_cannot_pay_for_a_tier_they_may_not_choose(client, fake_stripe, mia, premium):
    from .conftest import make_tier

    hidden = make_tier("vip", price_cents=50000, self_selectable=False)
    company = make_tier("pme", price_cents=90000, seats=5, self_selectable=True)
    client.force_login(mia)
    for tier in (hidden, company):
        assert client.get(f"/payments/pay/{tier.pk}/").status_code == 403
        assert client.post(f"/payments/pay/{tier.pk}/card/").status_code == 403
        assert client.post(f"/payments/pay/{tier.pk}/offline/", {"method": "transfer"}).status_code == 403
    assert fake_stripe.created == [] and Payment.objects.count() == 0
    # the tier they hold may be renewed even when it is not self-selectable
    make_membership(tier=hidden, user=mia, ends_on=timezone.localdate() + timedelta(days=3))
    assert client.get(f"/payments/pay/{hidden.pk}/").status_code == 200


@pytest.mark.django_db
def test_the_payments_list_runs_a_bounded_number_of_queries(client, bob, premium, django_assert_max_num_queries):
    from conftest import make_user

    client.force_login(bob)

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            u = make_user(f"p{i}@example.org", "member", f"Payeur {i}")
            actions.record_payment(bob, user=u, purpose="donation", method="cash", amount_cents=1000 + i)

    add(2, 0)
    client.get("/payments/manage/")  # the settings rows are created on the first visit
    with django_assert_max_num_queries(20) as few:
        assert client.get("/payments/manage/").status_code == 200
    add(12, 10)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        page = text(client.get("/payments/manage/"))
    assert "Payeur 21" in page
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
def test_my_payments_page_runs_a_bounded_number_of_queries(client, bob, mia, django_assert_max_num_queries):
    client.force_login(mia)
    actions.record_payment(bob, user=mia, purpose="donation", method="cash", amount_cents=1000)
    client.get("/payments/mine/")
    with django_assert_max_num_queries(30) as few:
        client.get("/payments/mine/")
    for i in range(8):
        actions.record_payment(bob, user=mia, purpose="donation", method="cash", amount_cents=1100 + i)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = text(client.get("/payments/mine/"))
    assert "11,07\u00a0€" in page


@pytest.mark.django_db
def test_pages_speak_english_too(client, no_stripe, mia, premium, bank):
    mia.language = "en"
    mia.save(update_fields=["language"])
    client.force_login(mia)
    page = text(client.get(f"/payments/pay/{premium.pk}/"))
    assert "By bank transfer or cheque" in page and "€120.00" in page
    client.post(f"/payments/pay/{premium.pk}/offline/", {"method": "transfer"})
    mine = text(client.get("/payments/mine/"))
    assert "Put the reference in the transfer's label" in mine and "Awaiting payment" in mine
