"""API shapes of the pipeline. Money is a string with two decimals, dates ISO."""

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict, StringConstraints

from salesdesk.core.models import User
from salesdesk.core.pagination import page_schema
from salesdesk.core.schemas import DateIn, DecimalIn, column
from salesdesk.customers.choices import LeadSource
from salesdesk.customers.models import Customer
from salesdesk.pipeline.choices import Stage
from salesdesk.pipeline.models import FabProduct, Opportunity

Factor = int | None
ProductName = Annotated[
    str, StringConstraints(max_length=FabProduct._meta.get_field("name").max_length)
]


class QualificationOut(Schema):
    need: bool | None
    need_evidence: str
    budget: bool | None
    budget_evidence: str
    decision_maker_known: bool | None
    decision_maker_evidence: str
    qualified: bool = Field(..., description="need, budget and decision maker known all yes")


class QuestionsOut(Schema):
    is_real: bool | None
    is_real_notes: str
    can_win: bool | None
    can_win_notes: str
    worth_winning: bool | None
    worth_winning_notes: str
    resources: str
    next_steps: str


class RiskOut(Schema):
    factors: dict[str, int | None] = Field(..., description="f1..f7, each 1-5 or null")
    complete: bool
    score: str | None = Field(..., description="0-100 with one decimal; null when incomplete")
    passed: bool
    pipeline_class: str | None = Field(..., alias="class", description="A, B, C, D or null")
    notes: str
    scored_on: dt.date | None
    as_of: dt.date = Field(..., description="the date whose policy and calendar were used")

    model_config = ConfigDict(populate_by_name=True)


class OpportunityOut(Schema):
    code: str
    name: str
    customer: str
    customer_name: str
    owner: str
    source: str
    stage: str
    value: str | None
    expected_close: dt.date | None
    products: list[str]
    competitors: str
    purchase_criteria: str
    spec_in_tender: bool
    qualification: QualificationOut
    questions: QuestionsOut
    risk: RiskOut
    contact_level: str
    reduced_on: dt.date | None
    reduced_reason: str
    last_touch: dt.date | None
    touch_due: dt.date | None
    closed_on: dt.date | None
    closed_reason: str
    created_at: dt.datetime
    updated_at: dt.datetime


OpportunityPage = page_schema(OpportunityOut)


class OpportunityIn(Schema):
    code: str = column(Opportunity, "code", min_length=1)
    customer: str = column(Customer, "code", description="customer code")
    name: str = column(Opportunity, "name", min_length=1)
    owner: str | None = column(
        User, "username", None, description="username; default: the customer's owner"
    )
    source: LeadSource | None = Field(None, description="default: the customer's lead source")
    stage: Stage = Stage.LEAD
    reason: str = Field("", description="required when the stage is won, lost or abandoned")
    value: DecimalIn | None = Field(None, ge=0, max_digits=15, decimal_places=2)
    expected_close: DateIn | None = None
    competitors: str = ""
    purchase_criteria: str = ""
    spec_in_tender: bool = False
    products: list[ProductName] = Field([], description="names of FAB products")


class OpportunityPatch(Schema):
    name: str | None = column(Opportunity, "name", None, min_length=1)
    owner: str | None = column(User, "username", None)
    source: LeadSource | None = None
    value: DecimalIn | None = Field(None, ge=0, max_digits=15, decimal_places=2)
    expected_close: DateIn | None = None
    competitors: str | None = None
    purchase_criteria: str | None = None
    spec_in_tender: bool | None = None
    products: list[ProductName] | None = None


class RiskFormIn(Schema):
    f1: Factor = Field(None, ge=1, le=5)
    f2: Factor = Field(None, ge=1, le=5)
    f3: Factor = Field(None, ge=1, le=5)
    f4: Factor = Field(None, ge=1, le=5)
    f5: Factor = Field(None, ge=1, le=5)
    f6: Factor = Field(None, ge=1, le=5)
    f7: Factor = Field(None, ge=1, le=5)
    notes: str | None = None


class QualificationIn(Schema):
    need: bool | None = None
    need_evidence: str | None = None
    budget: bool | None = None
    budget_evidence: str | None = None
    decision_maker_known: bool | None = None
    decision_maker_evidence: str | None = None


class QuestionsIn(Schema):
    is_real: bool | None = None
    is_real_notes: str | None = None
    can_win: bool | None = None
    can_win_notes: str | None = None
    worth_winning: bool | None = None
    worth_winning_notes: str | None = None
    resources: str | None = None
    next_steps: str | None = None


class StageIn(Schema):
    stage: Stage
    reason: str = ""


class ReasonIn(Schema):
    reason: str = ""


class TouchIn(Schema):
    date: DateIn | None = Field(None, description="default today; not in the future")
    note: str = ""


class TouchOut(Schema):
    id: int
    date: dt.date
    note: str
    recorded_by: str | None


class StakeholderContactOut(Schema):
    name: str
    title: str
    role: str
    decision_authority: bool


class FabItemOut(Schema):
    product: str
    text: str


class RoleGroupOut(Schema):
    role: str
    label: str
    focus: str
    focus_label: str
    contacts: list[StakeholderContactOut]
    lead_with: list[FabItemOut]


class StakeholdersOut(Schema):
    opportunity: str
    decision_maker_known: bool
    warning: str | None
    roles: list[RoleGroupOut]
    unassigned: list[StakeholderContactOut]
    products: list[str]
    terms: dict[str, Any]


class FabLineIO(Schema):
    feature: str = ""
    advantage: str = ""
    benefit: str = ""


class FabProductOut(Schema):
    id: int
    name: str
    notes: str
    lines: list[FabLineIO]


class FabProductIn(Schema):
    name: str = column(FabProduct, "name", min_length=1)
    notes: str = ""
    lines: list[FabLineIO] = []


class ConversionRowOut(Schema):
    source: str | None
    label: str
    customers: int
    active_customers: int
    created: int
    open: int
    won: int
    lost: int
    abandoned: int
    won_value: str
    conversion: str | None = Field(..., description="won / created, 4 decimals")
    win_rate: str | None = Field(..., description="won / (won + lost + abandoned), 4 decimals")


class ConversionOut(Schema):
    date_from: dt.date | None
    date_to: dt.date | None
    rows: list[ConversionRowOut]
    totals: ConversionRowOut


class PipelineRowOut(BaseModel):
    """One open opportunity; further fields may be added."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    code: str
    customer: str
    customer_name: str
    owner: str
    stage: str
    value: str | None
    score: str | None
    passed: bool
    pipeline_class: str | None = Field(..., alias="class")
    expected_close: str | None


class PipelineReportOut(BaseModel):
    """The report envelope of FORMATS.md, exactly as `salesdesk report pipeline` prints it."""

    model_config = ConfigDict(extra="allow")

    report: str
    as_of: str
    generated_at: str
    rows: list[PipelineRowOut]
    totals: dict[str, Any]
