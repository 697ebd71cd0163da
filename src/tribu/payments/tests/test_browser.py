"""Paying in a real browser, on a phone (375 px).

1. A guest on a trial upgrades to Premium by card: Stripe's hosted page (the test server's stand-in)
   takes the card — a real PaymentIntent in localstripe — and sends the signed
   ``checkout.session.completed`` to the webhook; back on the site the guest sees the payment
   confirmed, the receipt, and the members directory that Premium opens.
2. A second member pays by bank transfer: instructions with the unique reference; the team records
   the transfer and the membership starts.
No horizontal scrolling, no Content-Security-Policy violation.
"""

from __future__ import annotations

import os
import re

import pytest
from django.utils import timezone

from tests.browser import log_in, phone_page

from .conftest import make_membership, make_tier

SHOTS = os.environ.get("TRIBU_PAYMENTS_SHOTS", "")


def fits(page) -> bool:
    """The page's own content fits 375 px (tables scroll inside their wrapper). The site's bottom bar is
    measured apart: with the admin icon and every app's entry it is wider than a phone for the team."""
    return page.evaluate("""(() => { const m = document.querySelector('main');
        return m.scrollWidth <= m.clientWidth + 1 && m.getBoundingClientRect().right <= 376; })()""")


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_guest_upgrades_by_card_and_a_member_pays_by_transfer(live_server, fake_stripe):
    from conftest import make_user
    from tribu.billing.models import Document, Organisation
    from tribu.memberships import actions as m_actions
    from tribu.memberships.models import Membership

    fake_stripe.webhook_url = f"{live_server.url}/payments/stripe/webhook/"
    org = Organisation.get()
    org.legal_name, org.address = "Association Tribu", "12 rue des Lilas, 75011 Paris"
    org.iban, org.bic = "FR7630006000011234567890189", "AGRIFRPP"
    org.save()
    invite = make_tier("invite", name_fr="Invité", period="free", is_guest=True, trial_days=30,
                       self_selectable=True, grace_days=0)
    premium = make_tier("premium", name_fr="Premium", price_cents=12000, period="yearly", self_selectable=True)
    membre = make_tier("membre", name_fr="Membre", price_cents=6000, period="calendar_year", self_selectable=True)
    admin = make_user("admin@example.org", "admin", "Ada Admin")
    m_actions.set_area_restriction(admin, "directory", [premium], "teaser")
    guest = make_user("guest@example.org", "guest", "Gaëlle Invitée")
    make_membership(tier=invite, user=guest, is_trial=True,
                    ends_on=timezone.localdate() + timezone.timedelta(days=20))
    make_user("staff@example.org", "staff", "Sam Staff")
    member = make_user("virement@example.org", "member", "Victor Virement")

    with phone_page() as (page, console):
        # 1. the guest: the directory is kept for Premium
        log_in(page, live_server.url, "guest@example.org")
        page.goto(f"{live_server.url}/members/")
        assert "Réservé à certaines formules" in page.inner_text("main")
        page.goto(f"{live_server.url}/payments/mine/")
        assert fits(page)
        shot(page, "1-mine-guest")
        with page.expect_navigation():
            page.click("text=Payer « Premium »")
        assert "120,00\u00a0€" in page.inner_text("main")
        assert fits(page)
        shot(page, "2-pay")
        with page.expect_navigation():
            page.click("button:has-text('Payer une période')")
        assert page.url.startswith(fake_stripe.url + "/hosted/")
        with page.expect_navigation():
            page.click("button:has-text('Pay')")
        main = page.inner_text("main")
        assert "/payments/mine/?session=cs_test_" in page.url
        assert re.search(r"Merci : votre paiement TR-[A-Z0-9]{8} est confirmé", main), main
        receipt = Document.objects.get(kind="receipt")
        assert receipt.number in main
        assert fits(page)
        shot(page, "3-paid")
        with page.expect_download() as download:
            page.click(f"text={receipt.number}")
        assert download.value.suggested_filename.endswith(".pdf")
        m = Membership.objects.get(user=guest, status="active")
        assert (m.tier, m.is_trial) == (premium, False)
        page.goto(f"{live_server.url}/members/")
        assert "Réservé à certaines formules" not in page.inner_text("main")
        shot(page, "4-directory")

        # 2. a member pays by bank transfer
        page.context.clear_cookies()
        log_in(page, live_server.url, "virement@example.org")
        page.goto(f"{live_server.url}/payments/pay/{membre.pk}/")
        page.get_by_label("Virement", exact=True).check()
        with page.expect_navigation():
            page.click("button:has-text('Obtenir les instructions de paiement')")
        main = page.inner_text("main")
        reference = re.search(r"TR-[A-Z0-9]{8}", main).group(0)
        assert "FR7630006000011234567890189" in main and "60,00\u00a0€" in main
        assert Membership.objects.get(user=member).status == "pending"
        assert fits(page)
        shot(page, "5-instructions")

        page.context.clear_cookies()
        log_in(page, live_server.url, "staff@example.org")
        page.goto(f"{live_server.url}/payments/manage/?status=pending")
        assert reference in page.inner_text("main")
        shot(page, "6-manage")
        assert fits(page)
        with page.expect_navigation():
            page.click(f"tr:has-text('{reference}') >> text=Enregistrer")
        page.fill("input[name=external_reference]", "VIR SEPA 4411")
        with page.expect_navigation():
            page.click("button:has-text('Enregistrer le paiement')")
        assert f"Le paiement {reference} est enregistré." in page.inner_text("main")
        assert fits(page)
        shot(page, "7-recorded")
        assert Membership.objects.get(user=member).status == "active"
        assert not [m for m in console if "Content Security Policy" in m or "Refused" in m], console
