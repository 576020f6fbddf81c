"""Visit periods: the month or the quarter a tier's visit frequency is counted over."""

import datetime as dt

from salesdesk.lib.dates import month_end, month_start

MONTH, QUARTER = "month", "quarter"


def period_bounds(day: dt.date, period: str) -> tuple[dt.date, dt.date]:
    """First and last day of the month or calendar quarter containing `day`."""
    if period == MONTH:
        return month_start(day), month_end(day)
    if period == QUARTER:
        first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return first, month_end(first.replace(month=first.month + 2))
    raise ValueError(f"unknown visit period {period!r}")
