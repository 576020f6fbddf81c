"""What people type, checked at the edge with a message in their language: amounts and
dates. Forms, query strings and services all come here, so each rule is stated once
(`salesdesk.lib.money.parse_amount`, `salesdesk.lib.dates.date_in_range`)."""

import argparse
import datetime as dt
from decimal import Decimal

from django.core.exceptions import BadRequest, ValidationError
from django.utils.translation import gettext as _

from salesdesk.lib.dates import DATE_MAX, DATE_MIN, date_in_range, parse_month
from salesdesk.lib.money import TooManyPlaces, parse_amount


def decimal_of(value, field: str, *, places: int = 2) -> Decimal:
    """`value` (text, int, float or Decimal) as a Decimal with at most `places` places;
    ValidationError naming `field` for anything but a plain ASCII decimal."""
    try:
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise ValueError(value)
            amount = value
            exponent = amount.as_tuple().exponent
            if isinstance(exponent, int) and exponent < -places:
                raise TooManyPlaces(value)
        else:
            amount = parse_amount(str(value), places=places)
    except TooManyPlaces:
        raise ValidationError(
            {
                field: _("%(value)s has more than %(places)d decimal places.")
                % {"value": value, "places": places}
            }
        ) from None
    except ValueError:
        raise ValidationError(
            {field: _("%(value)s is not a number.") % {"value": _shown(value)}}
        ) from None
    return amount


def _shown(value) -> str:
    # A message quotes what was typed, not a page of it.
    text = str(value)
    return text if len(text) <= 40 else text[:40] + "…"


def date_range_message() -> str:
    return _("Enter a date between %(min)s and %(max)s.") % {
        "min": DATE_MIN.isoformat(),
        "max": DATE_MAX.isoformat(),
    }


def date_checked(day: dt.date | None) -> dt.date | None:
    """`day` itself (or None), or ValidationError when it lies outside 1900-2200."""
    if day is not None:
        try:
            date_in_range(day)
        except ValueError:
            raise ValidationError(date_range_message(), code="date_range") from None
    return day


def query_date(params, name: str) -> dt.date | None:
    """The date `name` of a query string: None when absent or not a date at all (the page
    then uses its default), BadRequest (a 400 page) when it is a date outside 1900-2200."""
    try:
        day = dt.date.fromisoformat(params.get(name, ""))
    except (ValueError, TypeError):
        return None
    try:
        return date_checked(day)
    except ValidationError:
        raise BadRequest(f"{name}: {date_range_message()}") from None


# Command-line options: argparse names the option in front of these messages
# ("argument --as-of: 9999-12-31 is outside 1900-01-01 to 2200-12-31").


def date_arg(text: str) -> dt.date:
    """The type of a YYYY-MM-DD option: a date between 1900 and 2200."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None
    try:
        return date_in_range(day)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def month_arg(text: str) -> str:
    """The type of a YYYY-MM option: a month between 1900-01 and 2200-12, as written."""
    try:
        parse_month(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text
