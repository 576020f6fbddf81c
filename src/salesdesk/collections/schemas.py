"""Request and response shapes of the collections API.

Money goes out as a string with exactly two decimals, a ratio as a string with four,
months as `YYYY-MM`, dates ISO. The report endpoints answer the FORMATS.md envelopes
unchanged: their rows declare the published fields and let any further ones through.
"""

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict

from salesdesk.collections.reports import ratio
from salesdesk.core.pagination import page_schema
from salesdesk.core.schemas import DateIn
from salesdesk.ledger.schemas import MaybeMoney, Money


def _username(user) -> str | None:
    return user.username if user is not None else None


# Collection tasks --------------------------------------------------------------------


class TaskOut(Schema):
    id: int
    month: str = Field(..., description="YYYY-MM")
    project: str = Field(..., alias="project.code")
    customer: str = Field(..., alias="project.customer.code")
    salesperson: str = Field(..., alias="salesperson.username")
    target: Money
    status: str = Field(..., description="draft, issued (both sign-offs) or assessed")
    drafted_on: dt.date
    marketing_signed_by: str | None = None
    marketing_signed_at: dt.datetime | None = None
    finance_signed_by: str | None = None
    finance_signed_at: dt.datetime | None = None
    collected: MaybeMoney = Field(
        None, description="payments dated in the month; null until the month is assessed"
    )
    completion: str | None = Field(
        None, description="collected / target, 4 decimals half up; null until assessed"
    )
    assessed_on: dt.date | None = None

    @staticmethod
    def resolve_month(obj):
        return f"{obj.month:%Y-%m}"

    @staticmethod
    def resolve_marketing_signed_by(obj):
        return _username(obj.marketing_signed_by)

    @staticmethod
    def resolve_finance_signed_by(obj):
        return _username(obj.finance_signed_by)

    @staticmethod
    def resolve_completion(obj):
        return None if obj.collected is None else ratio(obj.collected, obj.target)


TaskPage = page_schema(TaskOut)


class SignIn(Schema):
    month: str = Field(..., max_length=7, description="YYYY-MM", examples=["2026-04"])
    as_role: Literal["marketing", "finance"]
    ids: list[int] | None = Field(
        None, description="task ids; default: every draft of the month the caller may see"
    )


class SignOut(Schema):
    month: str
    as_role: str
    signed: int = Field(..., description="how many tasks this call signed")
    tasks: list[TaskOut] = Field(..., description="the tasks named, in their new state")


# Dunning letters ---------------------------------------------------------------------


class LetterOut(Schema):
    id: int
    project: str = Field(..., alias="project.code")
    customer: str = Field(..., alias="project.customer.code")
    customer_name: str = Field(..., alias="project.customer.name")
    sequence: int = Field(..., description="the project's letter sequence: 1, 2, ...")
    number: int = Field(..., description="the letter's number within its sequence: 1, 2, 3")
    issued_on: dt.date
    amount: Money = Field(..., description="the project's overdue amount on issued_on")
    issued_by: str | None = Field(None, description="null when issued by the daily cycle")
    created_at: dt.datetime

    @staticmethod
    def resolve_issued_by(obj):
        return _username(obj.issued_by)


LetterPage = page_schema(LetterOut)


# Supply holds ------------------------------------------------------------------------


class HoldOverrideBrief(Schema):
    id: int
    project: str = Field(..., alias="project.code")
    granted_by: str = Field(..., alias="granted_by.username")
    reason: str
    granted_at: dt.datetime
    delivery: str | None = Field(None, description="ticket of the delivery it let through")

    @staticmethod
    def resolve_delivery(obj):
        return obj.delivery.ticket if obj.delivery_id else None


class HoldOverrideOut(HoldOverrideBrief):
    hold: int = Field(..., alias="hold_id")
    customer: str = Field(..., alias="hold.customer.code")


class HoldOverrideIn(Schema):
    reason: str = Field(..., max_length=2000)


class HoldOut(Schema):
    id: int
    customer: str = Field(..., alias="customer.code")
    customer_name: str = Field(..., alias="customer.name")
    since: dt.date
    released_on: dt.date | None = Field(
        None, description="the day the customer's overdue amount reached zero; null while active"
    )
    active: bool
    reason: str
    project: str = Field(..., alias="trigger.project.code", description="whose letter led to it")
    overrides: list[HoldOverrideBrief] = Field(..., description="newest first")

    # The API sets `release` on each hold: the recorded release, or the day the ledger
    # says the overdue amount reached zero when no payment or cycle has recorded it yet.
    @staticmethod
    def resolve_released_on(obj):
        return obj.release

    @staticmethod
    def resolve_active(obj):
        return obj.release is None

    @staticmethod
    def resolve_overrides(obj):
        return list(obj.overrides.all())


HoldPage = page_schema(HoldOut)


# Legal recovery ----------------------------------------------------------------------


class LegalCaseOut(Schema):
    id: int
    project: str = Field(..., alias="project.code")
    customer: str = Field(..., alias="project.customer.code")
    opened_on: dt.date
    reason: str = Field(..., description="overdue (by the cycle) or manager")
    note: str
    overdue: Money = Field(..., description="the project's overdue amount when opened")
    opened_by: str | None = Field(None, description="null when opened by the daily cycle")
    previous_status: str

    @staticmethod
    def resolve_opened_by(obj):
        return _username(obj.opened_by)


LegalCasePage = page_schema(LegalCaseOut)


class LegalIn(Schema):
    note: str = Field(..., max_length=2000)


# The cycle ---------------------------------------------------------------------------


class CycleIn(Schema):
    as_of: DateIn | None = Field(None, description="default today")
    dry_run: bool = False


class CycleCountsOut(Schema):
    holds_released: int
    letters: int
    holds_placed: int
    legal_opened: int
    tasks_drafted: int
    tasks_lapsed: int
    tasks_assessed: int


class CycleOut(Schema):
    as_of: dt.date
    dry_run: bool
    changed: bool
    lines: list[str] = Field(..., description="what `salesdesk cycle` prints")
    counts: CycleCountsOut


# Reports (the FORMATS.md envelopes) ---------------------------------------------------


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class TaskRowOut(_Open):
    """One collection task of the month; further fields may be added."""

    month: str
    salesperson: str
    project: str
    target: str
    collected: str
    completion: str
    status: str


class TasksReportOut(_Open):
    report: str
    month: str
    generated_at: str
    rows: list[TaskRowOut]
    totals: dict[str, Any]


class LetterRowOut(_Open):
    """One dunning letter issued up to as_of; further fields may be added."""

    customer: str
    project: str
    number: int
    issued_on: str
    amount: str


class LettersReportOut(_Open):
    report: str
    as_of: str
    generated_at: str
    rows: list[LetterRowOut]
    totals: dict[str, Any]


class HoldRowOut(_Open):
    """One supply hold placed up to as_of, current or past; further fields may be added."""

    customer: str
    since: str
    released_on: str | None
    reason: str


class HoldsReportOut(_Open):
    report: str
    as_of: str
    generated_at: str
    rows: list[HoldRowOut]
    totals: dict[str, Any]
