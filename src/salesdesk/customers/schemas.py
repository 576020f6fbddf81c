import datetime as dt
from decimal import Decimal

from ninja import Field, Schema
from pydantic import field_serializer

from salesdesk.core.models import Plant, User
from salesdesk.core.pagination import page_schema
from salesdesk.core.schemas import CREDIT_CODE_TEXT, DateIn, DecimalIn, column
from salesdesk.customers.choices import (
    BuyingRole,
    CreditRating,
    CustomerStatus,
    LeadSource,
    ProjectStatus,
)
from salesdesk.customers.models import Contact, Customer, Project


class CustomerOut(Schema):
    code: str
    name: str
    credit_code: str
    industry: str
    region: str
    address: str
    owner: str = Field(..., alias="owner.username")
    source: str
    status: str
    credit_rating: str
    business_score: int | None
    tier: str
    tier_locked: bool
    tier_lock_reason: str
    created_at: dt.datetime
    updated_at: dt.datetime


class CustomerIn(Schema):
    code: str = column(Customer, "code", min_length=1)
    name: str = column(Customer, "name", min_length=1)
    credit_code: str = Field("", max_length=CREDIT_CODE_TEXT)
    industry: str = column(Customer, "industry", "")
    region: str = column(Customer, "region", "")
    address: str = column(Customer, "address", "")
    owner: str | None = column(User, "username", None, description="username; default: the caller")
    source: LeadSource | None = None
    status: CustomerStatus = CustomerStatus.ACTIVE
    credit_rating: CreditRating | None = None
    business_score: int | None = Field(None, ge=0, le=100)


class CustomerPatch(Schema):
    name: str | None = column(Customer, "name", None, min_length=1)
    credit_code: str | None = Field(None, max_length=CREDIT_CODE_TEXT)
    industry: str | None = column(Customer, "industry", None)
    region: str | None = column(Customer, "region", None)
    address: str | None = column(Customer, "address", None)
    owner: str | None = column(User, "username", None)
    source: LeadSource | None = None
    status: CustomerStatus | None = None
    credit_rating: CreditRating | None = None
    business_score: int | None = Field(None, ge=0, le=100)


class ContactOut(Schema):
    id: int
    name: str
    title: str
    phone: str
    email: str
    role: str
    decision_authority: bool


class ContactIn(Schema):
    name: str = column(Contact, "name", min_length=1)
    title: str = column(Contact, "title", "")
    phone: str = column(Contact, "phone", "")
    email: str = column(Contact, "email", "")
    role: BuyingRole | None = None
    decision_authority: bool = False


class ProjectOut(Schema):
    code: str
    customer: str = Field(..., alias="customer.code")
    customer_name: str = Field(..., alias="customer.name")
    name: str
    plant: str | None = None
    owner: str = Field(..., alias="owner.username")
    contract_no: str
    payment_terms_days: int
    credit_limit: Decimal | None
    status: str
    started_on: dt.date | None
    completed_on: dt.date | None

    @staticmethod
    def resolve_plant(obj):
        return obj.plant.code if obj.plant_id else None

    @field_serializer("credit_limit")
    def money(self, value):
        return None if value is None else f"{value:.2f}"


class ProjectIn(Schema):
    code: str = column(Project, "code", min_length=1)
    customer: str = column(Customer, "code", description="customer code")
    name: str = column(Project, "name", min_length=1)
    plant: str | None = column(Plant, "code", None, description="plant code")
    owner: str | None = column(User, "username", None)
    contract_no: str = column(Project, "contract_no", "")
    payment_terms_days: int | None = Field(None, ge=0, le=3650)
    credit_limit: DecimalIn | None = Field(None, ge=0, max_digits=15, decimal_places=2)
    status: ProjectStatus = ProjectStatus.ACTIVE
    started_on: DateIn | None = None
    completed_on: DateIn | None = None


class ProjectPatch(Schema):
    name: str | None = column(Project, "name", None, min_length=1)
    plant: str | None = column(Plant, "code", None)
    owner: str | None = column(User, "username", None)
    contract_no: str | None = column(Project, "contract_no", None)
    payment_terms_days: int | None = Field(None, ge=0, le=3650)
    credit_limit: DecimalIn | None = Field(None, ge=0, max_digits=15, decimal_places=2)
    status: ProjectStatus | None = None
    started_on: DateIn | None = None
    completed_on: DateIn | None = None


CustomerPage = page_schema(CustomerOut)
ProjectPage = page_schema(ProjectOut)
