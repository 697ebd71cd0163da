"""A document's PDF (reportlab), rendered from its frozen snapshot in the document's language: the
same document always gives the same text. Invoices, receipts and credit notes share one layout
(seller, buyer, lines, totals, payment, mentions); a tax receipt follows the content of the cerfa
11580 (beneficiary, donor, amount in figures and in words, date and form of the donation)."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from tribu.memberships.money import NBSP, NNBSP, format_money

from .models import Document, DocumentKind
from .words import amount_in_words_fr

PAYMENT_TERM_DAYS = 30


def _money(cents: int, currency: str, lang: str) -> str:
    # The standard PDF fonts have no narrow no-break space: use the plain no-break space instead.
    return format_money(cents, currency, lang).replace(NNBSP, NBSP)


def _date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    return formats.date_format(value, "DATE_FORMAT")


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def title_of(document: Document) -> str:
    titles = {
        DocumentKind.INVOICE: _("Invoice No. %(number)s"),
        DocumentKind.RECEIPT: _("Receipt No. %(number)s"),
        DocumentKind.CREDIT_NOTE: _("Credit note No. %(number)s"),
        DocumentKind.TAX_RECEIPT: _("Tax receipt No. %(number)s"),
    }
    return titles[DocumentKind(document.kind)] % {"number": document.number}


def method_label(method: str) -> str:
    from tribu.payments.models import PaymentMethod

    return str(PaymentMethod(method).label) if method in PaymentMethod.values else method


def _seller_lines(seller: dict[str, Any]) -> list[str]:
    out = [seller.get("name", "")]
    if seller.get("address"):
        out.append(seller["address"])
    if seller.get("siret"):
        out.append(_("SIRET: %(v)s") % {"v": seller["siret"]})
    if seller.get("rna"):
        out.append(_("RNA: %(v)s") % {"v": seller["rna"]})
    if seller.get("vat_number"):
        out.append(_("VAT number: %(v)s") % {"v": seller["vat_number"]})
    if seller.get("email"):
        out.append(seller["email"])
    return [x for x in out if x]


def _buyer_lines(buyer: dict[str, Any]) -> list[str]:
    out = [buyer.get("name", "")]
    if buyer.get("address"):
        out.append(buyer["address"])
    if buyer.get("siret"):
        out.append(_("SIRET: %(v)s") % {"v": buyer["siret"]})
    if buyer.get("vat_number"):
        out.append(_("VAT number: %(v)s") % {"v": buyer["vat_number"]})
    if buyer.get("contact"):
        out.append(_("Contact: %(v)s") % {"v": buyer["contact"]})
    if buyer.get("email"):
        out.append(buyer["email"])
    return [x for x in out if x]


def render(document: Document) -> bytes:
    """The PDF of ``document`` as bytes."""
    with translation.override(document.language or "fr"):
        if document.kind == DocumentKind.TAX_RECEIPT:
            return _render_tax_receipt(document)
        return _render_commercial(document)


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("t", parent=base["Heading1"], fontSize=16, spaceAfter=4 * mm),
        "h": ParagraphStyle("h", parent=base["Heading3"], fontSize=10, spaceAfter=1 * mm),
        "n": ParagraphStyle("n", parent=base["Normal"], fontSize=9, leading=12),
        "small": ParagraphStyle("s", parent=base["Normal"], fontSize=8, leading=10,
                                textColor=colors.HexColor("#333333")),
        "right": ParagraphStyle("r", parent=base["Normal"], fontSize=9, leading=12, alignment=2),
    }


def _build(document: Document, story: list[Any]) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=16 * mm,
        title=title_of(document), author=document.seller.get("name", ""), subject=document.number,
    )
    doc.build(story)
    return buffer.getvalue()


def _render_commercial(document: Document) -> bytes:
    s = _styles()
    lang = document.language or "fr"
    seller, buyer = document.seller or {}, document.buyer or {}
    story: list[Any] = []
    header = Table(
        [[_p("\n".join(_seller_lines(seller)), s["n"]),
          [_p(title_of(document), s["title"]),
           _p(_("Issued on %(date)s") % {"date": _date(document.issued_at)}, s["n"])]]],
        colWidths=[90 * mm, 84 * mm],
    )
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [header, Spacer(1, 8 * mm)]
    story.append(_p(_("Billed to") if document.kind != DocumentKind.CREDIT_NOTE else _("Credited to"), s["h"]))
    story.append(_p("\n".join(_buyer_lines(buyer)) or "—", s["n"]))
    story.append(Spacer(1, 6 * mm))
    if document.kind == DocumentKind.CREDIT_NOTE:
        if document.original_id:
            original = document.original
            story.append(_p(_("Credit note for document No. %(number)s of %(date)s.") % {
                "number": original.number, "date": _date(original.issued_at)}, s["n"]))
        story.append(_p(_("Refund of payment %(reference)s.") % {"reference": document.payment_reference}, s["n"]))
        story.append(Spacer(1, 4 * mm))

    rows: list[list[Any]] = [[_("Description"), _("Period"), _("Qty"), _("Unit price"), _("Amount")]]
    for line in document.lines or []:
        period = ""
        if line.get("period_start") and line.get("period_end"):
            period = _("%(start)s to %(end)s") % {
                "start": _date(date.fromisoformat(line["period_start"])),
                "end": _date(date.fromisoformat(line["period_end"]))}
        rows.append([_p(line.get("label", ""), s["n"]), _p(period, s["n"]), str(line.get("quantity", 1)),
                     _money(line.get("unit_cents", 0), document.currency, lang),
                     _money(line.get("total_cents", 0), document.currency, lang)])
    table = Table(rows, colWidths=[62 * mm, 46 * mm, 12 * mm, 27 * mm, 27 * mm], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, -1), (-1, -1), 0.4, colors.grey),
        ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story += [table, Spacer(1, 4 * mm)]
    net = document.total_cents - document.tax_cents
    totals = [
        [_("Total excluding VAT"), _money(net, document.currency, lang)],
        [_("VAT"), _money(document.tax_cents, document.currency, lang)],
        [_("Total credited") if document.kind == DocumentKind.CREDIT_NOTE else _("Total"),
         _money(document.total_cents, document.currency, lang)],
    ]
    totals_table = Table(totals, colWidths=[40 * mm, 30 * mm], hAlign="RIGHT")
    totals_table.setStyle(TableStyle([
        ("FONTSIZE", (0, 0), (-1, -1), 9), ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"), ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
    ]))
    story += [totals_table, Spacer(1, 6 * mm)]
    if seller.get("vat_mention") and not seller.get("vat_number"):
        story.append(_p(seller["vat_mention"], s["n"]))
    method = method_label(document.payment_method)
    if document.kind == DocumentKind.INVOICE and not document.paid_at:
        due = timezone.localtime(document.issued_at).date() + timedelta(days=PAYMENT_TERM_DAYS)
        story.append(_p(_("Amount due by %(date)s. Payment reference to quote: %(reference)s.") % {
            "date": _date(due), "reference": document.payment_reference}, s["n"]))
        if seller.get("iban"):
            story.append(_p(_("Bank transfer to IBAN %(iban)s, BIC %(bic)s.") % {
                "iban": seller["iban"], "bic": seller.get("bic") or "—"}, s["n"]))
        if buyer.get("kind") == "company":
            story.append(_p(_("Late payment: penalties at three times the legal interest rate and a fixed "
                              "recovery fee of 40 euros (articles L441-10 and D441-5 of the French commercial "
                              "code)."), s["small"]))
    elif document.kind == DocumentKind.CREDIT_NOTE:
        story.append(_p(_("Refunded by the original payment method: %(method)s.") % {"method": method}, s["n"]))
    else:
        story.append(_p(_("Paid on %(date)s by %(method)s (reference %(reference)s).") % {
            "date": _date(document.paid_at), "method": method, "reference": document.payment_reference}, s["n"]))
    if seller.get("footer"):
        story += [Spacer(1, 8 * mm), _p(seller["footer"], s["small"])]
    return _build(document, story)


def _render_tax_receipt(document: Document) -> bytes:
    """Cerfa 11580 content. The amount in words is in French, as the administration expects."""
    s = _styles()
    lang = document.language or "fr"
    seller, buyer = document.seller or {}, document.buyer or {}
    article = seller.get("tax_receipt_article") or "200"
    story: list[Any] = [
        _p(title_of(document), s["title"]),
        _p((_("Receipt for donations to certain organisations of general interest (cerfa No. 11580), "
              "articles %(articles)s of the French tax code (CGI).") if "," in article else
            _("Receipt for donations to certain organisations of general interest (cerfa No. 11580), "
              "article %(articles)s of the French tax code (CGI).")) % {"articles": article}, s["n"]),
        Spacer(1, 6 * mm),
        _p(_("Beneficiary of the donation"), s["h"]),
        _p("\n".join(_seller_lines(seller)), s["n"]),
    ]
    if seller.get("object"):
        story.append(_p(_("Object: %(object)s") % {"object": seller["object"]}, s["n"]))
    story += [Spacer(1, 4 * mm), _p(_("Donor"), s["h"]), _p("\n".join(_buyer_lines(buyer)) or "—", s["n"]),
              Spacer(1, 6 * mm)]
    amount = _money(document.total_cents, document.currency, lang)
    words = amount_in_words_fr(document.total_cents, document.currency)
    story += [
        _p(_("The beneficiary acknowledges having received, as donations giving the right to a tax reduction, "
             "the sum of:"), s["n"]),
        _p(f"*** {amount} ***", s["title"]),
        _p(_("Amount in words: %(words)s") % {"words": words}, s["n"]),
        _p(_("Date of the payment: %(date)s") % {"date": _date(document.paid_at)}, s["n"]),
        _p(_("Form of the donation: declaration of a manual gift"), s["n"]),
        _p(_("Nature of the donation: cash"), s["n"]),
        _p(_("Method of payment: %(method)s") % {"method": method_label(document.payment_method)}, s["n"]),
        Spacer(1, 8 * mm),
        _p(_("Issued on %(date)s") % {"date": _date(document.issued_at)}, s["n"]),
    ]
    if seller.get("signatory"):
        story.append(_p(seller["signatory"], s["n"]))
    if seller.get("footer"):
        story += [Spacer(1, 8 * mm), _p(seller["footer"], s["small"])]
    return _build(document, story)
