"""Dates people may type: every date the system accepts lies between 1900 and 2200.

Beyond those bounds a date is a typo (0001-01-01, 9999-12-31) that breaks date arithmetic
and hides records from every view; each edge (forms, API schemas, query strings, CLI,
import) refuses it with this message before anything is computed or written.
"""

import datetime as dt

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
