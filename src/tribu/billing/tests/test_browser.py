"""Billing in a real browser, on a phone (375 px): the member's dues block with a receipt to download,
the team's renewals page with a one-click reminder, the documents list and the legal details form —
no horizontal scrolling, no CSP violation."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from tests.browser import log_in, phone_page

from .conftest import make_membership, make_payment, make_tier, set_organisation

SHOTS = os.environ.get("TRIBU_BILLING_SHOTS", "")


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 375


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_member_and_the_team_on_a_phone(live_server):
    from django.utils import timezone

    from conftest import make_user
    from tribu.billing import actions
    from tribu.billing.models import RenewalReminder

    set_organisation()
    tier = make_tier("bienfaiteur", name_fr="Bienfaiteur·rice de la communauté des artisans", price_cents=25000)
    make_user("staff@example.org", "staff", "Sam Staff")
    member = make_user("phone@example.org", "member", "Paula Phone")
    membership = make_membership(tier=tier, user=member, ends_on=timezone.localdate() + timedelta(days=12))
    receipt = actions.issue_receipt(make_payment(user=member, tier=tier, membership=membership, amount_cents=25000,
                                                 method="transfer"), email=False)
    with phone_page() as (page, console):
        log_in(page, live_server.url, "phone@example.org")
        page.goto(f"{live_server.url}/memberships/mine/")
        main = page.inner_text("main")
        assert "Prochaine échéance" in main and "dans 12 jours" in main and receipt.number in main
        assert page.is_visible("text=Renouveler maintenant")
        assert fits(page)
        shot(page, "member")
        href = page.get_attribute(f"a:has-text('{receipt.number}')", "href")
        response = page.request.get(f"{live_server.url}{href}")
        assert response.status == 200 and response.body().startswith(b"%PDF")

        page.context.clear_cookies()
        log_in(page, live_server.url, "staff@example.org")
        page.goto(f"{live_server.url}/billing/manage/")
        assert "Paula Phone" in page.inner_text("main")
        shot(page, "renewals")
        assert fits(page)
        with page.expect_navigation():
            page.click("button:has-text('Envoyer une relance')")
        assert "La relance est partie." in page.inner_text("body")
        assert RenewalReminder.objects.filter(membership=membership, kind="manual").count() == 1
        page.goto(f"{live_server.url}/billing/manage/documents/")
        assert receipt.number in page.inner_text("main")
        assert fits(page)
        shot(page, "documents")
        page.goto(f"{live_server.url}/billing/manage/organisation/")
        page.fill("#id_iban", "FR00 1234")
        with page.expect_navigation():
            page.click("form.card button[type=submit]")
        assert "IBAN n’est pas valide" in page.inner_text("main")
        assert fits(page)
        shot(page, "organisation")
        page.goto(f"{live_server.url}/billing/manage/export/")
        assert fits(page)
        shot(page, "export")

        # a company contact renews every seat at once and gets the invoice
        from tribu.billing.models import Document

        from .conftest import attach, make_company

        company = make_company("Forge & Fils, ateliers réunis de Bretagne")
        contact = make_user("contact@example.org", "member", "Corentin Contact")
        attach(company, contact, minutes_ago=5, contact=True)
        seats = make_tier("entreprise", name_fr="Entreprise", price_cents=45000, seats=5)
        make_membership(tier=seats, company=company, ends_on=timezone.localdate() + timedelta(days=20))
        page.context.clear_cookies()
        log_in(page, live_server.url, "contact@example.org")
        page.goto(f"{live_server.url}/memberships/mine/")
        with page.expect_navigation():
            page.click("a:has-text('Renouveler maintenant')")
        # the reminder's and the summary's link lead straight to the company's membership page
        assert page.url.endswith(f"/companies/{company.slug}/membership/")
        assert "1 place prise sur 5" in page.inner_text("main")
        with page.expect_navigation():
            page.click("button:has-text('Recevoir la facture')")
        invoice = Document.objects.get(kind="invoice", company=company)
        assert invoice.number in page.inner_text("main") and invoice.payment_reference in page.inner_text("main")
        assert fits(page)
        shot(page, "company_renew")
        assert not [m for m in console if "Content Security Policy" in m or "Refused" in m], console
