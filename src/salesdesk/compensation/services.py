"""Writes of compensation: finalising a month, the expense-advance workflow, and the daily
write-off of advances (DOMAIN §7)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from salesdesk.compensation import rules
from salesdesk.compensation.choices import OPEN_ADVANCE, AdvanceStatus
from salesdesk.compensation.models import Advance, MonthClose, Statement, StatementLine
from salesdesk.compensation.statements import (
    closes,
    first_open_month,
    month_statements,
)
from salesdesk.core.choices import Role
from salesdesk.core.models import User
from salesdesk.core.policy import policy_as_of
from salesdesk.core.services import PermissionDenied, audit_record
from salesdesk.customers.choices import ProjectStatus
from salesdesk.customers.models import Project
from salesdesk.ledger.allocation import project_balances
from salesdesk.ledger.models import Expense
from salesdesk.ledger.services import money
from salesdesk.lib.dates import month_end, next_month
from salesdesk.lib.money import ZERO

FINALISERS = (Role.FINANCE, Role.ADMIN)
APPROVERS = (Role.MANAGER, Role.ADMIN)
PAYERS = (Role.FINANCE, Role.ADMIN)
ASKERS = (Role.SALES, Role.MANAGER)
ADVANCE_CATEGORY = "advance"
FINALISE_LOCK = 7343007


def require_role(actor: User | None, roles, message: str) -> None:
    if actor is not None and not (actor.is_superuser or actor.has_role(*roles)):
        raise PermissionDenied(message)


# Finalising ---------------------------------------------------------------------------


@dataclass
class Finalised:
    close: MonthClose
    created: bool
    statements: int


def month_finalise(*, actor: User | None, month: dt.date, today: dt.date) -> Finalised:
    """Freeze the month's statements. Finalising a finalised month changes nothing; months
    are finalised in order, each once it has ended; the first one finalised is go-live."""
    require_role(actor, FINALISERS, _("Only finance may finalise commission statements."))
    month = month.replace(day=1)
    with transaction.atomic():
        _lock()
        existing = MonthClose.objects.filter(month=month).first()
        if existing:
            return Finalised(existing, False, existing.statements.count())
        if month_end(month) >= today:
            raise ValidationError(
                _("%(month)s has not ended yet: it can be finalised from %(day)s.")
                % {"month": f"{month:%Y-%m}", "day": next_month(month).isoformat()}
            )
        closed = closes()
        first_open = first_open_month(closed)
        if first_open is not None and month != first_open:
            raise ValidationError(
                _("Finalise %(first)s first: months are finalised in order.")
                % {"first": f"{first_open:%Y-%m}"}
            )
        statements = month_statements(month)
        close = MonthClose.objects.create(
            month=month, finalised_at=_now(), finalised_by=actor if actor and actor.pk else None
        )
        stored = _store(close, statements)
        audit_record(
            actor=actor, action="finalise", obj=close,
            changes={"statements": [None, stored]},
        )  # fmt: skip
    return Finalised(close, True, stored)


def _now() -> dt.datetime:
    from django.utils import timezone

    return timezone.now()


def _lock() -> None:
    # Two finance users finalising at once: the second waits here, then finds the close.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FINALISE_LOCK])


def _store(close: MonthClose, statements) -> int:
    rows, lines = [], []
    for data in statements.values():
        if not data.lines and not data.band.task_count:
            continue
        totals = data.totals
        statement = Statement(
            close=close, month=close.month, salesperson_id=data.salesperson_id,
            task_count=data.band.task_count, task_target=data.band.target,
            task_collected=data.band.collected, band_points=data.band.points,
            earned=totals["earned"], held_back=totals["held_back"],
            released=totals["released"], payable=totals["payable"],
        )  # fmt: skip
        rows.append((statement, data.lines))
    Statement.objects.bulk_create([statement for statement, _lines in rows], batch_size=1000)
    for statement, data_lines in rows:
        for position, line in enumerate(data_lines, start=1):
            lines.append(_stored_line(statement, position, line))
    StatementLine.objects.bulk_create(lines, batch_size=2000)
    return len(rows)


def _stored_line(statement: Statement, position: int, line) -> StatementLine:
    return StatementLine(
        statement=statement, position=position, kind=line.kind, project_id=line.project_id,
        payment_id=line.payment_id, invoice_id=line.invoice_id, slice_date=line.date,
        of_month=line.of_month, days_past_due=line.days_past_due, tier=line.tier,
        collected=line.collected, base_rate=line.base_rate, band_points=line.band_points,
        completion=line.completion, legal_points=line.legal_points,
        bonus_points=line.bonus_points, rate=line.rate, earned=line.earned,
        held_back=line.held_back, released=line.released, forfeited=line.forfeited,
        payable=line.payable,
    )  # fmt: skip


# Advances -----------------------------------------------------------------------------


@dataclass
class CapFigures:
    cap: Decimal
    billed: Decimal
    collected: Decimal
    open: Decimal
    pct: Decimal


def advance_cap_figures(project: Project, day: dt.date) -> CapFigures:
    """The cap of a project's open advances on `day` and the figures it comes from."""
    policy = policy_as_of(day)
    balance = project_balances(day, Project.objects.filter(pk=project.pk)).get(project.pk)
    billed = balance.billed if balance else ZERO
    collected = billed - balance.outstanding if balance else ZERO
    open_total = sum(
        Advance.objects.filter(project=project, status__in=OPEN_ADVANCE).values_list(
            "amount", flat=True
        ),
        ZERO,
    )
    return CapFigures(
        cap=rules.advance_cap(policy, billed, collected), billed=billed, collected=collected,
        open=open_total, pct=policy["advances.cap_pct"],
    )  # fmt: skip


def cap_message(figures: CapFigures, amount: Decimal) -> str:
    return _(
        "Refused: open advances on the project would be %(total)s, over the cap "
        "%(cap)s: %(pct)s%% of %(collected)s collected (billed %(billed)s × collection "
        "ratio); already open %(open)s."
    ) % {
        "total": f"{figures.open + amount:.2f}",
        "cap": f"{figures.cap:.2f}",
        "pct": _plain(figures.pct),
        "collected": f"{figures.collected:.2f}",
        "billed": f"{figures.billed:.2f}",
        "open": f"{figures.open:.2f}",
    }


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


@transaction.atomic
def advance_request(
    *, actor: User, project: Project, amount, purpose: str, today: dt.date
) -> tuple[Advance, bool]:
    """A salesperson asks for an advance against a project they may see. The cap is
    checked on the day asked. The same request (same person, project, day, amount,
    purpose) twice is one request."""
    require_role(actor, ASKERS, _("Only a salesperson may ask for an advance."))
    if not Project.objects.visible_to(actor).filter(pk=project.pk).exists():
        raise Project.DoesNotExist
    amount = money(amount, "amount")
    purpose = " ".join(str(purpose or "").split())
    if not purpose:
        raise ValidationError({"purpose": _("Say what the advance is for.")})
    if project.status in (ProjectStatus.WRITTEN_OFF,):
        raise ValidationError({"project": _("The project is written off.")})
    # One request at a time per project, so two at once cannot both pass the cap.
    Project.objects.select_for_update().filter(pk=project.pk).first()
    same = Advance.objects.filter(
        salesperson=actor, project=project, asked_on=today, amount=amount, purpose=purpose
    ).first()
    if same:
        return same, False
    figures = advance_cap_figures(project, today)
    if figures.open + amount > figures.cap:
        raise ValidationError(cap_message(figures, amount))
    advance = Advance.objects.create(
        salesperson=actor, project=project, amount=amount, purpose=purpose, asked_on=today,
        cap=figures.cap, billed=figures.billed, collected=figures.collected,
    )  # fmt: skip
    audit_record(
        actor=actor, action="advance_request", obj=advance,
        changes={"amount": [None, str(amount)], "cap": [None, str(figures.cap)]},
    )  # fmt: skip
    return advance, True


def _locked(advance: Advance) -> Advance:
    return Advance.objects.select_for_update().get(pk=advance.pk)


def _move(advance: Advance, expected: tuple[str, ...], target: str) -> bool:
    """False when the advance already is where the step would take it (a retry)."""
    if advance.status == target:
        return False
    if advance.status not in expected:
        raise ValidationError(
            _("The advance is %(status)s; it cannot become %(target)s.")
            % {"status": advance.get_status_display(), "target": AdvanceStatus(target).label}
        )
    return True


def _require_team(actor: User, advance: Advance) -> None:
    if not Advance.objects.visible_to(actor).filter(pk=advance.pk).exists():
        raise Advance.DoesNotExist
    if actor.pk == advance.salesperson_id and not actor.is_admin:
        raise PermissionDenied(_("Nobody approves their own advance."))


@transaction.atomic
def advance_approve(*, actor: User, advance: Advance, today: dt.date) -> Advance:
    require_role(actor, APPROVERS, _("Only a sales manager may approve an advance."))
    _require_team(actor, advance)
    advance = _locked(advance)
    if _move(advance, (AdvanceStatus.ASKED,), AdvanceStatus.APPROVED):
        advance.status, advance.decided_by, advance.decided_on = (
            AdvanceStatus.APPROVED, actor, today,
        )  # fmt: skip
        advance.save(update_fields=["status", "decided_by", "decided_on", "updated_at"])
        audit_record(actor=actor, action="advance_approve", obj=advance)
    return advance


@transaction.atomic
def advance_reject(*, actor: User, advance: Advance, today: dt.date, reason: str = "") -> Advance:
    require_role(actor, APPROVERS, _("Only a sales manager may reject an advance."))
    _require_team(actor, advance)
    advance = _locked(advance)
    if _move(advance, (AdvanceStatus.ASKED,), AdvanceStatus.REJECTED):
        advance.status, advance.decided_by, advance.decided_on = (
            AdvanceStatus.REJECTED, actor, today,
        )  # fmt: skip
        advance.reason = " ".join(str(reason or "").split())[:300]
        advance.save(update_fields=["status", "decided_by", "decided_on", "reason", "updated_at"])
        audit_record(actor=actor, action="advance_reject", obj=advance, reason=advance.reason)
    return advance


@transaction.atomic
def advance_pay(*, actor: User, advance: Advance, today: dt.date) -> Advance:
    require_role(actor, PAYERS, _("Only finance may pay an advance."))
    advance = _locked(advance)
    if _move(advance, (AdvanceStatus.APPROVED,), AdvanceStatus.PAID):
        advance.status, advance.paid_by, advance.paid_on = AdvanceStatus.PAID, actor, today
        advance.save(update_fields=["status", "paid_by", "paid_on", "updated_at"])
        audit_record(actor=actor, action="advance_pay", obj=advance)
    return advance


def advances_write_off(*, day: dt.date) -> list[Advance]:
    """Paid advances of projects 100% collected on `day` (completed, nothing outstanding)
    become sales expenses of their salesperson, dated `day` (核销). Idempotent: a
    written-off advance is not paid any more."""
    paid = Advance.objects.filter(
        status=AdvanceStatus.PAID,
        paid_on__lte=day,
        project__status=ProjectStatus.COMPLETED,
        project__completed_on__lte=day,
    )
    project_ids = set(paid.values_list("project_id", flat=True))
    if not project_ids:
        return []
    balances = project_balances(day, Project.objects.filter(pk__in=project_ids))
    done = [pk for pk, b in balances.items() if b.billed > 0 and b.outstanding == 0]
    written = []
    for advance in paid.filter(project_id__in=done).select_for_update().order_by("id"):
        expense = Expense.objects.create(
            reference=advance.reference, salesperson_id=advance.salesperson_id,
            project_id=advance.project_id, date=day, amount=advance.amount,
            category=ADVANCE_CATEGORY,
        )  # fmt: skip
        advance.status, advance.written_off_on, advance.expense = (
            AdvanceStatus.WRITTEN_OFF, day, expense,
        )  # fmt: skip
        advance.save(update_fields=["status", "written_off_on", "expense", "updated_at"])
        audit_record(actor=None, action="advance_write_off", obj=advance)
        written.append(advance)
    return written
