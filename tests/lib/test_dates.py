"""Month arithmetic: a month is named by its first day."""

import datetime as dt

import pytest

from salesdesk.lib.dates import add_months, month_end, month_or_none, month_start, next_month


@pytest.mark.parametrize(
    ("day", "months", "first"),
    [
        (dt.date(2026, 1, 31), 0, dt.date(2026, 1, 1)),
        (dt.date(2026, 12, 15), 1, dt.date(2027, 1, 1)),
        (dt.date(2026, 1, 15), -1, dt.date(2025, 12, 1)),
        (dt.date(2026, 6, 30), -23, dt.date(2024, 7, 1)),
    ],
)
def test_it_moves_to_the_first_of_a_month(day, months, first):
    assert month_start(day, months) == first


def test_it_finds_the_next_month_and_the_last_day():
    assert next_month(dt.date(2026, 12, 31)) == dt.date(2027, 1, 1)
    assert month_end(dt.date(2028, 2, 3)) == dt.date(2028, 2, 29)
    assert month_end(dt.date(2026, 2, 1)) == dt.date(2026, 2, 28)


def test_it_keeps_the_day_or_takes_the_last_of_a_shorter_month():
    assert add_months(dt.date(2026, 3, 31), -1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 1, 15), -3) == dt.date(2025, 10, 15)
    assert add_months(dt.date(2028, 5, 31), -3) == dt.date(2028, 2, 29)


def test_it_reads_a_month_or_nothing():
    assert month_or_none("2026-12") == dt.date(2026, 12, 1)
    assert month_or_none("2026-13") is None
    assert month_or_none("9999-01") is None
    assert month_or_none(None) is None
