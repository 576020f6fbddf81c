"""Request and response shapes of the compensation API. Money goes out as a string with
two decimals; points and rates as plain decimal strings; months as YYYY-MM."""

import datetime as dt

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict

from salesdesk.compensation.models import Advance
from salesdesk.core.pagination import page_schema
from salesdesk.core.schemas import MoneyIn, column
from salesdesk.ledger.schemas import Money


class StatementTotalsOut(Schema):
    collected: Money
    earned: Money
    held_back: Money
    released: Money
    forfeited: Money
    payable: Money


class StatementOut(Schema):
    id: str = Field(..., description="YYYY-MM-sp<salesperson id>: the same before and after")
    month: str
    salesperson: str
    status: str = Field(..., description="open or finalised")
    finalised_at: dt.datetime | None = None
    task_count: int = Field(..., description="issued tasks of the month (the band's source)")
    task_target: Money
    task_collected: Money
    completion: str | None = Field(None, description="null: no issued task, no band penalty")
    band_points: str
    band_note: str
    totals: StatementTotalsOut


class StatementLineOut(BaseModel):
    """A statement line with every input of its rate (FORMATS.md commissions row)."""

    model_config = ConfigDict(extra="allow")
    kind: str
    salesperson: str
    project: str
    payment: str | None
    payment_date: str | None
    invoice: str | None
    days_past_due: int | None
    tier: str | None
    collected: str
    base_rate: str
    penalty_points: str
    bonus_points: str
    rate: str
    earned: str
    held_back: str
    released: str
    payable: str


class HeldBackOut(Schema):
    project: str
    held_back: Money


class AdvanceOut(Schema):
    id: int
    salesperson: str = Field(..., alias="salesperson.username")
    project: str = Field(..., alias="project.code")
    amount: Money
    purpose: str
    status: str
    asked_on: dt.date
    cap: Money
    billed: Money
    collected: Money
    decided_by: str | None = None
    decided_on: dt.date | None = None
    reason: str
    paid_on: dt.date | None = None
    written_off_on: dt.date | None = None

    @staticmethod
    def resolve_decided_by(obj):
        return obj.decided_by.username if obj.decided_by_id else None


class StatementDetailOut(StatementOut):
    lines: list[StatementLineOut]
    held_back_by_project: list[HeldBackOut]
    open_advances: list[AdvanceOut]


class MonthFinaliseIn(Schema):
    month: str = Field(..., max_length=7, description="YYYY-MM")


class MonthFinaliseOut(Schema):
    month: str
    created: bool = Field(..., description="false: the month was finalised already")
    statements: int
    finalised_at: dt.datetime


class AdvanceIn(Schema):
    project: str = Field(..., max_length=30, description="project code")
    amount: MoneyIn
    purpose: str = column(Advance, "purpose")


class AdvanceRejectIn(Schema):
    reason: str = column(Advance, "reason", "")


AdvancePage = page_schema(AdvanceOut)
