"""Dates people may type: every date the system accepts lies between 1900 and 2200.

Beyond those bounds a date is a typo (0001-01-01, 9999-12-31) that breaks date arithmetic
and hides records from every view; each edge (forms, API schemas, query strings, CLI,
import) refuses it with this message before anything is computed or written.
"""

import datetime as dt
from collections.abc import Iterator

DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2200, 12, 31)


def date_in_range(day: dt.date) -> dt.date:
    """`day` itself, or ValueError naming the accepted range."""
    if not DATE_MIN <= day <= DATE_MAX:
        raise ValueError(
            f"{day.isoformat()} is outside {DATE_MIN.isoformat()} to {DATE_MAX.isoformat()}"
        )
    return day


def parse_month(text: str) -> dt.date:
    """'2026-12' -> 2026-12-01; ValueError for anything else, or a month outside the range."""
    try:
        first = dt.date.fromisoformat(f"{text.strip()}-01")
    except (AttributeError, ValueError):
        raise ValueError(f"{text!r} is not a month (YYYY-MM)") from None
    return date_in_range(first)


def month_or_none(text: str | None) -> dt.date | None:
    """'2026-12' -> 2026-12-01; None for anything else, a month outside 1900-2200 too."""
    try:
        return parse_month(text or "")
    except ValueError:
        return None


# Month arithmetic: a month is named by its first day.


def month_start(day: dt.date, months: int = 0) -> dt.date:
    """The first day of the month `months` after the month of `day` (before it when
    negative)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after the month of `day`."""
    return month_start(day, 1)


def month_end(day: dt.date) -> dt.date:
    """The last day of the month of `day`."""
    return next_month(day) - dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (earlier when negative), on the month's last day when
    that month is shorter: 2026-03-31 minus one month is 2026-02-28."""
    first = month_start(day, months)
    return first.replace(day=min(day.day, month_end(first).day))


def months_between(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """The first day of each month from the month of `first` to `last`."""
    month = month_start(first)
    while month <= last:
        yield month
        month = month_start(month, 1)


# Working days: Monday to Friday.


def working_day(day: dt.date) -> dt.date:
    """`day`, or the Monday after it when it falls on a weekend."""
    return day + dt.timedelta(days=max(0, 7 - day.weekday())) if day.weekday() >= 5 else day


def workday_back(day: dt.date) -> dt.date:
    """`day`, or the Friday before it when it falls on a weekend."""
    return day - dt.timedelta(days=max(0, day.weekday() - 4))


def working_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """The weekdays from `first` to `last`, both included."""
    days, day = [], first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days
