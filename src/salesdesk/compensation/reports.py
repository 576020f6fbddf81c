"""Compensation reports in the published shapes of FORMATS.md: commissions, advances
(registered by name in analytics/reports.py)."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from salesdesk.compensation.choices import AdvanceStatus
from salesdesk.compensation.models import Advance
from salesdesk.compensation.rules import format_points
from salesdesk.compensation.statements import Line, StatementData, month_statements
from salesdesk.core.models import User
from salesdesk.core.reporting import Report, ReportError
from salesdesk.lib.dates import parse_month
from salesdesk.lib.money import ZERO, format_money

MONEY_COLUMNS = ("collected", "earned", "held_back", "released", "forfeited", "payable")


@dataclass
class CommissionsReport(Report):
    """The commissions report; its envelope also carries each statement's status."""

    statements: list[dict] = field(default_factory=list)

    def envelope(self) -> dict:
        document = super().envelope()
        document["statements"] = self.statements
        return document


def _month(text: str) -> dt.date:
    try:
        return parse_month(text)
    except ValueError as exc:
        raise ReportError(f"month: {exc}") from None


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def line_row(line: Line, salesperson: str) -> dict:
    """One statement line as a report row: every input of its rate, money as strings."""
    return {
        "kind": str(line.kind),
        "salesperson": salesperson,
        "project": line.project,
        "payment": line.payment or None,
        "payment_date": _iso(line.payment_date),
        "invoice": line.invoice or None,
        "date": _iso(line.date),
        "of_month": f"{line.of_month:%Y-%m}" if line.of_month else None,
        "days_past_due": line.days_past_due,
        "tier": line.tier or None,
        "collected": format_money(line.collected),
        "base_rate": format_points(line.base_rate),
        "completion": None if line.completion is None else str(line.completion),
        "band_points": format_points(line.band_points),
        "legal_points": format_points(line.legal_points),
        "penalty_points": format_points(line.band_points + line.legal_points),
        "bonus_points": format_points(line.bonus_points),
        "rate": format_points(line.rate),
        "earned": format_money(line.earned),
        "held_back": format_money(line.held_back),
        "released": format_money(line.released),
        "forfeited": format_money(line.forfeited),
        "payable": format_money(line.payable),
    }


def commissions_report(
    *,
    month: str | None = None,
    as_of: dt.date | None = None,
    salespeople: QuerySet[User] | None = None,
    **_ignored,
) -> CommissionsReport:
    """Every statement line of the month (default: the month of `as_of`), salesperson by
    salesperson; the envelope lists each statement with its status (open/finalised)."""
    if month is None:
        if as_of is None:
            raise ReportError("commissions needs --month YYYY-MM")
        month = f"{as_of:%Y-%m}"
    first = _month(month)
    statements = month_statements(first)
    allowed = None if salespeople is None else set(salespeople.values_list("pk", flat=True))
    names = dict(User.objects.filter(pk__in=list(statements)).values_list("pk", "username"))
    chosen: list[StatementData] = sorted(
        (s for sp, s in statements.items() if allowed is None or sp in allowed),
        key=lambda s: names[s.salesperson_id],
    )
    rows, totals = [], dict.fromkeys(MONEY_COLUMNS, ZERO)
    summaries = []
    for statement in chosen:
        name = names[statement.salesperson_id]
        for line in statement.lines:
            rows.append(line_row(line, name))
        for column in MONEY_COLUMNS:
            totals[column] += statement.total(column)
        summaries.append(
            {
                "id": statement.id,
                "salesperson": name,
                "status": str(statement.status),
                "payable": format_money(statement.total("payable")),
            }
        )
    return CommissionsReport(
        name="commissions", month=month, rows=rows,
        totals={column: format_money(value) for column, value in totals.items()},
        statements=summaries,
    )  # fmt: skip


def advance_status_on(advance: Advance, day: dt.date) -> str | None:
    """The advance's status on `day`; None when it was not open then."""
    if advance.asked_on > day:
        return None
    if advance.written_off_on and advance.written_off_on <= day:
        return None
    if advance.status == AdvanceStatus.REJECTED and advance.decided_on <= day:
        return None
    if advance.paid_on and advance.paid_on <= day:
        return AdvanceStatus.PAID.value
    if advance.decided_on and advance.decided_on <= day and advance.decided_by_id:
        return AdvanceStatus.APPROVED.value
    return AdvanceStatus.ASKED.value


def advances_report(
    *, as_of: dt.date, advances: QuerySet[Advance] | None = None, **_ignored
) -> Report:
    """Every expense advance open on `as_of` (asked, approved or paid; not written off),
    with the cap and the figures it was checked against on the day it was asked."""
    if advances is None:
        advances = Advance.objects.all()
    advances = (
        advances.filter(asked_on__lte=as_of)
        .exclude(Q(written_off_on__lte=as_of) | Q(status=AdvanceStatus.REJECTED, decided_on__lte=as_of))
        .select_related("salesperson", "project")
        .order_by("salesperson__username", "project__code", "asked_on", "id")
    )  # fmt: skip
    rows, totals = [], dict.fromkeys(("amount", "cap", "collected", "billed"), ZERO)
    for advance in advances:
        status = advance_status_on(advance, as_of)
        if status is None:
            continue
        rows.append(
            {
                "salesperson": advance.salesperson.username,
                "project": advance.project.code,
                "amount": format_money(advance.amount),
                "status": status,
                "asked_on": advance.asked_on.isoformat(),
                "cap": format_money(advance.cap),
                "collected": format_money(advance.collected),
                "billed": format_money(advance.billed),
                "purpose": advance.purpose,
            }
        )
        for column in totals:
            totals[column] += getattr(advance, column)
    return Report(
        name="advances", as_of=as_of, rows=rows,
        totals={column: format_money(value) for column, value in totals.items()},
    )  # fmt: skip
