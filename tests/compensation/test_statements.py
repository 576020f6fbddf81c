"""Commission statements of open months (DOMAIN §7), worked out by hand with the default
policy: base rate general 2.5, key 2.0, strategic 1.5; bands ≥100% 0, ≥80% 0.5, ≥50% 1.0,
else 1.5; legal 3 points; old debt > 181 days +0.5, > 365 days +1.0; 30% held back."""

from decimal import ROUND_DOWN, Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesdesk.collections.choices import TaskStatus
from salesdesk.compensation.statements import month_statements
from tests.compensation.helpers import (
    D,
    invoice,
    pay,
    project_of,
    row,
    statement,
    task,
    tier_change,
    to_legal,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_it_earns_on_collected_cash_with_the_tier_base_rate(people):
    project = project_of(people.sales1, code="A1")
    invoice(project, "I1", D(2026, 1, 5), "1000.00", D(2026, 2, 4))
    pay(project, "P1", D(2026, 2, 10), "1000.00")

    assert statement(D(2026, 1, 1), people.sales1).lines == []
    february = statement(D(2026, 2, 1), people.sales1)
    # 1000.00 × 2.5% = 25.00; 30% held back = 7.50; payable 17.50. 6 days past due.
    assert [row(line) for line in february.lines] == [
        ("payment", "P1", "I1", 6, "1000.00", "2.5", "25.00", "7.50", "0.00", "17.50")
    ]
    line = february.lines[0]
    assert (line.tier, line.base_rate, line.band_points, line.completion) == (
        "general", Decimal("2.5"), Decimal("0"), None,
    )  # fmt: skip
    assert february.band.task_count == 0  # no issued task: no band penalty


def test_it_uses_the_tier_in_force_on_the_payment_date(people):
    project = project_of(people.sales1, tier="strategic")
    tier_change(project, "general", D(2026, 1, 1))
    tier_change(project, "strategic", D(2026, 3, 1))
    invoice(project, "I1", D(2026, 1, 5), "2000.00", D(2026, 2, 4))
    pay(project, "P1", D(2026, 2, 28), "1000.00")  # general: 2.5% → 25.00
    pay(project, "P2", D(2026, 3, 1), "1000.00")  # strategic from that day: 1.5% → 15.00

    february = statement(D(2026, 2, 1), people.sales1).lines
    march = statement(D(2026, 3, 1), people.sales1).lines
    assert [(x.tier, str(x.earned)) for x in february] == [("general", "25.00")]
    assert [(x.tier, str(x.earned)) for x in march] == [("strategic", "15.00")]


def test_it_takes_the_earliest_recorded_tier_when_the_history_starts_later(people):
    project = project_of(people.sales1, tier="general")
    tier_change(project, "key", D(2026, 3, 1))  # imported later: key is the first record
    invoice(project, "I1", D(2026, 1, 5), "1000.00", D(2026, 2, 4))
    pay(project, "P1", D(2026, 2, 10), "1000.00")

    (line,) = statement(D(2026, 2, 1), people.sales1).lines
    assert (line.tier, line.rate, line.earned) == ("key", Decimal("2.0"), Decimal("20.00"))


def test_a_payment_settling_three_invoices_of_different_ages_gives_three_lines(people):
    project = project_of(people.sales1)
    invoice(project, "OLD", D(2025, 5, 1), "1000.00", D(2025, 5, 31))
    invoice(project, "MID", D(2025, 11, 1), "1000.00", D(2025, 12, 1))
    invoice(project, "NEW", D(2026, 6, 1), "1000.00", D(2026, 7, 1))
    pay(project, "P1", D(2026, 6, 30), "3000.00")

    lines = statement(D(2026, 6, 1), people.sales1).lines
    # On 2026-06-30: OLD is 365 + 30 = 395 days past due (> 365: +1.0 → 3.5%),
    # MID 182 + 29 = 211 (> 181: +0.5 → 3.0%), NEW not due (−1: 2.5%).
    assert [row(x) for x in lines] == [
        ("payment", "P1", "MID", 211, "1000.00", "3.0", "30.00", "9.00", "0.00", "21.00"),
        ("payment", "P1", "NEW", -1, "1000.00", "2.5", "25.00", "7.50", "0.00", "17.50"),
        ("payment", "P1", "OLD", 395, "1000.00", "3.5", "35.00", "10.50", "0.00", "24.50"),
    ]
    assert [x.bonus_points for x in lines] == [Decimal("0.5"), Decimal("0"), Decimal("1.0")]


def test_legal_penalty_and_old_debt_bonus_on_one_slice(people):
    project = project_of(people.sales1)
    invoice(project, "OLD", D(2025, 5, 1), "1000.00", D(2025, 5, 31))
    to_legal(project, D(2026, 5, 1))
    pay(project, "P1", D(2026, 6, 30), "1000.00")

    (line,) = statement(D(2026, 6, 1), people.sales1).lines
    # max(0, 2.5 − 3) + 1.0 = 1.0% of 1000.00 = 10.00
    assert (line.legal_points, line.bonus_points, line.rate, line.earned) == (
        Decimal("3"), Decimal("1.0"), Decimal("1.0"), Decimal("10.00"),
    )  # fmt: skip


def test_cash_before_the_legal_case_carries_no_legal_penalty(people):
    project = project_of(people.sales1)
    invoice(project, "I1", D(2026, 4, 1), "2000.00", D(2026, 5, 1))
    pay(project, "P1", D(2026, 5, 10), "1000.00")
    to_legal(project, D(2026, 5, 11))
    pay(project, "P2", D(2026, 5, 11), "1000.00")

    lines = statement(D(2026, 5, 1), people.sales1).lines
    assert [(x.payment, x.legal_points, x.rate) for x in lines] == [
        ("P1", Decimal("0"), Decimal("2.5")),
        ("P2", Decimal("3"), Decimal("0")),
    ]


@pytest.mark.parametrize(
    ("collected", "points", "rate", "earned"),
    [
        ("1000.00", "0", "2.5", "25.00"),  # exactly 100%
        ("999.99", "0.5", "2.0", "20.00"),  # just below 100%
        ("800.00", "0.5", "2.0", "16.00"),  # exactly 80%
        ("799.99", "1.0", "1.5", "12.00"),
        ("500.00", "1.0", "1.5", "7.50"),  # exactly 50%
        ("499.99", "1.5", "1.0", "5.00"),  # 4.9999 → 5.00
    ],
)
def test_the_band_comes_from_the_months_issued_tasks(people, collected, points, rate, earned):
    project = project_of(people.sales1)
    invoice(project, "I1", D(2026, 5, 1), "1000.00", D(2026, 5, 31))
    task(project, D(2026, 6, 1), "1000.00")
    pay(project, "P1", D(2026, 6, 10), collected)

    june = statement(D(2026, 6, 1), people.sales1)
    (line,) = june.lines
    assert (line.band_points, line.rate, line.earned) == (
        Decimal(points), Decimal(rate), Decimal(earned),
    )  # fmt: skip
    # Shown cut to 4 places: 999.99 / 1000 shows as 0.9999, not a rounded-up 1.0000.
    assert line.completion == (Decimal(collected) / 1000).quantize(Decimal("0.0001"), ROUND_DOWN)
    assert june.band.task_count == 1


def test_lapsed_drafts_do_not_count_for_the_band(people):
    project = project_of(people.sales1)
    invoice(project, "I1", D(2026, 5, 1), "1000.00", D(2026, 5, 31))
    task(project, D(2026, 6, 1), "1000.00", status=TaskStatus.LAPSED)
    pay(project, "P1", D(2026, 6, 10), "100.00")

    june = statement(D(2026, 6, 1), people.sales1)
    assert june.band.task_count == 0
    assert [(x.band_points, x.rate) for x in june.lines] == [(Decimal("0"), Decimal("2.5"))]


def test_the_band_counts_all_issued_tasks_of_the_salesperson(people):
    one, two = project_of(people.sales1), project_of(people.sales1)
    for project, number in ((one, "I1"), (two, "I2")):
        invoice(project, number, D(2026, 5, 1), "1000.00", D(2026, 5, 31))
        task(project, D(2026, 6, 1), "1000.00")
    pay(one, "P1", D(2026, 6, 10), "1000.00")
    pay(two, "P2", D(2026, 6, 10), "600.00")
    # 1600 / 2000 = 80%: 0.5 points on both lines.
    lines = statement(D(2026, 6, 1), people.sales1).lines
    assert [x.band_points for x in lines] == [Decimal("0.5"), Decimal("0.5")]
    assert {x.completion for x in lines} == {Decimal("0.8")}


def test_unapplied_credit_earns_when_a_later_invoice_absorbs_it(people):
    project = project_of(people.sales1)
    pay(project, "P1", D(2026, 1, 10), "500.00")
    invoice(project, "I1", D(2026, 3, 5), "1000.00", D(2026, 4, 4))
    pay(project, "P2", D(2026, 4, 10), "500.00")

    assert statement(D(2026, 1, 1), people.sales1).lines == []
    (march,) = statement(D(2026, 3, 1), people.sales1).lines
    (april,) = statement(D(2026, 4, 1), people.sales1).lines
    assert (march.payment, march.invoice, march.date, march.days_past_due) == (
        "P1", "I1", D(2026, 3, 5), -30,
    )  # fmt: skip
    assert (march.earned, april.payment, april.earned) == (
        Decimal("12.50"), "P2", Decimal("12.50"),
    )  # fmt: skip


def test_money_is_rounded_half_up_per_line(people):
    project = project_of(people.sales1)
    invoice(project, "I1", D(2026, 1, 5), "1000.00", D(2026, 2, 4))
    pay(project, "P1", D(2026, 2, 10), "333.33")
    (line,) = statement(D(2026, 2, 1), people.sales1).lines
    # 333.33 × 2.5% = 8.33325 → 8.33; 30% = 2.499 → 2.50; payable 5.83
    assert (line.earned, line.held_back, line.payable) == (
        Decimal("8.33"), Decimal("2.50"), Decimal("5.83"),
    )  # fmt: skip


def test_the_owner_earns_and_others_see_empty_statements(people):
    project = project_of(people.sales2)
    invoice(project, "I1", D(2026, 1, 5), "1000.00", D(2026, 2, 4))
    pay(project, "P1", D(2026, 2, 10), "1000.00")
    statements = month_statements(D(2026, 2, 1))
    assert len(statements[people.sales2.pk].lines) == 1
    assert statements[people.sales1.pk].lines == []


def _queries_for_month(start: int, count: int) -> int:
    for n in range(start, start + count):
        person = UserFactory(username=f"seller{n}")
        project = project_of(person)
        invoice(project, f"Q{n}", D(2026, 1, 5), "1000.00", D(2026, 2, 4))
        pay(project, f"QP{n}", D(2026, 2, 10), "500.00")
        task(project, D(2026, 2, 1), "1000.00")
    with CaptureQueriesContext(connection) as queries:
        statements = month_statements(D(2026, 2, 1))
    assert sum(len(s.lines) for s in statements.values()) == start + count
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_salespeople(db):
    few = _queries_for_month(0, 2)
    assert _queries_for_month(2, 8) == few
    assert few <= 12
