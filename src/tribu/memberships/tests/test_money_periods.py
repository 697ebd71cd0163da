"""Money written per locale and read from what people type; period arithmetic at its edges."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import translation

from tribu.memberships import periods
from tribu.memberships.money import format_money, parse_money, validate_currency

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("cents", "currency", "lang", "expected"),
    [
        (6000, "EUR", "fr", f"60,00{NBSP}€"),
        (6000, "EUR", "en", "€60.00"),
        (120050, "EUR", "fr", f"1{NNBSP}200,50{NBSP}€"),
        (120050, "EUR", "en", "€1,200.50"),
        (5, "EUR", "en", "€0.05"),
        (6000, "CHF", "fr", f"60,00{NBSP}CHF"),
        (6000, "CHF", "en", f"CHF{NBSP}60.00"),
        (6000, "USD", "en", "$60.00"),
    ],
)
def test_amounts_are_written_as_each_language_writes_them(cents, currency, lang, expected):
    assert format_money(cents, currency, lang) == expected


def test_the_template_filter_follows_the_active_language():
    template = Template("{% load tribu_money %}{{ cents|money:'EUR' }}")
    with translation.override("fr"):
        assert template.render(Context({"cents": 45000})) == f"450,00{NBSP}€"
    with translation.override("en"):
        assert template.render(Context({"cents": 45000})) == "€450.00"


@pytest.mark.parametrize(
    ("typed", "cents"),
    [("60,00", 6000), ("60.00", 6000), ("60", 6000), ("60,5", 6050), ("1 200,50", 120050), ("1,200.50", 120050),
     ("1.200,50", 120050), ("60 €", 6000), ("0", 0), (f"1{NNBSP}000", 100000)],
)
def test_amounts_typed_either_way_become_cents(typed, cents):
    assert parse_money(typed) == cents


@pytest.mark.parametrize("typed", ["abc", "-5", "60.001", "", "1e400", "nan", "12,34,5"])
def test_nonsense_amounts_are_refused_with_a_message(typed):
    with pytest.raises(ValidationError):
        parse_money(typed)


def test_currencies_are_three_letter_codes():
    assert validate_currency("eur") == "EUR"
    for bad in ("EURO", "€", "E1R", ""):
        with pytest.raises(ValidationError):
            validate_currency(bad)


def tier(period, *, start_month=1, guest=False, trial_days=None):
    return SimpleNamespace(period=period, calendar_start_month=start_month, is_guest=guest, trial_days=trial_days)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2026, 1, 15), date(2026, 2, 15)),
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2026, 12, 31), date(2027, 1, 31)),
        (date(2026, 3, 31), date(2026, 4, 30)),
    ],
)
def test_a_monthly_period_ends_the_same_day_next_month_clamped(start, end):
    assert periods.end_date(tier("monthly"), start) == end


def test_monthly_extensions_keep_the_day_they_started_on():
    t = tier("monthly")
    start = date(2026, 1, 31)
    first = periods.end_date(t, start)
    assert first == date(2026, 2, 28)
    assert periods.extend(t, first, starts_on=start) == date(2026, 3, 31)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2026, 3, 15), date(2027, 3, 14)),
        (date(2026, 1, 1), date(2026, 12, 31)),
        (date(2028, 2, 29), date(2029, 2, 28)),
        (date(2027, 3, 1), date(2028, 2, 29)),
    ],
)
def test_a_yearly_period_ends_a_year_later_minus_a_day(start, end):
    assert periods.end_date(tier("yearly"), start) == end


@pytest.mark.parametrize(
    ("start_month", "start", "end"),
    [
        (9, date(2026, 11, 23), date(2027, 8, 31)),
        (9, date(2026, 9, 1), date(2027, 8, 31)),
        (9, date(2026, 8, 31), date(2026, 8, 31)),
        (9, date(2027, 2, 10), date(2027, 8, 31)),
        (1, date(2026, 1, 1), date(2026, 12, 31)),
        (1, date(2026, 12, 31), date(2026, 12, 31)),
        (3, date(2028, 2, 29), date(2028, 2, 29)),
        (3, date(2027, 3, 1), date(2028, 2, 29)),
    ],
)
def test_a_fixed_calendar_year_ends_with_the_running_such_year(start_month, start, end):
    assert periods.end_date(tier("calendar_year", start_month=start_month), start) == end


def test_extending_a_calendar_year_gives_the_next_whole_year():
    t = tier("calendar_year", start_month=9)
    assert periods.extend(t, date(2027, 8, 31)) == date(2028, 8, 31)


def test_extending_a_yearly_membership_follows_on_from_its_end():
    assert periods.extend(tier("yearly"), date(2027, 11, 22)) == date(2028, 11, 22)
    assert periods.extend(tier("yearly"), date(2028, 2, 28)) == date(2029, 2, 28)


def test_lifetime_and_free_have_no_end():
    assert periods.end_date(tier("lifetime"), date(2026, 1, 1)) is None
    assert periods.end_date(tier("free"), date(2026, 1, 1)) is None
    assert periods.extend(tier("lifetime"), None) is None


def test_a_trial_counts_its_first_day():
    assert periods.end_date(tier("free", guest=True, trial_days=30), date(2026, 3, 1)) == date(2026, 3, 30)
    assert periods.end_date(tier("free", guest=True, trial_days=1), date(2026, 3, 1)) == date(2026, 3, 1)
