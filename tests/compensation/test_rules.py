"""The rules of DOMAIN §7 on plain values, at every boundary."""

import datetime as dt
from decimal import Decimal

import pytest

from salesdesk.compensation import rules
from salesdesk.core.policy import Policy

POLICY = Policy(dt.date(2026, 1, 1), {})
D = Decimal


@pytest.mark.parametrize(
    ("days", "points"),
    [(-5, "0"), (181, "0"), (182, "0.5"), (365, "0.5"), (366, "1.0"), (1000, "1.0")],
)
def test_the_old_debt_bonus_starts_after_each_bound(days, points):
    assert rules.bonus_points(POLICY, days) == D(points)


@pytest.mark.parametrize(
    ("collected", "points"),
    [("100", "0"), ("120", "0"), ("99.99", "0.5"), ("80", "0.5"), ("79.99", "1.0"),
     ("50", "1.0"), ("49.99", "1.5"), ("0", "1.5")],
)  # fmt: skip
def test_the_band_points_at_each_threshold(collected, points):
    assert rules.band_points(POLICY, 1, D(collected), D(100)) == D(points)


def test_no_issued_task_means_no_band_penalty():
    assert rules.band_points(POLICY, 0, D(0), D(0)) == 0


def test_the_rate_never_goes_below_zero_before_the_bonus():
    assert rules.rate(D("2.5"), D("1.5"), D("3"), D("1.0")) == D("1.0")
    assert rules.rate(D("2.5"), D("0.5"), D("0"), D("0.5")) == D("2.5")


def test_a_negative_line_gives_back_no_more_than_is_held():
    assert rules.held_back(POLICY, D("-10.00"), D("100.00")) == D("-3.00")
    assert rules.held_back(POLICY, D("-10.00"), D("1.00")) == D("-1.00")
    assert rules.held_back(POLICY, D("10.00"), D("0")) == D("3.00")


def test_the_advance_cap_is_one_percent_of_the_cash_applied():
    assert rules.advance_cap(POLICY, D("100000.00"), D("100000.00")) == D("1000.00")
    assert rules.advance_cap(POLICY, D("100000.00"), D("50000.00")) == D("500.00")
    assert rules.advance_cap(POLICY, D("0"), D("0")) == D("0.00")
