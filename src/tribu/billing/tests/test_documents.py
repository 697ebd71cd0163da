"""Documents: receipts, credit notes, tax receipts and invoices — numbering without gaps, idempotence,
the PDF's content (read back with pypdf) and the confirmation email with the PDF attached."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation

from tribu.billing import actions, pdf
from tribu.billing.models import Document, DocumentCounter

from .conftest import body_of, make_company, make_payment, pdf_text, set_organisation, subject_of

pytestmark = pytest.mark.django_db


def test_a_receipt_is_numbered_per_year_and_issuing_it_twice_returns_the_same(org, mia, premium):
    year = timezone.localdate().year
    first = actions.issue_receipt(make_payment(user=mia, tier=premium, amount_cents=12000))
    again = actions.issue_receipt(first.payment)
    second = actions.issue_receipt(make_payment(user=mia, amount_cents=500))
    assert again.pk == first.pk
    assert first.number == f"R-{year}-00001"
    assert second.number == f"R-{year}-00002"
    assert Document.objects.count() == 2
    assert DocumentCounter.objects.get(kind="receipt", year=year).last == 2


def test_a_rolled_back_payment_gives_its_number_back(org, mia):
    year = timezone.localdate().year
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.issue_receipt(make_payment(user=mia))
        raise RuntimeError("the payment's transaction fails after the receipt")
    doc = actions.issue_receipt(make_payment(user=mia))
    assert doc.number == f"R-{year}-00001"


def test_a_batch_numbers_its_documents_at_its_end_without_the_ones_rolled_back(org, mia):
    """A batch of payments in one transaction (Stripe events): the receipts are numbered together when
    the batch ends, in the order they were issued; one whose savepoint rolled back takes no number."""
    year = timezone.localdate().year
    payments = [make_payment(user=mia, amount_cents=1000 + i) for i in range(4)]
    with transaction.atomic(), actions.same_organisation():
        first = actions.issue_receipt(payments[0])
        with pytest.raises(RuntimeError), transaction.atomic():
            actions.issue_receipt(payments[1])
            raise RuntimeError("this event's savepoint rolls back")
        actions.issue_receipt(payments[2])
        actions.issue_receipt(first.payment)  # issued once
        actions.issue_credit_note(payments[0], 300)
        actions.issue_receipt(payments[3])
    numbers = dict(Document.objects.values_list("payment_id", "number").filter(kind="receipt"))
    assert numbers == {payments[0].pk: f"R-{year}-00001", payments[2].pk: f"R-{year}-00002",
                       payments[3].pk: f"R-{year}-00003"}
    assert Document.objects.get(kind="credit_note").number.endswith(f"-{year}-00001")
    assert DocumentCounter.objects.get(kind="receipt", year=year).last == 3
    assert actions.issue_receipt(make_payment(user=mia)).number == f"R-{year}-00004"  # alone: at once


def test_no_receipt_for_a_payment_not_received(org, mia):
    with pytest.raises(ValidationError):
        actions.issue_receipt(make_payment(user=mia, status="pending"))
    assert not Document.objects.exists()


def test_the_receipt_pdf_carries_number_amounts_parties_method_and_vat_mention(org, mia, premium, french):
    payment = make_payment(user=mia, tier=premium, amount_cents=12000, method="cheque")
    doc = actions.issue_receipt(payment)
    text = pdf_text(pdf.render(doc))
    assert f"Reçu n° {doc.number}" in text
    assert "120,00 €" in text
    assert "Association Les Ruches" in text and "12345678900012" in text and "W751234567" in text
    assert "Mia Membre" in text
    assert "TVA non applicable, art. 293 B du CGI" in text
    with translation.override("fr"):
        assert pdf.method_label("cheque") in text and payment.reference in text


def test_a_vat_number_replaces_the_exemption_mention(mia):
    set_organisation(vat_number="FR12345678901")
    doc = actions.issue_receipt(make_payment(user=mia))
    text = pdf_text(pdf.render(doc))
    assert "FR12345678901" in text
    assert "293 B" not in text


def test_a_company_payment_is_billed_to_the_company(org, anna):
    company = make_company("La Forge")
    company.address, company.postcode, company.city, company.siret = "3 quai Ouest", "69002", "Lyon", "98765432100019"
    company.save()
    doc = actions.issue_receipt(make_payment(user=anna, company=company, amount_cents=45000))
    text = pdf_text(pdf.render(doc))
    assert "La Forge" in text and "69002 Lyon" in text and "98765432100019" in text
    assert "Anna Animatrice" in text


def test_a_credit_note_refers_to_the_receipt_and_cannot_exceed_the_payment(org, mia):
    payment = make_payment(user=mia, amount_cents=6000)
    receipt = actions.issue_receipt(payment)
    note = actions.issue_credit_note(payment, 2500, key="re_1")
    assert actions.issue_credit_note(payment, 2500, key="re_1").pk == note.pk
    assert note.original_id == receipt.pk
    assert note.number.startswith("AV-")
    with pytest.raises(ValidationError):
        actions.issue_credit_note(payment, 3600, key="re_2")
    actions.issue_credit_note(payment, 3500, key="re_3")
    text = pdf_text(pdf.render(note))
    assert note.number in text and receipt.number in text and "25,00 €" in text
    with pytest.raises(ValidationError):
        actions.issue_credit_note(payment, 0)


def test_a_donation_gets_a_tax_receipt_with_the_amount_in_words_when_the_organisation_may(mia, french):
    set_organisation(tax_receipts_enabled=True, object_description="Soutien aux apiculteurs",
                     signatory="Claire Dupont, trésorière")
    payment = make_payment(user=mia, amount_cents=12050, purpose="donation", method="card")
    doc = actions.issue_receipt(payment)
    assert doc.kind == "tax_receipt" and doc.number.startswith("RF-")
    text = pdf_text(pdf.render(doc))
    assert "cent vingt euros et cinquante centimes" in text
    assert "120,50 €" in text
    assert "11580" in text and "article 200 du code général des impôts" in text
    assert "Mia Membre" in text and "Claire Dupont" in text and "Soutien aux apiculteurs" in text


def test_without_eligibility_a_donation_gets_a_plain_receipt(org, mia):
    doc = actions.issue_receipt(make_payment(user=mia, amount_cents=1000, purpose="donation"))
    assert doc.kind == "receipt"


def test_an_english_speaking_member_gets_an_english_document(org, mia):
    mia.language = "en"
    mia.save(update_fields=["language"])
    doc = actions.issue_receipt(make_payment(user=mia, amount_cents=123456))
    text = pdf_text(pdf.render(doc))
    assert f"Receipt No. {doc.number}" in text and "€1,234.56" in text


def test_an_invoice_for_a_payment_still_due_shows_the_bank_details(mia):
    set_organisation(iban="FR7630006000011234567890189", bic="AGRIFRPP")
    payment = make_payment(user=mia, status="pending", amount_cents=6000)
    doc = actions.issue_invoice(mia, payment)
    assert actions.issue_invoice(mia, payment).pk == doc.pk
    text = pdf_text(pdf.render(doc))
    assert doc.number.startswith("F-") and "FR7630006000011234567890189" in text and payment.reference in text
    assert "Amount due by" in text or "Montant dû avant le" in text


def test_a_company_invoice_carries_the_late_payment_mentions(org, french):
    company = make_company("La Forge")
    doc = actions.issue_invoice(None, make_payment(company=company, status="pending", amount_cents=45000))
    text = pdf_text(pdf.render(doc))
    assert "La Forge" in text and "450,00 €" in text and "Montant dû avant le" in text
    assert "40 euros" in text and "L441-10" in text


def test_the_snapshot_does_not_change_when_the_organisation_does(org, mia):
    doc = actions.issue_receipt(make_payment(user=mia))
    set_organisation(legal_name="Nouveau nom")
    assert "Association Les Ruches" in pdf_text(pdf.render(Document.objects.get(pk=doc.pk)))


def test_the_receipt_email_carries_the_pdf_in_the_members_language(
    org, mia, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        doc = actions.issue_receipt(make_payment(user=mia, amount_cents=6000))
    with django_capture_on_commit_callbacks(execute=True):
        actions.issue_receipt(doc.payment)  # the second call sends nothing
    assert len(smtp_server.received) == 1
    message = smtp_server.received[0]
    assert message["To"] == "mia@example.org"
    assert doc.number in subject_of(message) and "reçu" in subject_of(message)
    body = body_of_text(message)
    assert "60,00 €" in body and f"/billing/documents/{doc.pk}/" in body
    attachments = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert len(attachments) == 1 and attachments[0].get_filename() == f"{doc.number}.pdf"
    assert doc.number in pdf_text(attachments[0].get_payload(decode=True))
    assert Document.objects.get(pk=doc.pk).emailed_at is not None


def test_a_company_document_goes_to_its_contacts(org, anna, mia, smtp_server, django_capture_on_commit_callbacks):
    from .conftest import attach

    company = make_company("La Forge")
    attach(company, anna, minutes_ago=10, contact=True)
    attach(company, mia, minutes_ago=5)
    with django_capture_on_commit_callbacks(execute=True):
        actions.issue_receipt(make_payment(company=company, amount_cents=45000))
    assert [m["To"] for m in smtp_server.received] == ["anna@example.org"]


def body_of_text(message) -> str:
    parts = [p for p in message.walk() if p.get_content_type() in ("text/plain", "text/html")]
    return "\n".join(p.get_payload(decode=True).decode() for p in parts).replace("\u00a0", " ")


def test_body_helper_is_consistent(org, mia, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        actions.issue_credit_note(make_payment(user=mia, amount_cents=6000), 1000)
    message = smtp_server.received[0]
    assert "avoir" in subject_of(message).lower()
    assert "10,00 €" in body_of_text(message)
    assert body_of  # the memberships helper stays importable for other tests
