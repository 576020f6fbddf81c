"""Ledger endpoints: posting deliveries, invoices, payments and expenses; reversals;
project balances; aging; the order gate and its overrides. Floor prices and the product
catalogue are in api_catalogue.py, asset offsets in api_offsets.py.

Writes go through ledger.services, which check the caller's roles and the values. Every
read is scoped to what the caller may see. A record named in the path that the caller
may not see is 404; a project, plant or user named in a request body that does not exist
(or that the caller may not see) is 422 naming the field, the same answer either way.
"""

import datetime as dt
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from salesdesk.core.choices import Role
from salesdesk.core.errors import PermissionDenied
from salesdesk.core.models import Plant, User
from salesdesk.core.pagination import api_page
from salesdesk.core.policy import policy_as_of
from salesdesk.core.schemas import DateIn, MoneyIn, column, query_column
from salesdesk.customers.choices import Tier
from salesdesk.customers.models import Customer, Project
from salesdesk.ledger import services
from salesdesk.ledger.allocation import bucket_names, invoice_balances, project_balances
from salesdesk.ledger.choices import PaymentMethod
from salesdesk.ledger.gate import order_gate
from salesdesk.ledger.models import (
    Delivery,
    DeliveryOverride,
    Expense,
    Invoice,
    Payment,
    Product,
)
from salesdesk.ledger.reports import aging_report
from salesdesk.ledger.schemas import (
    AgingOut,
    DeliveryIn,
    DeliveryOut,
    DeliveryOverrideIn,
    DeliveryOverrideOut,
    DeliveryPage,
    ExpenseIn,
    ExpenseOut,
    GateOut,
    InvoiceIn,
    InvoiceOut,
    InvoicePage,
    PaymentIn,
    PaymentOut,
    PaymentPage,
    PriceApprovalIn,
    ProjectBalanceOut,
    ReversalIn,
)

router = Router(tags=["ledger"])

CREATED_OR_SAME = (
    "First post 201; the identical record again 200; the same key with other content 409."
)
PRICE_SETTERS = (Role.MANAGER, Role.ADMIN)
RATIO = Decimal("0.0001")
# The columns are DecimalField(max_digits=18), but SQLite stores decimals as floating
# point, exact to 15 significant digits only: beyond that a value would come back changed
# (or fail to load). So money stays below 10^13 (13 + 2 digits), quantities below 10^12.


# Helpers -----------------------------------------------------------------------------


def _require(user: User, roles, message: str) -> None:
    """The role check of the service, made before the body's references are looked up,
    so a caller who may not post learns that and nothing about the records named."""
    if not (user.is_superuser or user.has_role(*roles)):
        raise PermissionDenied(message)


def _project_ref(user: User, code: str | None, field: str = "project") -> Project | None:
    if code is None:
        return None
    project = (
        Project.objects.visible_to(user).select_related("plant").filter(code=code.strip()).first()
    )
    if project is None:
        raise ValidationError({field: _("No project %(code)s.") % {"code": code}})
    return project


def _plant_ref(code: str | None) -> Plant | None:
    if code is None:
        return None
    plant = Plant.objects.filter(code=code.strip()).first()
    if plant is None:
        raise ValidationError({"plant": _("No plant %(code)s.") % {"code": code}})
    return plant


def _product_ref(code: str | None) -> Product | None:
    """A catalogue product named by its code (the API takes codes, not names)."""
    if code is None:
        return None
    product = Product.objects.filter(code=code.strip()).first()
    if product is None:
        raise ValidationError(
            {"product": _("unknown product %(name)s (not in the product catalogue)")
             % {"name": code}}
        )  # fmt: skip
    return product


def _user_ref(username: str, field: str) -> User:
    user = User.objects.filter(username=username.strip(), is_active=True).first()
    if user is None:
        raise ValidationError({field: _("No active user %(name)s.") % {"name": username}})
    return user


def _posted(model, user: User) -> QuerySet:
    related = ["project__customer", "posted_by", "reversal__reversed_by"]
    if model is Delivery:
        related += ["plant", "product", "price_approval__approved_by"]
    return model.objects.visible_to(user).select_related(*related)


class LedgerQuery(Schema):
    project: str | None = column(Project, "code", None)
    customer: str | None = column(Customer, "code", None)
    date_from: DateIn | None = None
    date_to: DateIn | None = None
    page: int = 1
    page_size: int = 50


class BelowFloorQuery(LedgerQuery):
    approved: bool | None = None


def _filtered(queryset: QuerySet, query: LedgerQuery) -> QuerySet:
    # Unknown codes match nothing: a filter must not tell whether an unseen record exists.
    if query.project:
        queryset = queryset.filter(project__code=query.project)
    if query.customer:
        queryset = queryset.filter(project__customer__code=query.customer)
    if query.date_from:
        queryset = queryset.filter(date__gte=query.date_from)
    if query.date_to:
        queryset = queryset.filter(date__lte=query.date_to)
    return queryset


def _page(queryset: QuerySet, query) -> dict:
    return api_page(queryset, query.page, query.page_size)


def _reverse(request, model, key_field: str, key: str, payload: ReversalIn):
    record = _posted(model, request.user).get(**{key_field: key})
    services.record_reverse(
        actor=request.user, record=record, date=payload.date, reason=payload.reason,
        today=timezone.localdate(),
    )  # fmt: skip
    return Status(201, _posted(model, request.user).get(pk=record.pk))


# Deliveries --------------------------------------------------------------------------


@router.post(
    "/deliveries",
    response={200: DeliveryOut, 201: DeliveryOut},
    summary="Post a delivery (supply, finance, admin)",
    description=CREATED_OR_SAME
    + " Below the floor price it waits for a manager's approval, unless approval_reason "
    "is given by a manager posting it.",
)
def delivery_post(request, payload: DeliveryIn):
    _require(request.user, services.POSTERS[Delivery], _("You may not post deliveries."))
    delivery, created = services.delivery_post(
        actor=request.user,
        ticket=payload.ticket,
        today=timezone.localdate(),
        project=_project_ref(request.user, payload.project),
        plant=_plant_ref(payload.plant),
        date=payload.date,
        product=_product_ref(payload.product),
        quantity=payload.quantity,
        unit=payload.unit,
        unit_price=payload.unit_price,
        approval_reason=payload.approval_reason,
    )
    return Status(201 if created else 200, _posted(Delivery, request.user).get(pk=delivery.pk))


@router.get("/deliveries", response=DeliveryPage, summary="Deliveries the caller may see")
def delivery_list(request, query: Query[LedgerQuery]):
    return _page(_filtered(_posted(Delivery, request.user), query), query)


@router.get(
    "/deliveries/below-floor",
    response=DeliveryPage,
    summary="Deliveries priced below their floor, with their approval or null",
)
def delivery_below_floor(request, query: Query[BelowFloorQuery]):
    queryset = _posted(Delivery, request.user).filter(floor_price__isnull=False)
    if query.approved is not None:
        queryset = queryset.filter(price_approval__isnull=not query.approved)
    return _page(_filtered(queryset, query), query)


@router.get("/deliveries/{ticket}", response=DeliveryOut)
def delivery_detail(request, ticket: str):
    return _posted(Delivery, request.user).get(ticket=ticket)


@router.post(
    "/deliveries/{ticket}/reversal",
    response={201: DeliveryOut},
    summary="Reverse a delivery from a date on (finance, admin)",
)
def delivery_reverse(request, ticket: str, payload: ReversalIn):
    return _reverse(request, Delivery, "ticket", ticket, payload)


@router.post(
    "/deliveries/{ticket}/price-approval",
    response={201: DeliveryOut},
    summary="Approve a price below the floor (managers, admin)",
)
def delivery_price_approve(request, ticket: str, payload: PriceApprovalIn):
    delivery = _posted(Delivery, request.user).get(ticket=ticket)
    services.delivery_approve_price(actor=request.user, delivery=delivery, reason=payload.reason)
    return Status(201, _posted(Delivery, request.user).get(pk=delivery.pk))


# Invoices ----------------------------------------------------------------------------


@router.post(
    "/invoices",
    response={200: InvoiceOut, 201: InvoiceOut},
    summary="Post an invoice (finance, admin)",
    description=CREATED_OR_SAME,
)
def invoice_post(request, payload: InvoiceIn):
    _require(request.user, services.POSTERS[Invoice], _("You may not post invoices."))
    invoice, created = services.invoice_post(
        actor=request.user,
        today=timezone.localdate(),
        number=payload.number,
        project=_project_ref(request.user, payload.project),
        date=payload.date,
        due_date=payload.due_date,
        amount=payload.amount,
    )
    return Status(201 if created else 200, _posted(Invoice, request.user).get(pk=invoice.pk))


@router.get("/invoices", response=InvoicePage, summary="Invoices the caller may see")
def invoice_list(request, query: Query[LedgerQuery]):
    return _page(_filtered(_posted(Invoice, request.user), query), query)


@router.get("/invoices/{number}", response=InvoiceOut)
def invoice_detail(request, number: str):
    return _posted(Invoice, request.user).get(number=number)


@router.post(
    "/invoices/{number}/reversal",
    response={201: InvoiceOut},
    summary="Reverse an invoice from a date on (finance, admin)",
)
def invoice_reverse(request, number: str, payload: ReversalIn):
    return _reverse(request, Invoice, "number", number, payload)


# Payments ----------------------------------------------------------------------------


@router.post(
    "/payments",
    response={200: PaymentOut, 201: PaymentOut},
    summary="Post a payment (finance, admin)",
    description=CREATED_OR_SAME,
)
def payment_post(request, payload: PaymentIn):
    _require(request.user, services.POSTERS[Payment], _("You may not post payments."))
    if payload.method == PaymentMethod.OFFSET:
        raise ValidationError(
            {"method": _("An asset offset is posted by accepting it: see /asset-offsets.")}
        )
    payment, created = services.payment_post(
        actor=request.user,
        today=timezone.localdate(),
        reference=payload.reference,
        project=_project_ref(request.user, payload.project),
        date=payload.date,
        amount=payload.amount,
        method=payload.method,
    )
    return Status(201 if created else 200, _posted(Payment, request.user).get(pk=payment.pk))


@router.get("/payments", response=PaymentPage, summary="Payments the caller may see")
def payment_list(request, query: Query[LedgerQuery]):
    return _page(_filtered(_posted(Payment, request.user), query), query)


@router.get("/payments/{reference}", response=PaymentOut)
def payment_detail(request, reference: str):
    return _posted(Payment, request.user).get(reference=reference)


@router.post(
    "/payments/{reference}/reversal",
    response={201: PaymentOut},
    summary="Reverse a payment from a date on (finance, admin)",
)
def payment_reverse(request, reference: str, payload: ReversalIn):
    return _reverse(request, Payment, "reference", reference, payload)


# Expenses ----------------------------------------------------------------------------


@router.post(
    "/expenses",
    response={200: ExpenseOut, 201: ExpenseOut},
    summary="Post a sales expense (finance, admin)",
    description=CREATED_OR_SAME,
)
def expense_post(request, payload: ExpenseIn):
    _require(request.user, services.POSTERS[Expense], _("You may not post expenses."))
    expense, created = services.expense_post(
        actor=request.user,
        today=timezone.localdate(),
        reference=payload.reference,
        salesperson=_user_ref(payload.salesperson, "salesperson"),
        project=_project_ref(request.user, payload.project),
        date=payload.date,
        amount=payload.amount,
        category=payload.category,
    )
    expense = Expense.objects.select_related("salesperson", "project", "posted_by").get(
        pk=expense.pk
    )
    return Status(201 if created else 200, expense)


@router.post(
    "/expenses/{reference}/reversal",
    response={201: ExpenseOut},
    summary="Reverse an expense from a date on (finance, admin)",
)
def expense_reverse(request, reference: str, payload: ReversalIn):
    _require(request.user, services.REVERSERS, _("Only finance may reverse a posted record."))
    related = ("salesperson", "project", "posted_by", "reversal__reversed_by")
    expense = Expense.objects.select_related(*related).get(reference=reference)
    services.record_reverse(
        actor=request.user, record=expense, date=payload.date, reason=payload.reason,
        today=timezone.localdate(),
    )  # fmt: skip
    return Status(201, Expense.objects.select_related(*related).get(pk=expense.pk))


# Balances and aging ------------------------------------------------------------------


def _ratio(billed: Decimal, outstanding: Decimal) -> str | None:
    # Rounded down, so "1.0000" (fully collected) never hides a cent still owed.
    if billed <= 0:
        return None
    return str(((billed - outstanding) / billed).quantize(RATIO, rounding=ROUND_DOWN))


@router.get(
    "/projects/{code}/balance",
    response=ProjectBalanceOut,
    summary="A project's receivable as of a date, with its invoices in allocation order",
)
def project_balance(request, code: str, as_of: DateIn | None = None):
    project = Project.objects.visible_to(request.user).select_related("customer").get(code=code)
    as_of = as_of or dt.date.today()
    only = Project.objects.filter(pk=project.pk)
    balance = project_balances(as_of, only).get(project.pk)
    invoices = sorted(
        invoice_balances(as_of, only), key=lambda row: (row.due_date, row.date, row.number)
    )
    if balance is None:
        zero = Decimal("0.00")
        billed = paid = outstanding = overdue = credit = zero
        buckets = dict.fromkeys(bucket_names(policy_as_of(as_of)["aging.bounds"]), zero)
    else:
        billed, paid, outstanding = balance.billed, balance.paid, balance.outstanding
        overdue, credit, buckets = balance.overdue, balance.credit, balance.buckets
    return {
        "project": project.code,
        "customer": project.customer.code,
        "as_of": as_of,
        "billed": billed,
        "paid": paid,
        "outstanding": outstanding,
        "overdue": overdue,
        "credit": credit,
        "collection_ratio": _ratio(billed, outstanding),
        "buckets": buckets,
        "invoices": [
            {
                "number": row.number,
                "date": row.date,
                "due_date": row.due_date,
                "amount": row.amount,
                "settled": row.settled,
                "unsettled": row.unsettled,
                "days_past_due": row.days_past_due,
            }
            for row in invoices
        ],
    }


@router.get(
    "/reports/aging",
    response=AgingOut,
    summary="The aging report (FORMATS.md envelope) over the projects the caller may see",
)
def report_aging(
    request,
    as_of: DateIn | None = None,
    owner: str | None = query_column(User, "username"),
    tier: Tier | None = None,
    plant: str | None = query_column(Plant, "code"),
):
    projects = Project.objects.visible_to(request.user)
    if owner:
        projects = projects.filter(owner__username=owner)
    if tier:
        projects = projects.filter(customer__tier=tier)
    if plant:
        projects = projects.filter(plant__code=plant)
    report = aging_report(as_of=as_of or dt.date.today(), projects=projects)
    return report.envelope()


# The order gate ----------------------------------------------------------------------


@router.get(
    "/gate",
    response=GateOut,
    summary="May we deliver to this customer (and project)?",
    description="Blocked when the customer is blacklisted or on supply hold, the project is in "
    "legal recovery or written off, or the project's exposure (unsettled invoices and "
    "deliveries not yet invoiced) plus `amount` would exceed its credit limit.",
)
def gate(
    request,
    customer: str = query_column(Customer, "code", ...),
    project: str | None = query_column(Project, "code"),
    as_of: DateIn | None = None,
    amount: MoneyIn = "0",
):
    customer_obj = Customer.objects.visible_to(request.user).get(code=customer)
    project_obj = None
    if project:
        project_obj = Project.objects.visible_to(request.user).get(code=project)
    value = services.money(amount, "amount", positive=False)
    as_of = as_of or timezone.localdate()
    verdict = order_gate(customer=customer_obj, project=project_obj, as_of=as_of, amount=value)
    return {
        "allowed": verdict.allowed,
        "verdict": verdict.line(),
        "reasons": [{"code": r.code, "message": r.message} for r in verdict.reasons],
        "customer": verdict.customer,
        "project": verdict.project,
        "as_of": verdict.as_of,
    }


# Overrides of the order gate ------------------------------------------------------------


@router.post(
    "/projects/{code}/delivery-overrides",
    response={201: DeliveryOverrideOut},
    summary="Let the project's next delivery through the order gate (managers, admin)",
    description="For one delivery, whatever the gate refuses (hold, credit limit, legal, "
    "blacklist), with a written reason; audited, used up by the next delivery.",
)
def delivery_override(request, code: str, payload: DeliveryOverrideIn):
    _require(
        request.user, services.SUPERVISORS, _("Only a supervisor may override the order gate.")
    )
    project = Project.objects.visible_to(request.user).get(code=code)
    override = services.delivery_override_grant(
        actor=request.user, project=project, reason=payload.reason
    )
    return Status(
        201,
        DeliveryOverride.objects.select_related("project", "granted_by", "delivery").get(
            pk=override.pk
        ),
    )
