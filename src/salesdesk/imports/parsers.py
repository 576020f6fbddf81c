"""Typed cell parsers. Each takes a non-blank normalised cell (text or a date) and returns
the typed value, or raises CellError with a message for the error line.

Blank cells never reach a parser: the runner treats them as "not stated".
Messages are English on purpose: the error lines are a public, machine-read format.
"""

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from salesdesk.core.models import User
from salesdesk.lib import uscc
from salesdesk.lib.dates import date_in_range
from salesdesk.lib.money import parse_amount

Parser = Callable[[object], object]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Excel's CSV export and Chinese habits both separate lists with these.
_LIST_SEPARATORS = re.compile(r"[,，、;；]")
YES = {"yes", "true", "1", "是"}
NO = {"no", "false", "0", "否"}


class CellError(ValueError):
    """A cell's value is not acceptable; the message goes into the error line."""


def _text_of(value) -> str:
    # A date cell where text is expected (Excel turns "2024-1" into a date): its ISO form.
    return value.isoformat() if isinstance(value, dt.date) else value


def text(max_length: int) -> Parser:
    def parse(value) -> str:
        value = _text_of(value)
        if len(value) > max_length:
            raise CellError(f"longer than {max_length} characters")
        return value

    return parse


def name(max_length: int) -> Parser:
    """Text with runs of whitespace folded to one space, as the services store names."""
    parse_text = text(max_length)

    def parse(value) -> str:
        return parse_text(" ".join(_text_of(value).split()))

    return parse


def code(max_length: int) -> Parser:
    """A code that appears in page addresses: no spaces, no slashes."""
    parse_text = text(max_length)

    def parse(value) -> str:
        value = parse_text(value)
        if re.search(r"[\s/]", value):
            raise CellError(f"'{value}' contains a space or a slash")
        return value

    return parse


def username(value) -> str:
    value = text(150)(value)
    try:
        User.username_validator(value)
    except ValidationError:
        raise CellError(
            f"'{value}' is not a valid username (letters, digits and @ . + - _ only)"
        ) from None
    return value


def email(value) -> str:
    value = text(254)(value)
    try:
        validate_email(value)
    except ValidationError:
        raise CellError(f"'{value}' is not an email address") from None
    return value


def credit_code(value) -> str:
    try:
        return uscc.validate(_text_of(value))
    except uscc.InvalidCreditCode as exc:
        raise CellError(f"'{value}' is not a valid unified social credit code: {exc}") from None


def date(value) -> dt.date:
    day = value if isinstance(value, dt.date) else _iso_date(value)
    try:
        return date_in_range(day)
    except ValueError as exc:
        raise CellError(str(exc)) from None


def _iso_date(value: str) -> dt.date:
    if _DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise CellError(f"'{value}' is not a date (YYYY-MM-DD)")


def integer(minimum: int, maximum: int) -> Parser:
    def parse(value) -> int:
        value = _text_of(value)
        if not re.fullmatch(r"[+-]?\d+", value):
            raise CellError(f"'{value}' is not a whole number")
        number = int(value)
        if not minimum <= number <= maximum:
            raise CellError(f"{number} is not between {minimum} and {maximum}")
        return number

    return parse


def decimal(places: int, *, digits: int = 18, minimum: Decimal | None = None) -> Parser:
    """A number with at most `places` decimals that fits a DecimalField(`digits`, `places`)."""
    limit = Decimal(10) ** (digits - places)

    def parse(value) -> Decimal:
        try:
            number = parse_amount(_text_of(value), places=places)
        except ValueError as exc:
            raise CellError(str(exc)) from None
        if abs(number) >= limit:
            raise CellError(f"{number} is too large")
        if minimum is not None and number < minimum:
            raise CellError(f"{number} is below {minimum}")
        return number

    return parse


amount = decimal(2)
quantity = decimal(3)


def yes_no(value) -> bool:
    folded = _text_of(value).lower()
    if folded in YES:
        return True
    if folded in NO:
        return False
    raise CellError(f"'{value}' is not yes or no (yes/no, true/false, 1/0, 是/否)")


def choice(values: Iterable[str]) -> Parser:
    """One of `values`, matched case-insensitively and returned as spelled in `values`."""
    values = list(values)
    by_folded = {value.lower(): value for value in values}

    def parse(value) -> str:
        found = by_folded.get(_text_of(value).lower())
        if found is None:
            raise CellError(f"'{value}' is not one of: {', '.join(values)}")
        return found

    return parse


def choice_list(values: Iterable[str]) -> Parser:
    """A comma-separated list of `values` (the Chinese comma works too), as a sorted tuple."""
    parse_one = choice(values)

    def parse(value) -> tuple[str, ...]:
        items = [item.strip() for item in _LIST_SEPARATORS.split(_text_of(value))]
        chosen = tuple(sorted({parse_one(item) for item in items if item}))
        if not chosen:
            raise CellError(f"'{value}' names none of: {', '.join(values)}")
        return chosen

    return parse
