"""Finalising a month, and what later changes to it become (DOMAIN §7): adjustment lines
in the first open month, priced with the rules of their own month; the hold-back released
the month the project is 100% collected, forfeited when it is written off."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from salesdesk.compensation.models import MonthClose, Statement, StatementLine
from salesdesk.compensation.services import month_finalise
from salesdesk.compensation.statements import month_statements
from salesdesk.core.services import PermissionDenied
from tests.compensation.helpers import D, invoice, pay, project_of, reverse, row, statement, task

pytestmark = pytest.mark.django_db
FEB, MAR, APR = D(2026, 2, 1), D(2026, 3, 1), D(2026, 4, 1)


def finalise(month, who=None):
    return month_finalise(actor=who, month=month, today=month + dt.timedelta(days=40))


@pytest.fixture
def february(people):
    """sales1's project: I1 2000.00 due 2026-02-04, P1 1000.00 on 2026-02-10 (25.00 earned,
    7.50 held back); February finalised."""
    project = project_of(people.sales1, code="A1")
    invoice(project, "I1", D(2026, 1, 5), "2000.00", D(2026, 2, 4))
    pay(project, "P1", D(2026, 2, 10), "1000.00")
    finalise(FEB, people.finance)
    return project


def frozen(month):
    return [
        (s.salesperson_id, [row(x) for x in s.lines], s.totals)
        for s in month_statements(month).values()
    ]


def test_it_freezes_the_month_and_a_second_finalise_changes_nothing(people, february):
    stored = Statement.objects.get(month=FEB, salesperson=people.sales1)
    assert (stored.earned, stored.held_back, stored.payable) == (
        Decimal("25.00"), Decimal("7.50"), Decimal("17.50"),
    )  # fmt: skip
    assert statement(FEB, people.sales1).status == "finalised"
    again = finalise(FEB, people.finance)
    assert not again.created
    assert MonthClose.objects.count() == 1
    assert StatementLine.objects.count() == 1


def test_only_finance_finalises(people):
    with pytest.raises(PermissionDenied):
        finalise(FEB, people.sales1)
    with pytest.raises(PermissionDenied):
        finalise(FEB, people.manager1)


def test_a_month_is_finalised_only_once_it_has_ended_and_in_order(people, february):
    with pytest.raises(ValidationError, match="has not ended"):
        month_finalise(actor=people.finance, month=MAR, today=D(2026, 3, 31))
    with pytest.raises(ValidationError, match="Finalise 2026-03 first"):
        finalise(APR, people.finance)


def test_a_reversal_after_finalisation_is_a_negative_adjustment(people, february):
    before = frozen(FEB)
    reverse(february.__class__.objects.get(pk=february.pk).payment_set.get(), D(2026, 3, 10))

    assert frozen(FEB) == before
    (line,) = statement(MAR, people.sales1).lines
    assert row(line) == (
        "adjustment", "P1", "I1", 6, "-1000.00", "2.5", "-25.00", "-7.50", "0.00", "-17.50"
    )  # fmt: skip
    assert line.of_month == FEB


def test_a_back_dated_payment_is_priced_with_its_own_months_frozen_band(people):
    project = project_of(people.sales1)
    invoice(project, "I1", D(2026, 1, 5), "2000.00", D(2026, 2, 4))
    task(project, FEB, "2000.00")
    pay(project, "P1", D(2026, 2, 10), "1000.00")  # 50%: 1.0 point → 1.5%
    finalise(FEB, people.finance)
    pay(project, "P2", D(2026, 2, 20), "1000.00")  # back-dated: February's band stays 1.0

    (line,) = statement(MAR, people.sales1).lines
    assert row(line) == (
        "adjustment", "P2", "I1", 16, "1000.00", "1.5", "15.00", "4.50", "0.00", "10.50"
    )  # fmt: skip
    assert (line.band_points, line.completion, line.of_month) == (
        Decimal("1.0"), Decimal("0.5"), FEB,
    )  # fmt: skip
    # Once March is finalised the adjustment is recorded, and not repeated in April.
    finalise(MAR, people.finance)
    assert statement(APR, people.sales1).lines == []
    assert frozen(FEB)[0][2]["earned"] == Decimal("15.00")


def test_the_hold_back_is_released_the_month_the_project_is_fully_collected(people, february):
    finalise(MAR, people.finance)
    pay(february, "P2", D(2026, 4, 10), "1000.00")
    february.status, february.completed_on = "completed", D(2026, 4, 20)
    february.save()

    lines = statement(APR, people.sales1).lines
    assert [row(x) for x in lines] == [
        ("payment", "P2", "I1", 65, "1000.00", "2.5", "25.00", "7.50", "0.00", "17.50"),
        ("release", "", "", None, "0.00", "0.0", "0.00", "0.00", "15.00", "15.00"),
    ]
    # March was finalised with nothing for sales1: an empty statement, not a missing one.
    assert statement(MAR, people.sales1).lines == []
    assert statement(MAR, people.sales1).status == "finalised"


def test_a_written_off_project_forfeits_its_hold_back(people, february):
    february.status = "written_off"
    february.save()

    (line,) = statement(MAR, people.sales1).lines
    assert (line.kind, line.forfeited, line.payable) == ("forfeit", Decimal("7.50"), Decimal("0"))
    finalise(MAR, people.finance)
    assert statement(APR, people.sales1).lines == []


def test_an_adjustment_for_a_slice_never_recorded_goes_to_the_owner(people, february):
    other = project_of(people.sales2)
    invoice(other, "J1", D(2026, 1, 5), "1000.00", D(2026, 2, 4))
    pay(other, "Q1", D(2026, 2, 28), "400.00")  # posted after February was finalised

    (line,) = statement(MAR, people.sales2).lines
    assert (line.kind, line.collected, line.earned, line.of_month) == (
        "adjustment", Decimal("400.00"), Decimal("10.00"), FEB,
    )  # fmt: skip
