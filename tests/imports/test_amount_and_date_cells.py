"""Amount and date cells: amounts are plain decimals once folded (full-width digits and thousands
separators are read, "1,2,3.00" and Arabic-Indic digits are refused); dates lie in 1900-2200."""

from decimal import Decimal

import pytest

from salesdesk.ledger.models import Invoice
from tests.imports.builders import base_sheets, run_import


@pytest.mark.parametrize("amount", ["1,2,3.00", "١٢٣"])
def test_the_workbook_refuses_an_amount_that_is_not_a_plain_decimal(db, workbook, amount):
    sheets = base_sheets()
    sheets["invoices"][1][4] = amount

    outcome = run_import(workbook(sheets))

    assert outcome.code == 2
    assert f"sheet invoices row 2 column amount: '{amount}' is not a number" in outcome.err_lines
    assert not Invoice.objects.exists()


def test_the_workbook_still_folds_full_width_digits(db, workbook):
    sheets = base_sheets()
    sheets["invoices"][1][4] = "４，４１０．００"

    outcome = run_import(workbook(sheets))

    assert outcome.code == 0, outcome.err
    assert Invoice.objects.get(number="INV-1").amount == Decimal("4410.00")


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_the_workbook_refuses_a_date_outside_1900_to_2200(db, workbook, day):
    sheets = base_sheets()
    sheets["invoices"][1][2] = day

    outcome = run_import(workbook(sheets))

    assert outcome.code == 2
    assert (
        f"sheet invoices row 2 column date: {day} is outside 1900-01-01 to 2200-12-31"
        in outcome.err_lines
    )
    assert not Invoice.objects.exists()
