"""Customers, contacts and projects over HTTP. Every read is scoped to the caller."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from salesdesk.core.errors import Conflict, KeyTaken
from salesdesk.core.models import Plant, User
from salesdesk.core.pagination import api_filtered_page
from salesdesk.core.schemas import column
from salesdesk.core.services import diff
from salesdesk.customers import selectors, services
from salesdesk.customers.models import Contact, Customer, Project
from salesdesk.customers.schemas import (
    ContactIn,
    ContactOut,
    CustomerIn,
    CustomerOut,
    CustomerPage,
    CustomerPatch,
    ProjectIn,
    ProjectOut,
    ProjectPage,
    ProjectPatch,
)

router = Router(tags=["customers"])


class CustomerQuery(Schema):
    q: str | None = column(Customer, "name", None)
    tier: str | None = column(Customer, "tier", None)
    status: str | None = column(Customer, "status", None)
    owner: str | None = column(User, "username", None)
    plant: str | None = column(Plant, "code", None)
    region: str | None = column(Customer, "region", None)
    sort: str | None = Field(None, max_length=20)
    page: int = 1
    page_size: int = 50


class ProjectQuery(Schema):
    q: str | None = column(Project, "name", None)
    customer: str | None = column(Customer, "code", None)
    status: str | None = column(Project, "status", None)
    owner: str | None = column(User, "username", None)
    plant: str | None = column(Plant, "code", None)
    sort: str | None = Field(None, max_length=20)
    page: int = 1
    page_size: int = 50


def _params(query: Schema) -> dict:
    return {
        k: v
        for k, v in query.dict().items()
        if v not in (None, "") and k not in ("page", "page_size")
    }


def _user(username: str | None, field: str) -> User | None:
    if username is None:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError({field: f"no active user {username!r}"})
    return user


def _plant(code: str | None) -> Plant | None:
    if code is None:
        return None
    plant = Plant.objects.filter(code=code).first()
    if plant is None:
        raise ValidationError({"plant": f"no plant {code!r}"})
    return plant


# Customers ---------------------------------------------------------------------------


@router.get("/customers", response=CustomerPage, summary="Customers the caller may see")
def customer_list(request, query: Query[CustomerQuery]):
    filterset, queryset = selectors.customer_list(request.user, _params(query))
    return api_filtered_page(filterset, queryset, query.page, query.page_size)


@router.get("/customers/{code}", response=CustomerOut)
def customer_detail(request, code: str):
    return selectors.customer_get(request.user, code)


# In a PATCH, null clears a field that may be blank and is refused for one that may not:
# stored as is it would fail in the database, become the text "None", or (for the owner)
# silently hand the customer to the caller.
CUSTOMER_NOT_NULL = ("name", "status", "owner")
CUSTOMER_BLANKABLE = ("credit_code", "industry", "region", "address", "source", "credit_rating")
PROJECT_NOT_NULL = ("name", "owner", "payment_terms_days", "status")
PROJECT_BLANKABLE = ("contract_no",)


def _refuse_nulls(values: dict, fields: tuple[str, ...]) -> None:
    nulls = {
        field: "may not be null" for field in fields if field in values and values[field] is None
    }
    if nulls:
        raise ValidationError(nulls)


def _blank_nulls(values: dict, fields: tuple[str, ...]) -> None:
    for field in fields:
        if field in values and values[field] is None:
            values[field] = ""


def _customer_values(payload, request, *, patch: bool = False) -> dict:
    values = payload.dict(exclude_unset=True)
    values.pop("code", None)
    if patch:
        _refuse_nulls(values, CUSTOMER_NOT_NULL)
    if "owner" in values:
        values["owner"] = _user(values["owner"], "owner") or request.user
    _blank_nulls(values, CUSTOMER_BLANKABLE)
    return values


@router.post(
    "/customers",
    response={200: CustomerOut, 201: CustomerOut},
    summary="Create a customer (idempotent by code: same content returns it, other content is 409)",
)
def customer_create(request, payload: CustomerIn):
    values = _customer_values(payload, request)
    values.setdefault("owner", request.user)
    existing = Customer.objects.select_related("owner").filter(code=payload.code).first()
    if existing is None:
        try:
            customer = services.customer_create(actor=request.user, code=payload.code, **values)
        except KeyTaken:  # created a moment ago by a concurrent request
            existing = Customer.objects.select_related("owner").get(code=payload.code)
        else:
            return Status(201, customer)
    cleaned = services.customer_clean_values(values, instance=existing)
    visible = selectors.customer_queryset(request.user).filter(pk=existing.pk).exists()
    if visible and not diff(existing, cleaned):
        return Status(200, existing)
    raise Conflict(f"customer {payload.code} exists with different content")


@router.patch("/customers/{code}", response=CustomerOut)
def customer_patch(request, code: str, payload: CustomerPatch):
    customer = selectors.customer_get(request.user, code)
    services.customer_update(
        actor=request.user, customer=customer, **_customer_values(payload, request, patch=True)
    )
    return selectors.customer_get(request.user, code)


# Contacts ----------------------------------------------------------------------------


@router.get("/customers/{code}/contacts", response=list[ContactOut])
def contact_list(request, code: str):
    return selectors.customer_contacts(selectors.customer_get(request.user, code))


@router.post(
    "/customers/{code}/contacts",
    response={200: ContactOut, 201: ContactOut},
    summary="Add a contact, or update the contact of the same name",
)
def contact_upsert(request, code: str, payload: ContactIn):
    customer = selectors.customer_get(request.user, code)
    values = payload.dict()
    values["role"] = values["role"] or ""
    existed = Contact.objects.filter(
        customer=customer, name=" ".join(payload.name.split())
    ).exists()
    contact, changed = services.contact_upsert(actor=request.user, customer=customer, **values)
    # Unchanged is 200 even when the contact did not exist a moment ago: a concurrent
    # request with the same content created it.
    return Status(201 if changed and not existed else 200, contact)


# Projects ----------------------------------------------------------------------------


@router.get("/projects", response=ProjectPage, summary="Projects the caller may see")
def project_list(request, query: Query[ProjectQuery]):
    filterset, queryset = selectors.project_list(request.user, _params(query))
    return api_filtered_page(filterset, queryset, query.page, query.page_size)


@router.get("/projects/{code}", response=ProjectOut)
def project_detail(request, code: str):
    return selectors.project_get(request.user, code)


def _project_values(payload, *, patch: bool = False) -> dict:
    values = payload.dict(exclude_unset=True)
    for field in ("code", "customer"):
        values.pop(field, None)
    if patch:
        _refuse_nulls(values, PROJECT_NOT_NULL)
    elif values.get("payment_terms_days", 0) is None:
        values.pop("payment_terms_days")  # null on create: the tier policy's terms
    _blank_nulls(values, PROJECT_BLANKABLE)
    if "owner" in values:
        values["owner"] = _user(values["owner"], "owner")
        if values["owner"] is None:
            values.pop("owner")
    if "plant" in values:
        values["plant"] = _plant(values["plant"])
    return values


@router.post(
    "/projects",
    response={200: ProjectOut, 201: ProjectOut},
    summary="Create a project (idempotent by code: same content returns it, other content is 409)",
)
def project_create(request, payload: ProjectIn):
    customer = get_object_or_404(selectors.customer_queryset(request.user), code=payload.customer)
    values = _project_values(payload)
    stored = Project.objects.filter(code=payload.code).select_related("customer", "owner", "plant")
    existing = stored.first()
    if existing is None:
        try:
            project = services.project_create(
                actor=request.user, customer=customer, code=payload.code, **values
            )
        except KeyTaken:  # created a moment ago by a concurrent request
            existing = stored.get()
        else:
            return Status(201, project)
    visible = selectors.project_queryset(request.user).filter(pk=existing.pk).exists()
    if visible and existing.customer_id == customer.pk and not diff(existing, values):
        return Status(200, existing)
    raise Conflict(f"project {payload.code} exists with different content")


@router.patch("/projects/{code}", response=ProjectOut)
def project_patch(request, code: str, payload: ProjectPatch):
    project = selectors.project_get(request.user, code)
    services.project_update(
        actor=request.user, project=project, **_project_values(payload, patch=True)
    )
    return get_object_or_404(
        Project.objects.select_related("customer", "owner", "plant"), pk=project.pk
    )
