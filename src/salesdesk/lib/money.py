"""Money arithmetic: Decimal only, rounded half-up to cents."""

import re
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_cents(value: Decimal | int | str) -> Decimal:
    """Round to 0.01, half up (the rounding finance departments expect)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# Plain ASCII decimals only: an optional sign, digits (optionally grouped by thousands
# with commas: "3,500,000"), an optional dot and decimals. Python's Decimal() would also
# take Arabic-Indic or full-width digits, exponents, "NaN" and ungrouped commas
# ("1,2,3.00" read as 123.00): each is a typo or a trick, never an amount someone meant.
_AMOUNT = re.compile(r"[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?", re.ASCII)


class NotANumber(ValueError):
    """The text is not a plain decimal."""


class TooManyPlaces(ValueError):
    """The text is a decimal with more places than allowed."""


def parse_amount(text: str, *, places: int = 2) -> Decimal:
    """Parse a decimal written by a person: ASCII digits, an optional sign, commas only
    between groups of three digits, one dot and at most `places` places.

    Text from a workbook is folded to ASCII (NFKC) before it gets here. Raises
    NotANumber or TooManyPlaces with a message fit to show the user.
    """
    cleaned = text.strip()
    if not _AMOUNT.fullmatch(cleaned):
        raise NotANumber(f"{text!r} is not a number")
    value = Decimal(cleaned.replace(",", ""))
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        raise TooManyPlaces(f"{text!r} has more than {places} decimal places")
    return value


def format_money(value: Decimal) -> str:
    """Money as a string with exactly two decimals, the form every report uses."""
    return str(to_cents(value))


PLAIN_NUMBER_TEXT = re.compile(r"[0-9A-Za-z.+-]+", re.ASCII)


def plain_number_text(text: str) -> str:
    """`text` when it is written the plain way, ASCII only with no grouping ("1234.50");
    ValueError otherwise.

    Python's Decimal reads "١٢٣" (Arabic-Indic digits), "１２３" (full width) and "1_000" as
    numbers, and stripping commas reads "1,2,3.00" as 123.00: an amount typed that way is
    more likely a mistake than meant. Letters pass, so that "abc" and "1e13" reach the
    number check and are refused there with its message."""
    if not PLAIN_NUMBER_TEXT.fullmatch(text):
        raise ValueError(
            f"{text!r} is not a plain decimal number: write ASCII digits and a point, "
            "without commas or spaces (1234.50)"
        )
    return text
