"""Money: amounts are integer cents with an ISO 4217 currency. One place to read what people type
("60,00", "60.00", "1 200,5 €") and to write an amount the way the reader's language does
(« 60,00 € » in French, "€60.00" in English). The payments app reuses both."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

NBSP = "\u00a0"
NNBSP = "\u202f"
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
ZERO_DECIMALS = {"JPY", "KRW", "XOF", "XAF", "XPF"}
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
GROUPED_RE = re.compile(r"^[0-9]{1,3}([,.][0-9]{3})+$")
AMOUNT_RE = re.compile(r"^[0-9]+(\.[0-9]+)?$")


def validate_currency(value: str) -> str:
    code = (value or "").strip().upper()
    if not CURRENCY_RE.match(code):
        raise ValidationError(_("Enter a currency as its three-letter ISO 4217 code, for example EUR."))
    return code


def parse_money(text: str | int | float | Decimal) -> int:
    """Cents from what a person typed: "60", "60,00", "60.00", "1 200,50", "1,200.50", "60 €"."""
    if isinstance(text, int):
        return text * 100
    raw = str(text).strip()
    for junk in (NBSP, NNBSP, " ", "€", "$", "£", "EUR", "eur"):
        raw = raw.replace(junk, "")
    decimal_sep = ""
    if "," in raw and "." in raw:
        decimal_sep = "," if raw.rfind(",") > raw.rfind(".") else "."
    elif raw.count(",") == 1 and len(raw.rpartition(",")[2]) != 3:
        decimal_sep = ","
    elif raw.count(".") == 1:
        decimal_sep = "."
    whole, _sep, decimals = raw.rpartition(decimal_sep) if decimal_sep else (raw, "", "")
    if not decimal_sep:
        whole, decimals = raw, ""
    thousands = {",", "."} - {decimal_sep}
    if any(t in whole for t in thousands):
        if not GROUPED_RE.match(whole):
            raise ValidationError(_("Enter an amount such as 60,00."))
        whole = whole.replace(",", "").replace(".", "")
    raw = f"{whole}.{decimals}" if decimal_sep else whole
    if not AMOUNT_RE.match(raw):
        raise ValidationError(_("Enter an amount such as 60,00."))
    whole, _dot, decimals = raw.partition(".")
    if len(decimals) > 2:
        raise ValidationError(_("Enter at most two decimals."))
    if len(whole.lstrip("0")) > 9:
        raise ValidationError(_("This amount is too large."))
    return int(whole) * 100 + int((decimals + "00")[:2])


def _group(digits: str, sep: str) -> str:
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def format_amount(cents: int, currency: str = "EUR", language: str | None = None) -> str:
    """The number alone, per locale: "1 200,00" (fr) or "1,200.00" (en)."""
    lang = (language or get_language() or "fr")[:2]
    negative = cents < 0
    cents = abs(int(cents))
    decimals = 0 if currency in ZERO_DECIMALS else 2
    units, rest = divmod(cents, 100)
    if lang == "fr":
        number = _group(str(units), NNBSP) + (f",{rest:02d}" if decimals else "")
    else:
        number = _group(str(units), ",") + (f".{rest:02d}" if decimals else "")
    return f"-{number}" if negative else number


def format_money(cents: int | None, currency: str = "EUR", language: str | None = None) -> str:
    """« 60,00 € » in French, "€60.00" in English; other currencies without a symbol as "60.00 CHF"."""
    if cents is None:
        return ""
    lang = (language or get_language() or "fr")[:2]
    currency = (currency or "EUR").upper()
    number = format_amount(cents, currency, lang)
    symbol = SYMBOLS.get(currency)
    if lang == "fr":
        return f"{number}{NBSP}{symbol or currency}"
    if symbol:
        return f"-{symbol}{number[1:]}" if number.startswith("-") else f"{symbol}{number}"
    return f"{currency}{NBSP}{number}"


def cents_to_input(cents: int | None, language: str | None = None) -> str:
    """The value to put back in a form field: "60,00" (fr) or "60.00" (en), no grouping."""
    if cents is None:
        return ""
    lang = (language or get_language() or "fr")[:2]
    units, rest = divmod(int(cents), 100)
    return f"{units}{',' if lang == 'fr' else '.'}{rest:02d}"
