"""Visits over HTTP: the log, logging a visit, commitments, compliance.

Every read is scoped to the caller. A visit or commitment named in the path that the
caller may not see is 404; a customer, project, contact or user named in a body that
does not exist (or that the caller may not see) is 422 naming the field.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from salesdesk.core.access import assignable_owners
from salesdesk.core.errors import Conflict
from salesdesk.core.models import User
from salesdesk.core.pagination import api_filtered_page
from salesdesk.core.schemas import DateIn, column
from salesdesk.customers.models import Contact, Customer, Project
from salesdesk.lib.dates import date_in_range, month_end, month_or_none, month_start
from salesdesk.visits import selectors, services
from salesdesk.visits.models import Visit
from salesdesk.visits.schemas import (
    CommitmentDoneIn,
    CommitmentOut,
    CommitmentPage,
    ComplianceOut,
    VisitIn,
    VisitOut,
    VisitPage,
)

router = Router(tags=["visits"])


class VisitQuery(Schema):
    salesperson: str | None = column(User, "username", None)
    customer: str | None = column(Customer, "code", None)
    outcome: str | None = column(Visit, "outcome", None)
    date_from: DateIn | None = None
    date_to: DateIn | None = None
    project: str | None = column(Project, "code", None)
    page: int = 1
    page_size: int = 50


class CommitmentQuery(Schema):
    state: str | None = Field(None, max_length=20)
    salesperson: str | None = column(User, "username", None)
    customer: str | None = column(Customer, "code", None)
    page: int = 1
    page_size: int = 50


class ComplianceQuery(Schema):
    month: str | None = Field(None, max_length=7, description="YYYY-MM")
    salesperson: str | None = column(User, "username", None)


def _params(query: Schema) -> dict:
    return {
        k: v
        for k, v in query.dict().items()
        if v not in (None, "") and k not in ("page", "page_size")
    }


# Visits --------------------------------------------------------------------------------


@router.get("/visits", response=VisitPage, summary="Visits the caller may see, newest first")
def visit_list(request, query: Query[VisitQuery]):
    filterset, queryset = selectors.visit_list(request.user, _params(query))
    return api_filtered_page(filterset, queryset, query.page, query.page_size)


def _salesperson(user: User, username: str | None) -> User:
    if username is None:
        return user
    salesperson = assignable_owners(user).filter(username=username.strip()).first()
    if salesperson is None:
        raise ValidationError(
            {"salesperson": _("You cannot log visits for %(user)s.") % {"user": username}}
        )
    return salesperson


def _visit_values(user: User, customer: Customer, payload: VisitIn) -> dict:
    errors = {}
    project = None
    if payload.project:
        project = (
            Project.objects.visible_to(user).filter(customer=customer, code=payload.project).first()
        )
        if project is None:
            errors["project"] = _("No project %(code)s at this customer.") % {
                "code": payload.project
            }
    wanted = set(payload.contacts)
    contacts = list(Contact.objects.filter(customer=customer, pk__in=wanted))
    if len(contacts) != len(wanted):
        errors["contacts"] = _("Only the customer's own contacts can be recorded as met.")
    commitment = None
    if payload.commitment is not None:
        contact = None
        if payload.commitment.contact is not None:
            contact = Contact.objects.filter(
                customer=customer, pk=payload.commitment.contact
            ).first()
            if contact is None:
                errors["commitment_contact"] = _("The contact is not one of this customer's.")
        commitment = services.CommitmentIn(
            what=payload.commitment.what,
            who=payload.commitment.who,
            due=payload.commitment.due,
            contact=contact,
        )
    if errors:
        raise ValidationError(errors)
    return {
        "date": payload.date, "outcome": payload.outcome.value, "project": project,
        "purpose": payload.purpose, "contacts": contacts, "notes": payload.notes,
        "next_step": payload.next_step, "next_step_due": payload.next_step_due,
        "satisfaction": payload.satisfaction, "manager_involved": payload.manager_involved,
        "commitment": commitment,
    }  # fmt: skip


@router.post(
    "/visits",
    response={200: VisitOut, 201: VisitOut},
    summary="Log a visit (sales, managers, admin)",
    description=(
        "Idempotent by the visit's natural key (customer, salesperson, date): the first "
        "post is 201; the same visit again is 200; the same key with other content is 409. "
        "An advance must carry its commitment (what, who, by when)."
    ),
)
def visit_create(request, payload: VisitIn):
    user = request.user
    services.require_logger(user)
    customer = Customer.objects.visible_to(user).filter(code=payload.customer.strip()).first()
    if customer is None:
        raise ValidationError({"customer": _("No customer %(code)s.") % {"code": payload.customer}})
    salesperson = _salesperson(user, payload.salesperson)
    values = _visit_values(user, customer, payload)
    existing = Visit.objects.filter(
        customer=customer, salesperson=salesperson, date=payload.date
    ).first()
    if existing is not None:
        visible = selectors.visit_queryset(user).filter(pk=existing.pk).exists()
        if visible and not services.visit_differences(existing, values):
            return Status(200, selectors.visit_get(user, existing.pk))
        raise Conflict(
            _("%(user)s already logged a visit at %(customer)s on %(date)s, with other content.")
            % {"user": salesperson.username, "customer": customer.code, "date": payload.date}
        )
    visit = services.visit_record(actor=user, customer=customer, salesperson=salesperson, **values)
    return Status(201, selectors.visit_get(user, visit.pk))


@router.get(
    "/visits/compliance",
    response=ComplianceOut,
    summary="Visit compliance per salesperson for a month, with outcomes and advance rate",
    description=(
        "month=YYYY-MM (default: this month). Each customer is assessed in the month its "
        "tier's visit period ends (monthly tiers every month, quarterly ones in the "
        "quarter's last month); `deferred` lists the tiers whose period is still running."
    ),
)
def visit_compliance(request, query: Query[ComplianceQuery]):
    today = timezone.localdate()
    month = month_start(today)
    if query.month:
        month = month_or_none(query.month)
        try:
            date_in_range(month)
        except (TypeError, ValueError):
            raise ValidationError({"month": _("Write the month as YYYY-MM.")}) from None
    salesperson = None
    if query.salesperson:
        salesperson = User.objects.filter(username=query.salesperson).first()
        if salesperson is None:
            raise ValidationError(
                {"salesperson": _("No user %(name)s.") % {"name": query.salesperson}}
            )
    report = selectors.compliance(request.user, month, today=today, salesperson=salesperson)
    mix, mix_total = selectors.outcome_mix(
        request.user, month, month_end(month), salesperson=salesperson
    )
    return {
        "month": f"{month:%Y-%m}",
        "complete": report.complete,
        "assessed": [_rule_out(*rule) for rule in report.rules],
        "deferred": [_rule_out(*rule) for rule in report.deferred],
        "rows": [
            {
                "salesperson": row.salesperson.username,
                "name": row.salesperson.name,
                "due": row.due,
                "met": row.met,
                "short_of_visits": row.short_of_visits,
                "without_manager": row.without_manager,
                "ratio": _text(row.ratio),
                "customers": [_customer_out(c) for c in row.customers],
            }
            for row in report.rows
        ],
        "totals": {"due": report.due, "met": report.met, "ratio": _text(report.ratio)},
        "outcomes": [_mix_out(row) for row in mix],
        "outcome_totals": _mix_out(mix_total),
    }


def _customer_out(row) -> dict:
    return {
        "customer": row.customer.code, "name": row.customer.name, "tier": row.tier,
        "required": row.required, "visits": row.visits, "manager_visits": row.manager_visits,
        "met": row.met, "last_visit": row.last_visit,
    }  # fmt: skip


def _text(value) -> str | None:
    return None if value is None else str(value)


def _rule_out(rule, start, end) -> dict:
    return {
        "tier": rule.tier, "required": rule.required, "period": rule.period,
        "needs_manager": rule.needs_manager, "period_start": start, "period_end": end,
    }  # fmt: skip


def _mix_out(row) -> dict:
    return {
        "salesperson": row.username or None,
        "name": row.name,
        "visits": row.total,
        **row.counts,
        "advance_rate": _text(row.advance_rate),
        "decided_share": _text(row.decided_share),
    }


@router.get("/visits/{visit_id}", response=VisitOut)
def visit_detail(request, visit_id: int):
    return selectors.visit_get(request.user, visit_id)


# Commitments ---------------------------------------------------------------------------


@router.get(
    "/commitments",
    response=CommitmentPage,
    summary="Commitments of advances the caller may see (state: open, overdue, done)",
)
def commitment_list(request, query: Query[CommitmentQuery]):
    filterset, queryset = selectors.commitment_list(request.user, _params(query))
    return api_filtered_page(filterset, queryset, query.page, query.page_size)


@router.post(
    "/commitments/{commitment_id}/done",
    response={200: CommitmentOut},
    summary="Mark a commitment kept (sales, managers, admin); a second time is 409",
)
def commitment_done(request, commitment_id: int, payload: CommitmentDoneIn):
    commitment = selectors.commitment_get(request.user, commitment_id)
    services.commitment_complete(
        actor=request.user, commitment=commitment, done_on=payload.done_on, note=payload.note
    )
    return selectors.commitment_list(request.user, {})[1].get(pk=commitment.pk)
