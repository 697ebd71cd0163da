"""Amounts in words, in French, as a tax receipt (cerfa 11580) asks: « cent vingt euros et cinquante
centimes ». Traditional spelling: « vingt et un », « soixante et onze », « quatre-vingts »,
« quatre-vingt-un », « deux cents », « deux cent un », « mille », « deux millions »."""

from __future__ import annotations

UNITS = ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze",
         "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit", "dix-neuf"]
TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}


def _below_100(n: int) -> str:
    if n < 20:
        return UNITS[n]
    tens, unit = divmod(n, 10)
    if tens in TENS:
        if unit == 0:
            return TENS[tens]
        if unit == 1:
            return f"{TENS[tens]} et un"
        return f"{TENS[tens]}-{UNITS[unit]}"
    if tens == 7:  # soixante-dix … soixante-dix-neuf
        return "soixante et onze" if unit == 1 else f"soixante-{UNITS[10 + unit]}"
    # 80 … 99
    rest = n - 80
    if rest == 0:
        return "quatre-vingts"
    return f"quatre-vingt-{UNITS[rest]}"


def _below_1000(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    if hundreds == 0:
        return _below_100(rest)
    head = "cent" if hundreds == 1 else f"{UNITS[hundreds]} cent"
    if rest == 0:
        return head if hundreds == 1 else head + "s"
    return f"{head} {_below_100(rest)}"


def number_in_words(n: int) -> str:
    """A non-negative integer in French words (up to the billions)."""
    if n < 0:
        raise ValueError("negative")
    if n == 0:
        return "zéro"
    parts = []
    for value, singular, plural in ((10**9, "milliard", "milliards"), (10**6, "million", "millions")):
        count, n = divmod(n, value)
        if count:
            parts.append(f"{number_in_words(count)} {singular if count == 1 else plural}")
    thousands, n = divmod(n, 1000)
    if thousands:
        words = _below_1000(thousands)
        # « deux cent mille », « quatre-vingt mille »: no plural s before mille
        if words.endswith("cents") or words.endswith("vingts"):
            words = words[:-1]
        parts.append("mille" if thousands == 1 else f"{words} mille")
    if n:
        parts.append(_below_1000(n))
    return " ".join(parts)


CURRENCY_WORDS = {"EUR": ("euro", "euros", "centime", "centimes")}


def amount_in_words_fr(cents: int, currency: str = "EUR") -> str:
    """« soixante euros », « un euro et cinq centimes », « mille deux cents euros »."""
    units, rest = divmod(abs(int(cents)), 100)
    one, many, sub_one, sub_many = CURRENCY_WORDS.get(currency.upper(), (currency, currency, "centième", "centièmes"))
    text = f"{number_in_words(units)} {one if units <= 1 else many}"
    if units >= 10**6 and units % 10**6 == 0:
        text = f"{number_in_words(units)} d'{many}"
    if rest:
        text += f" et {number_in_words(rest)} {sub_one if rest == 1 else sub_many}"
    return text
