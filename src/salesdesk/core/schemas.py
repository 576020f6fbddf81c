"""Shapes shared by every app's API, and the input types every API edge checks with.

Text fields are as long as their column (`column`), dates lie within 1900-2200
(`DateIn`), money and other decimals are written as plain ASCII numbers (`MoneyIn`,
`DecimalIn`): each refused with 422 before any service runs."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Query, Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    StrictFloat,
    StrictInt,
    StrictStr,
    WithJsonSchema,
)

from salesdesk.lib.dates import DATE_MAX, DATE_MIN, date_in_range
from salesdesk.lib.money import plain_number_text

DATE_PATTERN = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
DECIMAL_PATTERN = r"^-?[0-9]{1,13}(\.[0-9]{1,2})?$"
QUANTITY_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,3})?$"
# A credit code is 18 characters once the spaces and dashes people type are removed.
CREDIT_CODE_TEXT = 40


def column(model, name: str, default: Any = ..., **kwargs) -> Any:
    """A schema field no longer than the model's column (a TextField has no limit)."""
    return Field(default, max_length=model._meta.get_field(name).max_length, **kwargs)


def query_column(model, name: str, default: Any = None, **kwargs) -> Any:
    """A query parameter no longer than the model's column."""
    return Query(default, max_length=model._meta.get_field(name).max_length, **kwargs)


def _plain(value):
    return plain_number_text(value) if isinstance(value, str) else value


DateIn = Annotated[
    dt.date,
    AfterValidator(date_in_range),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": DATE_PATTERN,
            "description": f"a date from {DATE_MIN} to {DATE_MAX}",
        }
    ),
]


def _number_text(pattern: str, places: int, example: str) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "anyOf": [{"type": "string", "pattern": pattern}, {"type": "number"}],
            "description": f"a decimal with at most {places} places, as a string of ASCII "
            "digits (no commas) or a number",
            "examples": [example],
        }
    )


# A JSON number arrives as a float; str() of a float is its shortest exact spelling, so
# "12.5" and 12.5 are the same amount. Amounts beyond 15 significant digits should be
# sent as strings. The services check the value (places, sign, size).
MoneyIn = Annotated[
    StrictStr | StrictInt | StrictFloat,
    AfterValidator(_plain),
    _number_text(DECIMAL_PATTERN, 2, "1234.50"),
]
QuantityIn = Annotated[
    StrictStr | StrictInt | StrictFloat,
    AfterValidator(_plain),
    _number_text(QUANTITY_PATTERN, 3, "12.500"),
]
# A decimal the schema itself reads (a credit limit, an opportunity's value).
DecimalIn = Annotated[
    Decimal,
    BeforeValidator(_plain),
    _number_text(DECIMAL_PATTERN, 2, "1234.50"),
]


class UserRef(Schema):
    username: str
    name: str


class MeOut(Schema):
    username: str
    name: str
    email: str
    roles: list[str]
    manager: str | None
    plant: str | None
    sees_company: bool


class PolicyValueOut(Schema):
    key: str
    value: str
    kind: str
    label: str


class PolicyOut(Schema):
    as_of: str
    values: list[PolicyValueOut]


class ErrorOut(Schema):
    detail: str


class TokenOut(Schema):
    id: int
    user: str
    name: str
    prefix: str
    created_at: str
    expires_at: str
    last_used_at: str | None
    revoked_at: str | None
    state: str
