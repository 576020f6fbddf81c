"""Money arithmetic: Decimal only, rounded half-up to cents."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_cents(value: Decimal | int | str) -> Decimal:
    """Round to 0.01, half up (the rounding finance departments expect)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(text: str, *, places: int = 2) -> Decimal:
    """Parse a decimal written by a person: commas and spaces allowed, at most `places` places.

    Raises ValueError with a message fit to show the user.
    """
    cleaned = text.strip().replace(",", "").replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not a number") from exc
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a number")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        raise ValueError(f"{text!r} has more than {places} decimal places")
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
