"""Money arithmetic: Decimal only, rounded half-up to cents."""

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
