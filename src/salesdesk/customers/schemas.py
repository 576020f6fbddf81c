import datetime as dt
from decimal import Decimal

from ninja import Field, Schema
from pydantic import field_serializer

from salesdesk.core.pagination import page_schema
from salesdesk.customers.choices import (
    BuyingRole,
    CreditRating,
    CustomerStatus,
    LeadSource,
    ProjectStatus,
)


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
    code: str = Field(..., min_length=1, max_length=30)
    name: str = Field(..., min_length=1, max_length=200)
    credit_code: str = ""
    industry: str = ""
    region: str = ""
    address: str = ""
    owner: str | None = Field(None, description="username; default: the caller")
    source: LeadSource | None = None
    status: CustomerStatus = CustomerStatus.ACTIVE
    credit_rating: CreditRating | None = None
    business_score: int | None = Field(None, ge=0, le=100)


class CustomerPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    credit_code: str | None = None
    industry: str | None = None
    region: str | None = None
    address: str | None = None
    owner: str | None = None
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
    name: str = Field(..., min_length=1, max_length=100)
    title: str = ""
    phone: str = ""
    email: str = ""
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
    code: str = Field(..., min_length=1, max_length=30)
    customer: str
    name: str = Field(..., min_length=1, max_length=200)
    plant: str | None = None
    owner: str | None = None
    contract_no: str = ""
    payment_terms_days: int | None = Field(None, ge=0, le=3650)
    credit_limit: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=2)
    status: ProjectStatus = ProjectStatus.ACTIVE
    started_on: dt.date | None = None
    completed_on: dt.date | None = None


class ProjectPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    plant: str | None = None
    owner: str | None = None
    contract_no: str | None = None
    payment_terms_days: int | None = Field(None, ge=0, le=3650)
    credit_limit: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=2)
    status: ProjectStatus | None = None
    started_on: dt.date | None = None
    completed_on: dt.date | None = None


CustomerPage = page_schema(CustomerOut)
ProjectPage = page_schema(ProjectOut)
