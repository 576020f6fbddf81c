"""Compensation endpoints: commission statements (open ones computed, finalised ones
stored, both under one id), finalising a month, and expense advances.

Every read is scoped: a salesperson sees their own statements and advances, a manager
their team's, finance and the company roles everyone's; anything else is 404."""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from salesdesk.compensation import services
from salesdesk.compensation.models import Advance
from salesdesk.compensation.reports import line_row
from salesdesk.compensation.rules import format_points
from salesdesk.compensation.schemas import (
    AdvanceIn,
    AdvanceOut,
    AdvancePage,
    AdvanceRejectIn,
    MonthFinaliseIn,
    MonthFinaliseOut,
    StatementDetailOut,
    StatementOut,
)
from salesdesk.compensation.selectors import (
    advances_visible,
    band_note,
    open_advances,
    statement_visible,
    statements_visible,
)
from salesdesk.compensation.statements import StatementData
from salesdesk.core.access import visible_people
from salesdesk.core.pagination import api_page
from salesdesk.customers.models import Project
from salesdesk.lib.dates import date_in_range

router = Router(tags=["compensation"])
MONTH = re.compile(r"^\d{4}-\d{2}$", re.ASCII)


def parse_month_field(text: str, field: str = "month") -> dt.date:
    try:
        if not MONTH.match(text):
            raise ValueError
        return date_in_range(dt.date.fromisoformat(f"{text}-01"))
    except ValueError:
        raise ValidationError(
            {field: _("%(value)s is not a month; expected YYYY-MM.") % {"value": text}}
        ) from None


def statement_out(statement: StatementData) -> dict:
    band = statement.band
    return {
        "id": statement.id,
        "month": f"{statement.month:%Y-%m}",
        "salesperson": statement.salesperson.username,
        "status": str(statement.status),
        "finalised_at": statement.finalised_at,
        "task_count": band.task_count,
        "task_target": band.target,
        "task_collected": band.collected,
        "completion": None if band.completion is None else str(band.completion),
        "band_points": format_points(band.points),
        "band_note": band_note(statement),
        "totals": statement.totals,
    }


@router.get(
    "/commission-statements",
    response=list[StatementOut],
    summary="Commission statements of a month the caller may see (default: this month)",
)
def statement_list(
    request,
    month: str | None = Query(None, max_length=7),
    salesperson: str | None = Query(None, max_length=150),
):
    first = parse_month_field(month) if month else dt.date.today().replace(day=1)
    person = None
    if salesperson:
        person = visible_people(request.user).filter(username=salesperson).first()
        if person is None:
            return []
    return [statement_out(s) for s in statements_visible(request.user, first, person)]


@router.post(
    "/commission-statements/finalise",
    response=MonthFinaliseOut,
    summary="Finalise a month's statements (finance); finalising again changes nothing",
)
def statement_finalise(request, payload: MonthFinaliseIn):
    services.require_role(
        request.user, services.FINALISERS, _("Only finance may finalise commission statements.")
    )
    month = parse_month_field(payload.month)
    result = services.month_finalise(actor=request.user, month=month, today=dt.date.today())
    return {
        "month": payload.month,
        "created": result.created,
        "statements": result.statements,
        "finalised_at": result.close.finalised_at,
    }


@router.get(
    "/commission-statements/{statement_id}",
    response=StatementDetailOut,
    summary="One statement with its lines, hold-back by project and open advances",
)
def statement_detail(request, statement_id: str):
    statement = statement_visible(request.user, statement_id[:40])
    if statement is None:
        raise Advance.DoesNotExist  # answered 404, like any record out of scope
    body = statement_out(statement)
    username = statement.salesperson.username
    body["lines"] = [line_row(line, username) for line in statement.lines]
    body["held_back_by_project"] = [
        {"project": code, "held_back": held} for code, held in sorted(statement.held.items())
    ]
    body["open_advances"] = open_advances(statement.salesperson_id)
    return body


# Advances -----------------------------------------------------------------------------


@router.get("/advances", response=AdvancePage, summary="Expense advances the caller may see")
def advance_list(
    request,
    status: str | None = Query(None, max_length=20),
    page: int = Query(1, ge=1, le=1_000_000),
    page_size: int = Query(50, ge=1, le=500),
):
    advances = advances_visible(request.user).order_by("-asked_on", "-id")
    if status:
        advances = advances.filter(status=status)
    return api_page(advances, page, page_size)


@router.post(
    "/advances",
    response={200: AdvanceOut, 201: AdvanceOut},
    summary="Ask for an expense advance; 422 naming the cap when it would exceed it",
)
def advance_create(request, payload: AdvanceIn):
    services.require_role(
        request.user, services.ASKERS, _("Only a salesperson may ask for an advance.")
    )
    project = Project.objects.visible_to(request.user).filter(code=payload.project).first()
    if project is None:
        raise ValidationError({"project": _("No such project.")})
    advance, created = services.advance_request(
        actor=request.user, project=project, amount=payload.amount, purpose=payload.purpose,
        today=dt.date.today(),
    )  # fmt: skip
    return Status(201 if created else 200, advance)


def _advance(request, advance_id: int) -> Advance:
    return advances_visible(request.user).get(pk=advance_id)


@router.post("/advances/{advance_id}/approve", response=AdvanceOut, summary="Approve (manager)")
def advance_approve(request, advance_id: int):
    advance = _advance(request, advance_id)
    return services.advance_approve(actor=request.user, advance=advance, today=dt.date.today())


@router.post("/advances/{advance_id}/reject", response=AdvanceOut, summary="Reject (manager)")
def advance_reject(request, advance_id: int, payload: AdvanceRejectIn | None = None):
    advance = _advance(request, advance_id)
    reason = payload.reason if payload else ""
    return services.advance_reject(
        actor=request.user, advance=advance, today=dt.date.today(), reason=reason
    )


@router.post("/advances/{advance_id}/pay", response=AdvanceOut, summary="Record payment (finance)")
def advance_pay(request, advance_id: int):
    advance = _advance(request, advance_id)
    return services.advance_pay(actor=request.user, advance=advance, today=dt.date.today())
