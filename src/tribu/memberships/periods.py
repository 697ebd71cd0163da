"""Period arithmetic, pure (no database): when a membership started on a date ends, and where one
more period takes it. ``ends_on`` is the last day the membership covers (inclusive); ``None``: no end.

- monthly: the same day next month, clamped to the month's end (31 January → 28/29 February);
- yearly: one year later minus a day (2026-03-15 → 2027-03-14; 29 February → 28 February next year);
- fixed calendar year starting in month M: the end of the running such year (September–August,
  started 2026-11-23 → 2027-08-31; January–December → 31 December of that year);
- lifetime, free: no end;
- a guest tier's trial: ``trial_days`` days including the first (30 days from 1 March → 30 March).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

MONTHLY, YEARLY, CALENDAR_YEAR, LIFETIME, FREE = "monthly", "yearly", "calendar_year", "lifetime", "free"


def add_months(day: date, months: int, *, anchor_day: int | None = None) -> date:
    """``day`` moved by ``months``, on ``anchor_day`` (default: its own day), clamped to the month's end."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(anchor_day or day.day, last))


def add_years(day: date, years: int) -> date:
    """29 February moves to 1 March in a common year, so "a year minus a day" ends on 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def calendar_year_end(day: date, start_month: int) -> date:
    """Last day of the calendar year (starting in ``start_month``) that contains ``day``."""
    first_year = day.year if day.month >= start_month else day.year - 1
    return date(first_year + 1, start_month, 1) - timedelta(days=1)


def end_of_period(period: str, start: date, *, start_month: int = 1) -> date | None:
    if period == MONTHLY:
        return add_months(start, 1)
    if period == YEARLY:
        return add_years(start, 1) - timedelta(days=1)
    if period == CALENDAR_YEAR:
        return calendar_year_end(start, start_month)
    if period in (LIFETIME, FREE):
        return None
    raise ValueError(f"Unknown period {period!r}")


def trial_end(start: date, trial_days: int) -> date:
    return start + timedelta(days=max(1, trial_days) - 1)


def end_date(tier: Any, start: date, *, trial: bool | None = None) -> date | None:
    """When a membership of ``tier`` started on ``start`` ends (a guest tier's trial when it has a length)."""
    if trial is None:
        trial = bool(tier.is_guest and tier.trial_days)
    if trial and tier.trial_days:
        return trial_end(start, tier.trial_days)
    return end_of_period(tier.period, start, start_month=tier.calendar_start_month)


def extend(tier: Any, ends_on: date | None, *, starts_on: date | None = None, today: date | None = None) -> date | None:
    """The end after one more period, following on from ``ends_on`` (from ``today`` when there was none).
    A monthly membership keeps the day it started on (31 January → 28 February → 31 March)."""
    if tier.period in (LIFETIME, FREE):
        return None
    if ends_on is None:
        return end_of_period(tier.period, today or date.today(), start_month=tier.calendar_start_month)
    if tier.period == MONTHLY:
        return add_months(ends_on, 1, anchor_day=starts_on.day if starts_on else None)
    return end_of_period(tier.period, ends_on + timedelta(days=1), start_month=tier.calendar_start_month)
