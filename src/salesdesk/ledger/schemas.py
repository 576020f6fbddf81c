"""Request and response shapes of the ledger API.

Money comes in as a string of plain ASCII digits or a JSON number (core.schemas.MoneyIn)
and is checked by the services (at most two decimal places, quantities three), so the
API, the UI and the importer refuse the same values with the same message. Money goes out as a string with exactly two decimals.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema

from salesdesk.core.models import Plant, User
from salesdesk.core.pagination import page_schema
from salesdesk.core.schemas import DateIn, MoneyIn, QuantityIn, column
from salesdesk.customers.models import Project
from salesdesk.ledger.models import (
    Delivery,
    Expense,
    Invoice,
    Payment,
    PaymentReversal,
    PriceApproval,
    Product,
)

Money = Annotated[
    Decimal,
    PlainSerializer(lambda value: f"{value:.2f}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["1234.50"]}),
]
MaybeMoney = Annotated[
    Decimal | None,
    PlainSerializer(lambda value: None if value is None else f"{value:.2f}", return_type=str),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": r"^-?\d+\.\d{2}$"}, {"type": "null"}]}),
]
Quantity = Annotated[
    Decimal,
    PlainSerializer(lambda value: f"{value:.3f}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d+\.\d{3}$", "examples": ["12.500"]}),
]


def _username(user) -> str | None:
    return user.username if user is not None else None


# Posted records ----------------------------------------------------------------------


class ReversalOut(Schema):
    date: dt.date
    reason: str
    reversed_by: str | None = None
    created_at: dt.datetime

    @staticmethod
    def resolve_reversed_by(obj):
        return _username(obj.reversed_by)


class PostedOut(Schema):
    project: str = Field(..., alias="project.code")
    customer: str = Field(..., alias="project.customer.code")
    date: dt.date
    posted_by: str | None = None
    posted_at: dt.datetime
    reversal: ReversalOut | None = Field(None, description="null while the record stands")

    @staticmethod
    def resolve_posted_by(obj):
        return _username(obj.posted_by)

    @staticmethod
    def resolve_reversal(obj):
        # A missing reverse one-to-one raises RelatedObjectDoesNotExist, an AttributeError.
        return getattr(obj, "reversal", None)


class PriceApprovalOut(Schema):
    approved_by: str = Field(..., alias="approved_by.username")
    reason: str
    at: dt.datetime


class DeliveryOut(PostedOut):
    ticket: str
    plant: str = Field(..., alias="plant.code")
    product: str = Field(..., alias="product.code", description="catalogue product code")
    product_name: str = Field(..., alias="product.name")
    quantity: Quantity
    unit: str
    unit_price: Money
    amount: Money
    floor_price: MaybeMoney = Field(
        None, description="the floor in force when posted; set only when the price was below it"
    )
    price_approval: PriceApprovalOut | None = None

    @staticmethod
    def resolve_price_approval(obj):
        return getattr(obj, "price_approval", None)


class InvoiceOut(PostedOut):
    number: str
    due_date: dt.date
    amount: Money


class PaymentOut(PostedOut):
    reference: str
    amount: Money
    method: str


class ExpenseOut(Schema):
    reference: str
    salesperson: str = Field(..., alias="salesperson.username")
    project: str | None = None
    date: dt.date
    amount: Money
    category: str
    posted_by: str | None = None
    reversal: ReversalOut | None = Field(None, description="null while the record stands")

    @staticmethod
    def resolve_reversal(obj):
        return getattr(obj, "reversal", None)

    @staticmethod
    def resolve_project(obj):
        return obj.project.code if obj.project_id else None

    @staticmethod
    def resolve_posted_by(obj):
        return _username(obj.posted_by)


DeliveryPage = page_schema(DeliveryOut)
InvoicePage = page_schema(InvoiceOut)
PaymentPage = page_schema(PaymentOut)


class DeliveryIn(Schema):
    ticket: str = column(Delivery, "ticket")
    project: str = column(Project, "code", description="project code")
    date: DateIn  # and between the company's start and today: the service checks
    product: str = column(Product, "code", description="catalogue product code")
    quantity: QuantityIn
    unit: str = column(Delivery, "unit", "m3")
    unit_price: MoneyIn
    plant: str | None = column(
        Plant, "code", None, description="plant code; default: the project's plant"
    )
    approval_reason: str | None = column(
        PriceApproval,
        "reason",
        None,
        description="a manager posting below the floor price approves it at once with this reason",
    )


class InvoiceIn(Schema):
    number: str = column(Invoice, "number")
    project: str = column(Project, "code", description="project code")
    date: DateIn
    due_date: DateIn | None = Field(None, description="default: date + the project's terms")
    amount: MoneyIn


class PaymentIn(Schema):
    reference: str = column(Payment, "reference")
    project: str = column(Project, "code", description="project code")
    date: DateIn
    amount: MoneyIn
    method: str = column(
        Payment, "method", "bank", description="bank or bill (offsets come from /asset-offsets)"
    )


class ExpenseIn(Schema):
    reference: str = column(Expense, "reference")
    salesperson: str = column(User, "username", description="username")
    project: str | None = column(Project, "code", None, description="project code")
    date: DateIn
    amount: MoneyIn
    category: str = column(Expense, "category", "")


class ReversalIn(Schema):
    date: DateIn
    reason: str = column(PaymentReversal, "reason")


# Balances, the gate ------------------------------------------------------------------


class InvoiceBalanceOut(Schema):
    number: str
    date: dt.date
    due_date: dt.date
    amount: Money
    settled: Money
    unsettled: Money
    days_past_due: int = Field(..., description="as_of − due date; 0 or less is not yet due")


class ProjectBalanceOut(Schema):
    project: str
    customer: str
    as_of: dt.date
    billed: Money
    paid: Money
    outstanding: Money
    overdue: Money
    credit: Money = Field(..., description="payments not yet applied to any invoice")
    collection_ratio: str | None = Field(
        ...,
        description="(billed − outstanding) / billed, 4 decimals rounded down; null when nothing is billed",
    )
    buckets: dict[str, Money]
    invoices: list[InvoiceBalanceOut] = Field(..., description="in allocation order")


class GateReasonOut(Schema):
    code: str = Field(..., description="blacklisted, hold, legal, written_off or credit_limit")
    message: str


class GateOut(Schema):
    allowed: bool
    verdict: str = Field(..., description='"allowed" or "blocked: <reasons>"')
    reasons: list[GateReasonOut]
    customer: str
    project: str | None
    as_of: dt.date


class AgingRowOut(BaseModel):
    """One project with anything outstanding or credit; further fields may be added."""

    model_config = ConfigDict(extra="allow")

    customer: str
    project: str
    outstanding: str
    buckets: dict[str, str]
    credit: str


class AgingOut(BaseModel):
    """The report envelope of FORMATS.md, exactly as `salesdesk report aging` prints it."""

    model_config = ConfigDict(extra="allow")

    report: str
    as_of: str
    generated_at: str
    rows: list[AgingRowOut]
    totals: dict[str, Any]


# Floor prices ------------------------------------------------------------------------


class FloorPriceOut(Schema):
    id: int
    product: str = Field(..., alias="product.code", description="catalogue product code")
    plant: str | None = None
    price: Money
    effective_from: dt.date
    set_by: str | None = None

    @staticmethod
    def resolve_plant(obj):
        return obj.plant.code if obj.plant_id else None

    @staticmethod
    def resolve_set_by(obj):
        return _username(obj.set_by)


FloorPricePage = page_schema(FloorPriceOut)


class FloorPriceIn(Schema):
    product: str = column(Product, "code", description="catalogue product code")
    plant: str | None = column(Plant, "code", None, description="plant code; none: company-wide")
    price: MoneyIn
    effective_from: DateIn


class PriceApprovalIn(Schema):
    reason: str = column(PriceApproval, "reason")


# Asset offsets -----------------------------------------------------------------------


class OffsetStepOut(Schema):
    step: str
    actor: str = Field(..., alias="actor.username")
    value: MaybeMoney = None
    note: str
    at: dt.datetime


class AssetOffsetOut(Schema):
    id: int
    project: str = Field(..., alias="project.code")
    items: str
    claimed_value: Money
    appraised_value: MaybeMoney = None
    status: str
    payment: str | None = Field(None, description="reference of the offset payment once posted")
    created_at: dt.datetime
    steps: list[OffsetStepOut] = Field(..., description="the timeline, oldest first")

    @staticmethod
    def resolve_payment(obj):
        return obj.payment.reference if obj.payment_id else None


class AssetOffsetIn(Schema):
    items: str
    claimed_value: MoneyIn


class AppraiseIn(Schema):
    appraised_value: MoneyIn
    note: str = ""


class AcceptIn(Schema):
    date: DateIn
    note: str = ""


class RejectIn(Schema):
    reason: str = Field(..., max_length=200)


# The product catalogue ---------------------------------------------------------------


class ProductOut(Schema):
    code: str
    name: str
    unit: str
    grade: str


ProductPage = page_schema(ProductOut)


class ProductIn(Schema):
    code: str = Field(..., max_length=30, description="no spaces, no slashes")
    name: str = Field(..., max_length=100)
    unit: str = Field("m3", max_length=20)
    grade: str = Field("", max_length=20)


class ProductPatch(Schema):
    name: str | None = Field(None, max_length=100)
    unit: str | None = Field(None, max_length=20)
    grade: str | None = Field(None, max_length=20)


class DeliveryOverrideIn(Schema):
    reason: str = Field(..., max_length=2000)


class DeliveryOverrideOut(Schema):
    id: int
    project: str = Field(..., alias="project.code")
    granted_by: str = Field(..., alias="granted_by.username")
    reason: str
    granted_at: dt.datetime
    delivery: str | None = None

    @staticmethod
    def resolve_delivery(obj):
        return obj.delivery.ticket if obj.delivery_id else None
