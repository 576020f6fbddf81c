"""Visit periods: the month or the quarter a tier's visit frequency is counted over."""

import datetime as dt

from salesdesk.lib import dates

MONTH, QUARTER = "month", "quarter"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_end(day: dt.date) -> dt.date:
    return next_month(day) - dt.timedelta(days=1)


def period_bounds(day: dt.date, period: str) -> tuple[dt.date, dt.date]:
    """First and last day of the month or calendar quarter containing `day`."""
    if period == MONTH:
        return month_start(day), month_end(day)
    if period == QUARTER:
        first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return first, month_end(first.replace(month=first.month + 2))
    raise ValueError(f"unknown visit period {period!r}")


def parse_month(text: str | None) -> dt.date | None:
    """'2026-12' -> 2026-12-01; None for anything else, a month outside 1900-2200 too."""
    try:
        return dates.parse_month(text or "")
    except ValueError:
        return None
