"""Card payments through the pages: Stripe Checkout, retries that never make a second session, Stripe
unreachable, and the platform without Stripe keys."""

from __future__ import annotations

import html

import pytest

from tribu.memberships.models import Membership
from tribu.payments.models import Payment


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.django_db
def test_paying_by_card_sends_the_member_to_checkout_and_a_retry_reuses_it(client, fake_stripe, mia, premium):
    client.force_login(mia)
    page = client.get(f"/payments/pay/{premium.pk}/")
    assert page.status_code == 200
    assert "Payer une période" in text(page)
    first = client.post(f"/payments/pay/{premium.pk}/card/", {"recurring": "0"})
    assert first.status_code == 302
    session_id = fake_stripe.created[0]
    assert first["Location"] == fake_stripe.sessions[session_id]["url"]
    again = client.post(f"/payments/pay/{premium.pk}/card/", {"recurring": "0"})
    assert again["Location"] == first["Location"]
    assert len(fake_stripe.created) == 1
    payment = Payment.objects.get()
    assert (payment.status, payment.method, payment.stripe_checkout_session) == ("pending", "card", session_id)
    params = fake_stripe.sessions[session_id]["_params"]
    assert params["customer_email"] == mia.email
    assert params["success_url"].endswith("/payments/mine/?session={CHECKOUT_SESSION_ID}")
    # nothing is held for an unpaid checkout: no pending membership
    assert not Membership.objects.filter(user=mia).exists()


@pytest.mark.django_db
def test_a_lost_response_is_retried_with_the_same_idempotency_key(client, fake_stripe, mia, premium):
    """Stripe made the session but the answer never arrived: the client retries with the same key and
    gets the same session — one session, one possible charge."""
    fake_stripe.drop_after_create = 1
    client.force_login(mia)
    answer = client.post(f"/payments/pay/{premium.pk}/card/", {"recurring": "0"})
    assert answer.status_code == 302
    assert len(fake_stripe.created) == 1
    assert Payment.objects.get().stripe_checkout_session == fake_stripe.created[0]


@pytest.mark.django_db
def test_stripe_unreachable_says_so_and_the_retry_does_not_pay_twice(client, fake_stripe, mia, premium, french):
    fake_stripe.down = True
    client.force_login(mia)
    answer = client.post(f"/payments/pay/{premium.pk}/card/", {"recurring": "0"})
    assert answer.status_code == 503
    body = text(answer)
    assert "Paiement en ligne indisponible" in body
    assert "Rien n'a été débité" in body
    assert len(fake_stripe.created) == 0
    pending = Payment.objects.get()
    assert (pending.status, pending.stripe_checkout_session) == ("pending", "")
    fake_stripe.down = False
    retry = client.post(f"/payments/pay/{premium.pk}/card/", {"recurring": "0"})
    assert retry.status_code == 302
    assert Payment.objects.count() == 1
    assert len(fake_stripe.created) == 1
    assert fake_stripe.by_key == {f"tribu-checkout-{pending.reference}": fake_stripe.created[0]}


@pytest.mark.django_db
def test_a_subscription_is_offered_for_monthly_and_yearly_tiers_only(client, fake_stripe, mia, premium, membre):
    client.force_login(mia)
    assert "S'abonner (renouvellement automatique)" in text(client.get(f"/payments/pay/{premium.pk}/"))
    assert 'name="recurring" value="1"' not in client.get(f"/payments/pay/{membre.pk}/").content.decode()
    refused = client.post(f"/payments/pay/{membre.pk}/card/", {"recurring": "1"})
    assert refused.status_code == 400
    assert fake_stripe.created == []


@pytest.mark.django_db
def test_without_stripe_keys_the_platform_takes_offline_payments_and_says_so(client, no_stripe, bob, mia,
                                                                            premium, bank):
    client.force_login(bob)
    manage = client.get("/payments/manage/")
    assert manage.status_code == 200
    assert "Stripe n'est pas configuré : les membres paient hors ligne uniquement" in text(manage)
    client.force_login(mia)
    page = text(client.get(f"/payments/pay/{premium.pk}/"))
    assert "Le paiement en ligne n'est pas disponible" in page
    assert 'name="recurring"' not in page
    refused = client.post(f"/payments/pay/{premium.pk}/card/", {"recurring": "0"})
    assert refused.status_code == 400
    assert Payment.objects.count() == 0
    assert client.post(f"/payments/pay/{premium.pk}/offline/", {"method": "transfer"}).status_code == 302


@pytest.mark.django_db
def test_the_checkout_return_page_thanks_the_member(client, fake_stripe, mia, premium):
    client.force_login(mia)
    client.post(f"/payments/pay/{premium.pk}/card/", {"recurring": "0"})
    sid = fake_stripe.created[0]
    page = text(client.get(f"/payments/mine/?session={sid}"))
    assert "en cours de confirmation" in page
    assert "Le paiement a été annulé : rien n'a été débité." in text(client.get("/payments/mine/?cancelled=1"))
