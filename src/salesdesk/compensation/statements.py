"""Commission statements of a month (DOMAIN §7), computed in a handful of queries.

An open month is computed on demand: the ledger's settlement slices of the month (one per
payment and invoice it settles, `ledger.allocation.settlement_slices`), each priced with
the rules of its date; then, in the first open month only, the adjustments (what changed
since finalisation in the months already finalised) and the forfeits of written-off
projects; in every month, the release of the hold-back of projects that became 100%
collected. A finalised month is read back from its stored lines, never recomputed.

Ids: a statement is named by its month and salesperson ("2026-03-sp17"), open or
finalised, so the same id reaches it before and after finalisation.
"""

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.db.models import Exists, OuterRef, Q, Sum

from salesdesk.collections.choices import TaskStatus
from salesdesk.collections.measures import payments_between
from salesdesk.collections.models import CollectionTask, LegalCase
from salesdesk.compensation import rules
from salesdesk.compensation.choices import LineKind, StatementStatus
from salesdesk.compensation.models import MonthClose, Statement, StatementLine
from salesdesk.compensation.policies import policies_on
from salesdesk.compensation.tiers import tiers_on
from salesdesk.core.choices import Role
from salesdesk.core.models import User
from salesdesk.customers.choices import ProjectStatus
from salesdesk.customers.models import Project
from salesdesk.ledger.allocation import Slice, project_balances, settlement_slices
from salesdesk.ledger.models import Invoice, InvoiceReversal, Payment, PaymentReversal
from salesdesk.lib.dates import month_end, next_month
from salesdesk.lib.money import ZERO, to_cents

KIND_ORDER = {LineKind.PAYMENT: 0, LineKind.ADJUSTMENT: 1, LineKind.RELEASE: 2, LineKind.FORFEIT: 3}
STATEMENT_ID = re.compile(r"(\d{4})-(\d{2})-sp(\d+)")


@dataclass
class Band:
    """The band penalty's inputs: the salesperson's issued tasks of the month."""

    task_count: int = 0
    target: Decimal = ZERO
    collected: Decimal = ZERO
    points: Decimal = rules.NO_POINTS

    @property
    def completion(self) -> Decimal | None:
        """Σ collected / Σ target, cut (not rounded) to 4 places, so 99.999% never shows as
        the 100% it did not reach; None without an issued task."""
        if not self.task_count:
            return None
        return (self.collected / self.target).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)


@dataclass
class Line:
    kind: str
    salesperson_id: int
    project_id: int
    project: str
    collected: Decimal = ZERO
    payment_id: int | None = None
    payment: str = ""
    payment_date: dt.date | None = None
    invoice_id: int | None = None
    invoice: str = ""
    date: dt.date | None = None
    of_month: dt.date | None = None
    days_past_due: int | None = None
    tier: str = ""
    base_rate: Decimal = rules.NO_POINTS
    band_points: Decimal = rules.NO_POINTS
    completion: Decimal | None = None
    legal_points: Decimal = rules.NO_POINTS
    bonus_points: Decimal = rules.NO_POINTS
    rate: Decimal = rules.NO_POINTS
    earned: Decimal = ZERO
    held_back: Decimal = ZERO
    released: Decimal = ZERO
    # A forfeit line's amount: held back, never to be paid (not part of payable).
    forfeited: Decimal = ZERO

    @property
    def payable(self) -> Decimal:
        return self.earned - self.held_back + self.released

    @property
    def kind_label(self) -> str:
        return LineKind(self.kind).label

    def sort_key(self) -> tuple:
        return (
            KIND_ORDER[self.kind], self.date or dt.date.min, self.project, self.payment,
            self.invoice,
        )  # fmt: skip


@dataclass
class StatementData:
    month: dt.date
    salesperson_id: int
    status: str = StatementStatus.OPEN
    band: Band = field(default_factory=Band)
    lines: list[Line] = field(default_factory=list)
    finalised_at: dt.datetime | None = None
    salesperson: User | None = None
    # Hold-back still held after this month, per project code.
    held: dict[str, Decimal] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return statement_id(self.month, self.salesperson_id)

    def total(self, name: str) -> Decimal:
        return sum((getattr(line, name) for line in self.lines), ZERO)

    @property
    def totals(self) -> dict[str, Decimal]:
        return {
            name: self.total(name)
            for name in ("collected", "earned", "held_back", "released", "forfeited", "payable")
        }


NO_BAND = Band()


def statement_id(month: dt.date, salesperson_id: int) -> str:
    return f"{month:%Y-%m}-sp{salesperson_id}"


def parse_statement_id(text: str) -> tuple[dt.date, int] | None:
    match = STATEMENT_ID.fullmatch(text)
    if not match:
        return None
    year, month, salesperson = (int(part) for part in match.groups())
    if not (1900 <= year <= 2200 and 1 <= month <= 12):
        return None
    return dt.date(year, month, 1), salesperson


# Months -----------------------------------------------------------------------------


def closes() -> list[tuple[dt.date, dt.datetime]]:
    return list(MonthClose.objects.order_by("month").values_list("month", "finalised_at"))


def first_open_month(closed: list[tuple[dt.date, dt.datetime]]) -> dt.date | None:
    """The month after the last finalised one; None before the first finalisation."""
    return next_month(closed[-1][0]) if closed else None


def is_finalised(month: dt.date, closed: list[tuple[dt.date, dt.datetime]]) -> bool:
    return bool(closed) and closed[0][0] <= month <= closed[-1][0]


# Entry point --------------------------------------------------------------------------


def month_statements(month: dt.date) -> dict[int, StatementData]:
    """{salesperson id: statement} for the month: stored if finalised, else computed (with
    the open months before it, whose hold-back it carries)."""
    closed = closes()
    if is_finalised(month, closed):
        return stored_statements(month)
    first_open = first_open_month(closed)
    start = first_open if first_open and first_open <= month else month
    balances = finalised_balances() if closed and start == first_open else defaultdict(Decimal)
    statements: dict[int, StatementData] = {}
    m = start
    while m <= month:
        statements = compute_month(
            m, balances, closed=closed, adjust=bool(closed) and m == first_open,
            forfeit=m == start,
        )  # fmt: skip
        m = next_month(m)
    return statements


def statement_for(month: dt.date, salesperson_id: int) -> StatementData:
    return month_statements(month).get(salesperson_id) or StatementData(month, salesperson_id)


# Stored (finalised) ------------------------------------------------------------------


def stored_statements(month: dt.date) -> dict[int, StatementData]:
    """The month's frozen statements; a salesperson with nothing that month has an empty
    finalised one."""
    close = MonthClose.objects.get(month=month)
    statements = {
        sp: StatementData(
            month, sp, status=StatementStatus.FINALISED, finalised_at=close.finalised_at
        )
        for sp in salespeople()
    }
    for row in Statement.objects.filter(month=month).select_related("close"):
        band = Band(row.task_count, row.task_target, row.task_collected, row.band_points)
        statements[row.salesperson_id] = StatementData(
            month=month, salesperson_id=row.salesperson_id, status=StatementStatus.FINALISED,
            band=band, finalised_at=row.close.finalised_at,
        )  # fmt: skip
    lines = (
        StatementLine.objects.filter(statement__month=month)
        .select_related("project", "payment", "invoice", "statement")
        .order_by("statement__salesperson_id", "position")
    )
    for row in lines:
        statements[row.statement.salesperson_id].lines.append(_line_from_row(row))
    held = (
        StatementLine.objects.filter(statement__month__lte=month)
        .values("statement__salesperson_id", "project__code")
        .annotate(held=Sum("held_back") - Sum("released") - Sum("forfeited"))
        .values_list("statement__salesperson_id", "project__code", "held")
    )
    for salesperson, code, amount in held:
        amount = to_cents(amount or ZERO)  # SQLite sums decimals as floating point
        if amount and salesperson in statements:
            statements[salesperson].held[code] = amount
    return statements


def _line_from_row(row: StatementLine) -> Line:
    return Line(
        kind=row.kind, salesperson_id=row.statement.salesperson_id, project_id=row.project_id,
        project=row.project.code, collected=row.collected, payment_id=row.payment_id,
        payment=row.payment.reference if row.payment_id else "",
        payment_date=row.payment.date if row.payment_id else None, invoice_id=row.invoice_id,
        invoice=row.invoice.number if row.invoice_id else "", date=row.slice_date,
        of_month=row.of_month, days_past_due=row.days_past_due, tier=row.tier,
        base_rate=row.base_rate, band_points=row.band_points, completion=row.completion,
        legal_points=row.legal_points, bonus_points=row.bonus_points, rate=row.rate,
        earned=row.earned, held_back=row.held_back, released=row.released,
        forfeited=row.forfeited,
    )  # fmt: skip


def salespeople() -> set[int]:
    return set(
        User.objects.filter(is_active=True, role_set__role=Role.SALES).values_list("pk", flat=True)
    )


def finalised_balances() -> defaultdict[tuple[int, int], Decimal]:
    """Hold-back still held per (salesperson, project) after the finalised months."""
    balances: defaultdict[tuple[int, int], Decimal] = defaultdict(Decimal)
    rows = (
        StatementLine.objects.values("statement__salesperson_id", "project_id")
        .annotate(held=Sum("held_back"), released=Sum("released"), lost=Sum("forfeited"))
        .values_list("statement__salesperson_id", "project_id", "held", "released", "lost")
    )
    for salesperson, project, held, released, lost in rows:
        balance = to_cents(held - released - lost)  # SQLite sums decimals as floating point
        if balance:
            balances[(salesperson, project)] = balance
    return balances


# Computed (open) ---------------------------------------------------------------------


@dataclass
class Context:
    """What pricing a slice reads, fetched once for all the month's slices."""

    projects: dict[int, dict]
    tiers: dict[tuple[int, dt.date], str]
    legal_since: dict[int, dt.date]
    policies: dict
    bands: dict[tuple[int, dt.date], Band]
    rates: dict = field(default_factory=dict)

    def rate(self, day: dt.date, tier: str, band: Decimal, in_legal: bool, days: int) -> tuple:
        """(base, legal, bonus, rate) by the rules of `day`; a month has few distinct
        combinations, so each is worked out once."""
        key = (day, tier, band, in_legal, days)
        found = self.rates.get(key)
        if found is None:
            policy = self.policies[day]
            base = rules.base_rate(policy, tier)
            legal = rules.legal_points(policy, in_legal)
            bonus = rules.bonus_points(policy, days)
            found = self.rates[key] = (base, legal, bonus, rules.rate(base, band, legal, bonus))
        return found


def compute_month(
    month: dt.date,
    balances: defaultdict[tuple[int, int], Decimal],
    *,
    closed: list[tuple[dt.date, dt.datetime]],
    adjust: bool,
    forfeit: bool,
) -> dict[int, StatementData]:
    """The open month's statements; `balances` (hold-back per salesperson and project)
    goes in as before the month and comes out as after it. `adjust`: the first open month
    carries the adjustments of the finalised months; `forfeit`: the first month computed
    carries the forfeits of written-off projects."""
    last = month_end(month)
    slices = settlement_slices(as_of=last, first=month, last=last)
    truth: list[Slice] = []
    recorded: dict[tuple[int, int], list[dict]] = {}
    if adjust:
        truth, recorded = _adjustment_inputs(closed, as_of=last)
    project_ids = {s.project_id for s in slices} | {s.project_id for s in truth}
    project_ids |= {row["project_id"] for rows in recorded.values() for row in rows}
    project_ids |= {project for (_sp, project), held in balances.items() if held}
    context = _context(month, slices + truth, project_ids, closed)

    lines = [_priced(s, context, LineKind.PAYMENT) for s in slices]
    lines += _adjustments(truth, recorded, context)
    lines.sort(key=Line.sort_key)
    missing = {line.date for line in lines} - set(context.policies)
    if missing:  # the dates of recorded slices the records no longer have
        context.policies |= policies_on(missing)
    for line in lines:
        policy = context.policies[line.date]
        key = (line.salesperson_id, line.project_id)
        line.held_back = rules.held_back(policy, line.earned, balances[key])
        balances[key] += line.held_back
    lines += _releases(month, balances, context)
    if forfeit:
        lines += _forfeits(month, balances, context)

    statements = _empty_statements(month, context, {line.salesperson_id for line in lines})
    for line in lines:
        statements[line.salesperson_id].lines.append(line)
    for (salesperson, project), amount in balances.items():
        if amount and salesperson in statements:
            statements[salesperson].held[context.projects[project]["code"]] = amount
    return statements


def _empty_statements(
    month: dt.date, context: Context, with_lines: set[int]
) -> dict[int, StatementData]:
    """One statement for every salesperson with lines, issued tasks or the sales role."""
    people = set(with_lines)
    people |= {sp for (sp, m) in context.bands if m == month}
    people |= salespeople()
    return {
        sp: StatementData(month, sp, band=context.bands.get((sp, month), Band()))
        for sp in sorted(people)
    }


def _context(month: dt.date, slices: list[Slice], project_ids: set[int], closed) -> Context:
    projects = {
        row["pk"]: row
        for row in Project.objects.filter(pk__in=list(project_ids)).values(
            "pk", "code", "owner_id", "customer_id", "status", "completed_on"
        )
    }
    wanted = {(projects[s.project_id]["customer_id"], s.date) for s in slices}
    dates = {s.date for s in slices} | {month_end(month)}
    legal = dict(
        LegalCase.objects.filter(project_id__in=list(project_ids)).values_list(
            "project_id", "opened_on"
        )
    )
    bands = month_bands(month)
    months = {s.date.replace(day=1) for s in slices} - {month}
    bands |= frozen_bands(months)
    return Context(projects, tiers_on(wanted), legal, policies_on(dates), bands)


def month_bands(month: dt.date) -> dict[tuple[int, dt.date], Band]:
    """The band of every salesperson with issued tasks in an open month: collected is the
    assessed figure, or the month's payments so far before the assessment."""
    tasks = list(
        CollectionTask.objects.filter(
            month=month, status__in=[TaskStatus.ISSUED, TaskStatus.ASSESSED]
        ).values_list("salesperson_id", "project_id", "target", "collected")
    )
    pending = [project for _sp, project, _target, collected in tasks if collected is None]
    last = month_end(month)
    live = payments_between(pending, month, last, last)
    bands: dict[tuple[int, dt.date], Band] = {}
    for salesperson, project, target, collected in tasks:
        band = bands.setdefault((salesperson, month), Band())
        band.task_count += 1
        band.target += target
        band.collected += collected if collected is not None else live.get(project, ZERO)
    policy = policies_on({last})[last]
    for band in bands.values():
        band.points = rules.band_points(policy, band.task_count, band.collected, band.target)
    return bands


def frozen_bands(months: set[dt.date]) -> dict[tuple[int, dt.date], Band]:
    """The bands stored when those months were finalised: an adjustment of a finalised
    month is priced with its band as it was."""
    if not months:
        return {}
    return {
        (row.salesperson_id, row.month): Band(
            row.task_count, row.task_target, row.task_collected, row.band_points
        )
        for row in Statement.objects.filter(month__in=months)
    }


def _priced(s: Slice, context: Context, kind: str) -> Line:
    """A slice priced with the rules of its date (DOMAIN §7)."""
    project = context.projects[s.project_id]
    tier = context.tiers.get((project["customer_id"], s.date), "")
    band = context.bands.get((project["owner_id"], s.date.replace(day=1))) or NO_BAND
    since = context.legal_since.get(s.project_id)
    days = (s.date - s.due_date).days
    base, legal, bonus, line_rate = context.rate(
        s.date, tier, band.points, since is not None and since <= s.date, days
    )
    return Line(
        kind=kind, salesperson_id=project["owner_id"], project_id=s.project_id,
        project=project["code"], collected=s.amount, payment_id=s.payment_id,
        payment=s.payment_reference, payment_date=s.payment_date, invoice_id=s.invoice_id,
        invoice=s.invoice_number,
        date=s.date, of_month=s.date.replace(day=1), days_past_due=days, tier=tier or "general",
        base_rate=base, band_points=band.points, completion=band.completion, legal_points=legal,
        bonus_points=bonus, rate=line_rate, earned=rules.earned(s.amount, line_rate),
    )  # fmt: skip


# Adjustments, releases, forfeits ------------------------------------------------------


def _adjustment_inputs(
    closed: list[tuple[dt.date, dt.datetime]], *, as_of: dt.date
) -> tuple[list[Slice], dict[tuple[int, int], list[dict]]]:
    """The slices of the finalised months as the records stand on `as_of`, and the lines
    recorded for them, for the projects whose records may have changed since the last
    finalisation (the others' slices are the ones recorded, by construction)."""
    go_live, last_closed = closed[0][0], month_end(closed[-1][0])
    dirty = changed_projects(closed[-1][1], last_closed, as_of)
    if not dirty:
        return [], {}
    truth = settlement_slices(as_of=as_of, first=go_live, last=last_closed, project_ids=dirty)
    recorded: dict[tuple[int, int], list[dict]] = defaultdict(list)
    rows = StatementLine.objects.filter(
        project_id__in=dirty, kind__in=[LineKind.PAYMENT, LineKind.ADJUSTMENT]
    ).values(
        "payment_id", "invoice_id", "project_id", "statement__salesperson_id", "collected",
        "earned", "slice_date", "days_past_due", "tier", "base_rate", "band_points",
        "completion", "legal_points", "bonus_points", "rate", "payment__reference",
        "payment__date", "invoice__number", "project__code",
    )  # fmt: skip
    for row in rows.order_by("statement__month", "position"):
        recorded[(row["payment_id"], row["invoice_id"])].append(row)
    return truth, recorded


def changed_projects(finalised_at: dt.datetime, last_closed: dt.date, as_of: dt.date) -> list[int]:
    """Projects whose slices up to `last_closed` may differ, on `as_of`, from those seen
    when the last month was finalised: a record dated in the finalised months posted since,
    a reversal posted since or dated after them, or a later invoice due before one of
    theirs (it comes first in the allocation order)."""
    ids: set[int] = set()
    for model in (Payment, Invoice):
        ids |= set(
            model.objects.filter(date__lte=last_closed, posted_at__gte=finalised_at)
            .values_list("project_id", flat=True)
            .distinct()
        )
    for model, field_name in ((PaymentReversal, "payment"), (InvoiceReversal, "invoice")):
        ids |= set(
            model.objects.filter(
                Q(created_at__gte=finalised_at) | Q(date__gt=last_closed),
                date__lte=as_of,
                **{f"{field_name}__date__lte": last_closed},
            )
            .values_list(f"{field_name}__project_id", flat=True)
            .distinct()
        )
    earlier_due = Invoice.objects.filter(
        project_id=OuterRef("project_id"), date__lte=last_closed, due_date__gt=OuterRef("due_date")
    )
    ids |= set(
        Invoice.objects.filter(date__gt=last_closed, date__lte=as_of)
        .filter(Exists(earlier_due))
        .values_list("project_id", flat=True)
        .distinct()
    )
    return sorted(ids)


def _adjustments(
    truth: list[Slice], recorded: dict[tuple[int, int], list[dict]], context: Context
) -> list[Line]:
    """Per slice of a finalised month: what it should have earned, on the records as they
    stand, less what was recorded for it. A slice already recorded keeps its recorded rate
    and salesperson; a new one is priced with the rules of its own date and the band frozen
    with its month. Earned is rounded on the whole slice, so the lines of a slice always
    add up to its amount × rate rounded once."""
    lines = []
    truth_by_key = {(s.payment_id, s.invoice_id): s for s in truth}
    for key in sorted(set(truth_by_key) | set(recorded)):
        rows = recorded.get(key, [])
        was_collected = sum((row["collected"] for row in rows), ZERO)
        was_earned = sum((row["earned"] for row in rows), ZERO)
        s = truth_by_key.get(key)
        amount = s.amount if s else ZERO
        if amount == was_collected:
            continue
        line = _line_like(rows[0]) if rows else _priced(s, context, LineKind.ADJUSTMENT)
        line.kind = LineKind.ADJUSTMENT
        line.collected = amount - was_collected
        line.earned = rules.earned(amount, line.rate) - was_earned
        lines.append(line)
    return lines


def _line_like(row: dict) -> Line:
    return Line(
        kind=LineKind.ADJUSTMENT, salesperson_id=row["statement__salesperson_id"],
        project_id=row["project_id"], project=row["project__code"],
        payment_id=row["payment_id"], payment=row["payment__reference"],
        payment_date=row["payment__date"],
        invoice_id=row["invoice_id"], invoice=row["invoice__number"], date=row["slice_date"],
        of_month=row["slice_date"].replace(day=1), days_past_due=row["days_past_due"],
        tier=row["tier"], base_rate=row["base_rate"], band_points=row["band_points"],
        completion=row["completion"], legal_points=row["legal_points"],
        bonus_points=row["bonus_points"], rate=row["rate"],
    )  # fmt: skip


def _releases(
    month: dt.date, balances: defaultdict[tuple[int, int], Decimal], context: Context
) -> list[Line]:
    """The month a project is 100% collected (completed, nothing outstanding), its
    hold-back is released to whoever it was held from."""
    last = month_end(month)
    candidates = [
        project
        for (_sp, project), held in balances.items()
        if held > 0
        and context.projects[project]["status"] == ProjectStatus.COMPLETED
        and context.projects[project]["completed_on"] is not None
        and context.projects[project]["completed_on"] <= last
    ]
    if not candidates:
        return []
    ledger = project_balances(last, Project.objects.filter(pk__in=candidates))
    done = {pk for pk, b in ledger.items() if b.billed > 0 and b.outstanding == 0}
    return _close_out(month, balances, context, done, LineKind.RELEASE)


def _forfeits(
    month: dt.date, balances: defaultdict[tuple[int, int], Decimal], context: Context
) -> list[Line]:
    """A written-off project forfeits what is held back on it. The archive keeps no date
    of the write-off, so it falls in the first open month, like an adjustment."""
    gone = {
        project
        for (_sp, project), held in balances.items()
        if held > 0 and context.projects[project]["status"] == ProjectStatus.WRITTEN_OFF
    }
    return _close_out(month, balances, context, gone, LineKind.FORFEIT)


def _close_out(month, balances, context: Context, projects: set[int], kind: str) -> list[Line]:
    lines = []
    for (salesperson, project), held in sorted(balances.items()):
        if project not in projects or held <= 0:
            continue
        line = Line(
            kind=kind, salesperson_id=salesperson, project_id=project,
            project=context.projects[project]["code"], date=month_end(month), of_month=month,
        )  # fmt: skip
        if kind == LineKind.RELEASE:
            line.released = held
        else:
            line.forfeited = held
        balances[(salesperson, project)] = ZERO
        lines.append(line)
    return lines


def month_to_finalise(today: dt.date) -> dt.date | None:
    """The month finance may finalise next, once it has ended: the first open month, or
    before go-live, last month."""
    closed = closes()
    month = first_open_month(closed)
    if month is None:
        month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return month if month_end(month) < today else None
