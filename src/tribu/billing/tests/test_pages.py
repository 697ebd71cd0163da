"""Billing pages: who may download which document (every role × whose document), the team's pages,
the accounting export, the legal details form, one-click reminders, the member's dues block and the
company renewal page. List pages run a fixed number of queries whatever their length."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tribu.billing import actions
from tribu.billing.models import Document, Organisation, RenewalReminder
from tribu.core.models import Activity

from .conftest import attach, make_company, make_membership, make_payment, make_tier, set_organisation

pytestmark = pytest.mark.django_db
ROLES = ["admin", "staff", "animator", "member", "guest"]


@pytest.fixture
def docs(org, users_by_role):
    """A receipt of mia (member), an invoice of the company whose contact is anna (animator) and where
    gina (guest) is attached without being a contact."""
    mia, anna, gina = users_by_role["member"], users_by_role["animator"], users_by_role["guest"]
    company = make_company("La Forge")
    attach(company, anna, minutes_ago=10, contact=True)
    attach(company, gina, minutes_ago=5)
    own = actions.issue_receipt(make_payment(user=mia, amount_cents=6000), email=False)
    company_doc = actions.issue_receipt(make_payment(company=company, amount_cents=45000), email=False)
    return {"mia": own, "company": company_doc}


ALLOWED = {
    "mia": {"admin", "staff", "member"},
    "company": {"admin", "staff", "animator"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["mia", "company"])
def test_who_downloads_which_document(client, users_by_role, docs, role, which):
    doc = docs[which]
    client.force_login(users_by_role[role])
    response = client.get(reverse("billing:document", args=[doc.pk]))
    if role in ALLOWED[which]:
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert f'filename="{doc.number}.pdf"' in response["Content-Disposition"]
        assert response.content.startswith(b"%PDF")
    else:
        assert response.status_code == 404


def test_anonymous_visitors_log_in_first_and_unknown_documents_are_404(client, docs, bob):
    url = reverse("billing:document", args=[docs["mia"].pk])
    assert client.get(url).status_code == 302
    client.force_login(bob)
    assert client.get(reverse("billing:document", args=[999999])).status_code == 404


TEAM_PAGES = ["billing:manage", "billing:manage_documents", "billing:export", "billing:organisation"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", TEAM_PAGES)
def test_the_team_pages_are_for_the_team(client, users_by_role, role, name):
    client.force_login(users_by_role[role])
    response = client.get(reverse(name))
    assert response.status_code == (200 if role in {"admin", "staff"} else 403)


@pytest.mark.parametrize("name", TEAM_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "login" in response["Location"]


def _renewals(n, tier, today):
    from tribu.accounts.models import User

    for i in range(n):
        user = User.objects.create_user(email=f"m{i}@example.org", password="x" * 12, display_name=f"M{i}",
                                        role="member")
        status = ("active", "grace", "expired")[i % 3]
        ends = today + timedelta(days=5) if status == "active" else today - timedelta(days=5)
        m = make_membership(tier=tier, user=user, status=status, ends_on=ends)
        RenewalReminder.objects.create(membership=m, offset_days=-7, period_end=ends)


def test_the_renewals_page_lists_due_overdue_and_lapsed_in_fixed_queries(client, bob, premium,
                                                                         django_assert_max_num_queries):
    today = timezone.localdate()
    _renewals(3, premium, today)
    client.force_login(bob)
    with django_assert_max_num_queries(20) as few:
        response = client.get(reverse("billing:manage"))
    content = response.content.decode()
    assert "M0" in content and "M1" in content and "M2" in content
    assert "À renouveler" in content and "En retard" in content and "Expirée" in content
    _renewals_more = 30
    from tribu.accounts.models import User

    User.objects.filter(email__startswith="m").delete()
    _renewals(_renewals_more, premium, today)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("billing:manage"))
    assert response.content.decode().count("Envoyer une relance") == 30


def test_the_renewals_page_filters(client, bob, premium, today_members=None):
    today = timezone.localdate()
    _renewals(6, premium, today)
    client.force_login(bob)
    content = client.get(reverse("billing:manage"), {"status": "overdue"}).content.decode()
    assert "M1" in content and "M4" in content and "M0<" not in content and "M2<" not in content
    content = client.get(reverse("billing:manage"), {"q": "M5"}).content.decode()
    assert "M5" in content and "M4<" not in content
    # a nonsense filter is ignored, not a 500
    assert client.get(reverse("billing:manage"), {"days": "lots", "status": "x"}).status_code == 200


def test_the_documents_page_runs_fixed_queries(client, bob, mia, org, django_assert_max_num_queries):
    for _ in range(3):
        actions.issue_receipt(make_payment(user=mia), email=False)
    client.force_login(bob)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("billing:manage_documents"))
    for _ in range(20):
        actions.issue_receipt(make_payment(user=mia), email=False)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("billing:manage_documents"))
    assert response.content.decode().count("R-") >= 23


def test_one_click_reminder_then_a_clear_refusal_within_a_day(client, bob, mia, premium, smtp_server,
                                                              django_capture_on_commit_callbacks):
    membership = make_membership(tier=premium, user=mia, ends_on=timezone.localdate() + timedelta(days=4))
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("billing:remind", args=[membership.pk]), {"next": "/billing/manage/?q=x"})
    assert response.status_code == 302 and response["Location"] == "/billing/manage/?q=x"
    assert len(smtp_server.received) == 1
    response = client.post(reverse("billing:remind", args=[membership.pk]))
    assert response.status_code == 409
    assert "24 heures" in response.content.decode()
    assert RenewalReminder.objects.count() == 1


def test_reminder_links_do_not_redirect_elsewhere(client, bob, mia, premium):
    membership = make_membership(tier=premium, user=mia, ends_on=timezone.localdate() + timedelta(days=4))
    client.force_login(bob)
    response = client.post(reverse("billing:remind", args=[membership.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("billing:manage")


def _csv(response):
    raw = b"".join(response.streaming_content).decode("utf-8")
    return raw


def test_the_accounting_export_adds_up_in_french(client, bob, mia, premium, org):
    today = timezone.localdate()
    paid = make_payment(user=mia, tier=premium, amount_cents=123450, fee_cents=1975, method="card")
    actions.issue_receipt(paid, email=False)
    actions.issue_credit_note(paid, 20000, email=False)
    make_payment(user=mia, amount_cents=999, status="pending")  # not received: not exported
    client.force_login(bob)
    response = client.get(reverse("billing:export"), {"start": (today - timedelta(days=1)).isoformat(),
                                                      "end": today.isoformat(), "language": "fr", "dialect": "fr"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    raw = _csv(response)
    assert raw.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Date", "Type", "Référence du paiement"]
    assert rows[1][1] == "Paiement" and rows[1][7:10] == ["1234,50", "19,75", "1214,75"]
    assert rows[1][0] == today.strftime("%d/%m/%Y")
    assert rows[2][1] == "Remboursement" and rows[2][7] == "-200,00" and rows[2][3].startswith("AV-")
    assert len(rows) == 3


def test_the_accounting_export_in_english(client, bob, mia, org):
    today = timezone.localdate()
    make_payment(user=mia, amount_cents=6000, fee_cents=100)
    client.force_login(bob)
    response = client.get(reverse("billing:export"), {"start": today.isoformat(), "end": today.isoformat(),
                                                      "language": "en", "dialect": "en"})
    rows = list(csv.reader(io.StringIO(_csv(response))))
    assert rows[0][7:11] == ["Gross", "Fees", "Net", "Currency"]
    assert rows[1][0] == today.isoformat() and rows[1][7:11] == ["60.00", "1.00", "59.00", "EUR"]


@pytest.mark.parametrize("params", [{"start": "2026-05-01", "end": "2026-04-01", "language": "fr", "dialect": "fr"},
                                    {"start": "2020-01-01", "end": "2026-01-01", "language": "fr", "dialect": "fr"},
                                    {"start": "hier", "end": "", "language": "fr", "dialect": "fr"}])
def test_a_bad_export_range_is_a_400_with_a_message(client, bob, params):
    client.force_login(bob)
    response = client.get(reverse("billing:export"), params)
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode() or "errorlist" in response.content.decode()


def _org_form(**overrides):
    data = {"legal_name": "Les Ruches", "address": "1 rue X", "siret": "123 456 789 00012", "rna": "W751234567",
            "vat_number": "", "vat_mention": "TVA non applicable, art. 293 B du CGI", "email": "t@ruches.example",
            "iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "agrifrpp", "invoice_footer": "Merci",
            "tax_receipt_article": "200", "object_description": "", "signatory": "",
            "reminder_days": "-30, -7, J0, 7, 14"}
    data.update(overrides)
    return data


def test_the_team_saves_the_legal_details_with_an_audit_entry(client, alice):
    client.force_login(alice)
    response = client.post(reverse("billing:organisation"), _org_form())
    assert response.status_code == 302
    org = Organisation.get()
    assert org.siret == "12345678900012" and org.iban == "FR7630006000011234567890189" and org.bic == "AGRIFRPP"
    assert org.offsets == [-30, -7, 0, 7, 14]
    assert Activity.objects.filter(verb="billing.organisation_updated", audit=True, actor=alice).exists()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("iban", "FR7630006000011234567890180", "IBAN n’est pas valide"),
    ("siret", "1234", "14 chiffres"),
    ("reminder_days", "-30, demain", "nombres entiers"),
    ("vat_mention", "", "numéro de TVA ou la mention"),
])
def test_bad_legal_details_are_refused_and_nothing_changes(client, alice, field, value, message):
    client.force_login(alice)
    response = client.post(reverse("billing:organisation"), _org_form(**{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Organisation.get().legal_name == ""


def test_the_member_sees_due_date_renew_now_and_history_with_documents(client, mia, premium, org,
                                                                       django_assert_max_num_queries):
    today = timezone.localdate()
    membership = make_membership(tier=premium, user=mia, ends_on=today + timedelta(days=20))
    doc = actions.issue_receipt(make_payment(user=mia, tier=premium, membership=membership, amount_cents=12000),
                                email=False)
    client.force_login(mia)
    with django_assert_max_num_queries(40) as few:
        response = client.get(reverse("memberships:mine"))
    content = response.content.decode()
    assert "Prochaine échéance" in content and "dans 20 jours" in content
    assert "Renouveler maintenant" in content
    assert reverse("billing:document", args=[doc.pk]) in content and doc.number in content
    for _ in range(10):
        actions.issue_receipt(make_payment(user=mia, amount_cents=100), email=False)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("memberships:mine"))


def test_the_member_does_not_see_someone_elses_payments(client, mia, anna, org):
    actions.issue_receipt(make_payment(user=anna, amount_cents=7777), email=False)
    client.force_login(mia)
    content = client.get(reverse("memberships:mine")).content.decode()
    assert "77,77" not in content and "Aucun paiement" in content


def test_the_company_renewal_page_is_for_its_contacts(client, anna, mia, bob, entreprise, org,
                                                      django_capture_on_commit_callbacks):
    company = make_company("La Forge")
    attach(company, anna, minutes_ago=10, contact=True)
    attach(company, mia, minutes_ago=5)
    make_membership(tier=entreprise, company=company, ends_on=timezone.localdate() + timedelta(days=10))
    for user in (mia, bob):
        client.force_login(user)
        assert client.get(reverse("billing:company_renew")).status_code == 404
    client.force_login(anna)
    page = client.get(reverse("billing:company_renew")).content.decode()
    assert "La Forge" in page and "2 sur 2" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("billing:company_renew"))
    assert response.status_code == 302
    invoice = Document.objects.get(kind="invoice")
    page = client.get(reverse("billing:company_renew")).content.decode()
    assert invoice.number in page and invoice.payment_reference in page
    client.post(reverse("billing:company_renew"))
    assert Document.objects.filter(kind="invoice").count() == 1


def test_a_company_contact_sees_the_company_renewal_on_the_membership_page(client, anna, entreprise, org):
    company = make_company("La Forge")
    attach(company, anna, minutes_ago=10, contact=True)
    make_membership(tier=entreprise, company=company, ends_on=timezone.localdate() + timedelta(days=10))
    client.force_login(anna)
    content = client.get(reverse("memberships:mine")).content.decode()
    assert reverse("companies:membership", args=[company.slug]) in content and "Adhésion de La Forge" in content


def test_set_organisation_helper_is_used(org):
    assert set_organisation(legal_name="X").legal_name == "X"
    assert make_tier("t", price_cents=1).price_cents == 1


def test_a_member_paying_by_subscription_is_told_it_renews_by_itself(client, mia, premium, org):
    membership = make_membership(tier=premium, user=mia, ends_on=timezone.localdate() + timedelta(days=20))
    make_payment(user=mia, tier=premium, membership=membership, method="card", recurring=True,
                 stripe_subscription="sub_1")
    client.force_login(mia)
    content = client.get(reverse("memberships:mine")).content.decode()
    assert "se renouvelle automatiquement" in content and "Renouveler maintenant" not in content
