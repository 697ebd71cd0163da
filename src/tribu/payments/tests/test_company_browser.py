"""A company's contact renews the company's membership by card, on a phone (375 px): from the company's
page to its membership page, Stripe's hosted page (the test server's stand-in: a real PaymentIntent in
localstripe, then a signed ``checkout.session.completed`` to the webhook), back to the confirmation and
the receipt; then a colleague sees the company's seat still covering them, until the new date.
No horizontal scrolling, no Content-Security-Policy violation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import formats, timezone

from tests.browser import log_in, phone_page

from .conftest import make_membership, make_tier
from .test_browser import fits, shot


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_company_contact_pays_by_card_and_the_colleagues_access_is_renewed(live_server, fake_stripe):
    from conftest import make_user
    from tribu.billing.models import Document, Organisation
    from tribu.companies.models import Company, CompanyMember
    from tribu.memberships.models import Membership

    fake_stripe.webhook_url = f"{live_server.url}/payments/stripe/webhook/"
    org = Organisation.get()
    org.legal_name, org.address = "Association Tribu", "12 rue des Lilas, 75011 Paris"
    org.iban, org.bic = "FR7630006000011234567890189", "AGRIFRPP"
    org.save()
    entreprise = make_tier("entreprise", name_fr="Entreprise", price_cents=45000, period="yearly", seats=3)
    forge = Company.objects.create(name="La Forge du Léon", slug="la-forge", vat_number="FR32732829320",
                                   city="Morlaix")
    carla = make_user("carla@example.org", "member", "Carla Contact")
    cole = make_user("cole@example.org", "member", "Cole Collègue")
    CompanyMember.objects.create(company=forge, user=carla, is_contact=True)
    CompanyMember.objects.create(company=forge, user=cole)
    today = timezone.localdate()
    membership = make_membership(tier=entreprise, company=forge, status="grace",
                                 starts_on=today - timedelta(days=370), ends_on=today - timedelta(days=5))

    with phone_page() as (page, console):
        log_in(page, live_server.url, "carla@example.org")
        page.goto(f"{live_server.url}/companies/la-forge/")
        with page.expect_navigation():
            page.click("text=Adhésion et paiements")
        main = page.inner_text("main")
        assert "En période de grâce" in main and "2 places prises sur 3" in main and "450,00\u00a0€" in main
        assert fits(page)
        shot(page, "company-1-membership")
        with page.expect_navigation():
            page.click("button:has-text('Payer par carte')")
        assert page.url.startswith(fake_stripe.url + "/hosted/")
        with page.expect_navigation():
            page.click("button:has-text('Pay')")
        assert "/companies/la-forge/membership/?session=cs_test_" in page.url
        main = page.inner_text("main")
        assert re.search(r"Merci : votre paiement TR-[A-Z0-9]{8} est confirmé", main), main
        receipt = Document.objects.get(kind="receipt", company=forge)
        assert receipt.number in main and "Active" in main
        assert fits(page)
        shot(page, "company-2-paid")
        with page.expect_download() as download:
            page.click(f"text={receipt.number}")
        assert download.value.suggested_filename.endswith(".pdf")

        membership.refresh_from_db()
        assert membership.status == "active" and membership.ends_on > today + timedelta(days=300)
        page.context.clear_cookies()
        log_in(page, live_server.url, "cole@example.org")
        page.goto(f"{live_server.url}/memberships/mine/")
        main = page.inner_text("main")
        with timezone.override("Europe/Paris"):
            from django.utils import translation

            with translation.override("fr"):
                until = formats.date_format(membership.ends_on, "DATE_FORMAT")
        assert f"jusqu'au {until}" in main, main
        assert "Une place de l'adhésion de votre société vous couvre." in main
        assert fits(page)
        shot(page, "company-3-colleague")
        assert page.goto(f"{live_server.url}/companies/la-forge/membership/").status == 403  # not a contact
        assert not [m for m in console if "Content Security Policy" in m or "Refused" in m], console
    assert Membership.objects.filter(company=forge).count() == 1
