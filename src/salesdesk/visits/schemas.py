import datetime as dt

from django.utils import timezone
from ninja import Field, Schema

from salesdesk.core.models import User
from salesdesk.core.pagination import page_schema
from salesdesk.core.schemas import DateIn, column
from salesdesk.customers.models import Customer, Project
from salesdesk.visits.choices import CommitmentState, Outcome
from salesdesk.visits.models import Commitment, Visit


class VisitContactOut(Schema):
    id: int
    name: str


class CommitmentOut(Schema):
    id: int
    visit: int = Field(..., alias="visit_id")
    customer: str = Field(..., alias="visit.customer.code")
    what: str
    who: str
    contact: int | None = Field(None, alias="contact_id")
    due: dt.date
    done_on: dt.date | None
    done_by: str | None = None
    done_note: str
    state: CommitmentState

    @staticmethod
    def resolve_done_by(obj):
        return obj.done_by.username if obj.done_by_id else None

    @staticmethod
    def resolve_state(obj):
        return obj.state(timezone.localdate())


class VisitOut(Schema):
    id: int
    customer: str = Field(..., alias="customer.code")
    customer_name: str = Field(..., alias="customer.name")
    project: str | None = None
    salesperson: str = Field(..., alias="salesperson.username")
    date: dt.date
    purpose: str
    contacts: list[VisitContactOut]
    outcome: Outcome
    notes: str
    next_step: str
    next_step_due: dt.date | None
    satisfaction: int | None
    manager_involved: bool
    commitment: CommitmentOut | None = None
    warnings: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_project(obj):
        return obj.project.code if obj.project_id else None

    @staticmethod
    def resolve_contacts(obj):
        return list(obj.contacts.all())

    @staticmethod
    def resolve_commitment(obj):
        return getattr(obj, "commitment", None)

    @staticmethod
    def resolve_warnings(obj):
        return obj.warnings()


class CommitmentIn(Schema):
    what: str = column(Commitment, "what", min_length=1)
    who: str = column(Commitment, "who", "", description="the person on the customer's side")
    contact: int | None = Field(None, description="a contact id of the customer, instead of who")
    due: DateIn


class VisitIn(Schema):
    customer: str = column(Customer, "code", description="customer code")
    date: DateIn
    salesperson: str | None = column(
        User, "username", None, description="username; default: the caller"
    )
    outcome: Outcome
    project: str | None = column(Project, "code", None, description="project code of the customer")
    purpose: str = column(Visit, "purpose", "")
    contacts: list[int] = Field(default_factory=list, description="contact ids of the customer")
    notes: str = ""
    next_step: str = column(Visit, "next_step", "")
    next_step_due: DateIn | None = None
    satisfaction: int | None = Field(None, ge=1, le=5)
    manager_involved: bool = False
    commitment: CommitmentIn | None = Field(None, description="required for an advance")


class CommitmentDoneIn(Schema):
    done_on: DateIn | None = Field(None, description="default: today")
    note: str = column(Commitment, "done_note", "")


VisitPage = page_schema(VisitOut)
CommitmentPage = page_schema(CommitmentOut)


class TierRuleOut(Schema):
    tier: str
    required: int
    period: str
    needs_manager: bool
    period_start: dt.date
    period_end: dt.date


class CustomerComplianceOut(Schema):
    customer: str
    name: str
    tier: str
    required: int
    visits: int
    manager_visits: int
    met: bool
    last_visit: dt.date | None


class SalespersonComplianceOut(Schema):
    salesperson: str
    name: str
    due: int
    met: int
    short_of_visits: int
    without_manager: int
    ratio: str | None = Field(None, description="met / due, 4 decimals")
    customers: list[CustomerComplianceOut]


class OutcomeMixOut(Schema):
    salesperson: str | None
    name: str
    visits: int
    order: int
    advance: int
    continuation: int
    no_sale: int
    advance_rate: str | None = Field(None, description="advances / visits, 4 decimals")
    decided_share: str | None = Field(None, description="(orders + no sales) / visits, 4 decimals")


class ComplianceOut(Schema):
    month: str
    complete: bool
    assessed: list[TierRuleOut]
    deferred: list[TierRuleOut]
    rows: list[SalespersonComplianceOut]
    totals: dict
    outcomes: list[OutcomeMixOut]
    outcome_totals: OutcomeMixOut
