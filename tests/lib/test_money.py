"""The one money parser: plain ASCII decimals only."""

import re
from decimal import Decimal

import pytest

from salesdesk.lib.money import NotANumber, TooManyPlaces, parse_amount


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1234.50", Decimal("1234.50")),
        (" 4410 ", Decimal("4410")),
        ("3,500,000", Decimal("3500000")),
        ("4,410.00", Decimal("4410.00")),
        ("-12.5", Decimal("-12.5")),
        ("+7", Decimal("7")),
        ("0.1", Decimal("0.1")),
    ],
)
def test_it_reads_plain_decimals(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "1,2,3.00",  # commas that group nothing: not 123.00
        "12,34",
        ",123",
        "1,0000",
        "١٢٣",  # Arabic-Indic digits
        "۱۲۳",  # Extended Arabic-Indic digits
        "１２３",  # full-width: the workbook import folds these before parsing
        "1 000",
        "1e3",
        "NaN",
        "Infinity",
        "--1",
        "1.2.3",
        ".5",
        "5.",
        "",
        "0x10",
        "1_000",
    ],
)
def test_it_refuses_anything_else(text):
    with pytest.raises(NotANumber, match="is not a number"):
        parse_amount(text)


def test_it_counts_the_places():
    assert parse_amount("1.234", places=3) == Decimal("1.234")
    with pytest.raises(TooManyPlaces, match=re.escape("'12.345' has more than 2 decimal places")):
        parse_amount("12.345")
