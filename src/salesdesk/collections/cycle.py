"""The daily collections cycle (`salesdesk cycle --as-of D`), DOMAIN §6.

One run for a day D, in this order:
1. release holds whose customer's overdue amount reached zero since they were placed;
2. per project, at most one dunning letter; after the last letter, the supply hold;
3. legal recovery for projects overdue beyond the policy limit;
4. on or after the policy day, draft next month's collection tasks;
5. lapse the drafts of months that ended unsigned, assess the issued tasks of those months;
6. the daily steps higher layers registered (`register_daily_step`), in registration order.

Idempotent: every write is keyed by the day or the month (one letter per project a day,
one active hold per customer, one legal case per project, one draft per month, one
assessment per task), so a second run for the same D finds nothing left to do.

Runs and gaps: every day run is recorded (CycleRun). A run for D after the last recorded
day first runs each missed day in order, in the same transaction, so the letters, holds
and legal dates never depend on how often the cycle runs. The first run ever starts at D.
Every step is a handful of set-based queries, whatever the number of projects.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q

from salesdesk.collections.choices import LegalReason, TaskStatus
from salesdesk.collections.measures import (
    first_clear_day_of_customers,
    first_clear_day_of_projects,
    payments_sum_sql,
    unsettled_due_before,
)
from salesdesk.collections.models import (
    CollectionTask,
    CycleRun,
    DunningLetter,
    LegalCase,
    SupplyHold,
    TaskDraft,
)
from salesdesk.collections.selectors import last_letters
from salesdesk.core.models import AuditEntry
from salesdesk.core.policy import Policy, policy_as_of
from salesdesk.customers.choices import ProjectStatus
from salesdesk.customers.models import Project
from salesdesk.lib.dates import month_end, month_start, next_month

ZERO = Decimal("0.00")
# Projects the cycle works on; legal and written-off projects are the recovery office's.
WORKED = (ProjectStatus.ACTIVE, ProjectStatus.COMPLETED)


@dataclass
class CycleReport:
    as_of: dt.date
    dry_run: bool = False
    holds_released: list[tuple[str, dt.date]] = field(default_factory=list)
    letters: list[tuple[str, int, Decimal]] = field(default_factory=list)
    holds_placed: list[tuple[str, str]] = field(default_factory=list)
    legal_opened: list[tuple[str, Decimal]] = field(default_factory=list)
    tasks_drafted: tuple[dt.date, int, Decimal] | None = None
    tasks_lapsed: list[tuple[dt.date, int]] = field(default_factory=list)
    tasks_assessed: list[tuple[dt.date, int]] = field(default_factory=list)
    # Lines from the registered daily steps.
    steps: list[str] = field(default_factory=list)
    # The missed days a run after a gap replayed before `as_of`, oldest first.
    caught_up: list["CycleReport"] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.changed_today or any(day.changed_today for day in self.caught_up)

    @property
    def changed_today(self) -> bool:
        return bool(
            self.holds_released or self.letters or self.holds_placed or self.legal_opened
            or self.tasks_drafted or self.tasks_lapsed or self.tasks_assessed or self.steps
        )  # fmt: skip

    def days(self) -> list["CycleReport"]:
        """Every day this run covered, oldest first, `as_of` last."""
        return [*self.caught_up, self]

    def counts(self) -> dict[str, int]:
        """What the run did over all the days it covered."""
        days = self.days()
        return {
            "holds_released": sum(len(d.holds_released) for d in days),
            "letters": sum(len(d.letters) for d in days),
            "holds_placed": sum(len(d.holds_placed) for d in days),
            "legal_opened": sum(len(d.legal_opened) for d in days),
            "tasks_drafted": sum(d.tasks_drafted[1] for d in days if d.tasks_drafted),
            "tasks_lapsed": sum(n for d in days for _month, n in d.tasks_lapsed),
            "tasks_assessed": sum(n for d in days for _month, n in d.tasks_assessed),
        }

    def lines(self) -> list[str]:
        lines = []
        if self.caught_up:
            first, last = self.caught_up[0].as_of, self.caught_up[-1].as_of
            lines.append(f"catching up {len(self.caught_up)} missed days, {first} to {last}")
            for day in self.caught_up:
                if day.changed_today:
                    lines += day._day_lines()
        return lines + self._day_lines()

    def _day_lines(self) -> list[str]:
        head = f"cycle {self.as_of}" + (" (dry run: nothing written)" if self.dry_run else "")
        lines = [head]
        for customer, day in self.holds_released:
            lines.append(f"hold released: customer {customer} on {day}")
        for project, number, amount in self.letters:
            lines.append(f"letter {number}: project {project}, overdue {amount:.2f}")
        for customer, project in self.holds_placed:
            lines.append(f"hold placed: customer {customer} (project {project})")
        for project, amount in self.legal_opened:
            lines.append(f"legal recovery: project {project}, overdue {amount:.2f}")
        if self.tasks_drafted:
            month, count, total = self.tasks_drafted
            lines.append(f"tasks drafted for {month:%Y-%m}: {count}, target {total:.2f}")
        for month, count in self.tasks_lapsed:
            lines.append(f"tasks lapsed unsigned for {month:%Y-%m}: {count}")
        for month, count in self.tasks_assessed:
            lines.append(f"tasks assessed for {month:%Y-%m}: {count}")
        lines += self.steps
        if not self.changed_today:
            lines.append("nothing to do")
        return lines


def cycle_run(*, as_of: dt.date, dry_run: bool = False) -> CycleReport:
    """Run the cycle for `as_of`, after each day missed since the last recorded run."""
    with transaction.atomic():
        _lock()
        days = days_to_run(as_of)
        reports = [_run_day(day, dry_run) for day in days]
        if dry_run:
            transaction.set_rollback(True)
    report = reports[-1]
    report.caught_up = reports[:-1]
    return report


def cycle_catch_up(*, up_to: dt.date) -> CycleReport | None:
    """Run the days the cycle missed up to `up_to`, if it has run before and is behind:
    a letter sent by hand on D must follow the cycle's letters of the days before D."""
    last = CycleRun.objects.order_by("-day").values_list("day", flat=True).first()
    if last is None or last >= up_to:
        return None
    return cycle_run(as_of=up_to)


def days_to_run(as_of: dt.date) -> list[dt.date]:
    """`as_of`, preceded by every day after the last recorded run. A day at or before
    the last run is run alone: it was run already, so nothing is left to catch up."""
    last = CycleRun.objects.order_by("-day").values_list("day", flat=True).first()
    if last is None or as_of <= last:
        return [as_of]
    return [last + dt.timedelta(days=n) for n in range(1, (as_of - last).days + 1)]


# Daily work of higher layers (compensation writes off advances of projects that became
# 100% collected); they register at start-up, so the cycle never imports them. A step
# takes the day and returns lines for the report; it must be idempotent like the rest.
_DAILY_STEPS: dict[str, Callable[[dt.date], list[str]]] = {}


def register_daily_step(name: str, step: Callable[[dt.date], list[str]]) -> None:
    _DAILY_STEPS[name] = step


def _run_day(day: dt.date, dry_run: bool) -> CycleReport:
    report = CycleReport(as_of=day, dry_run=dry_run)
    policy = policy_as_of(day)
    _release_holds(day, report)
    _letters_and_holds(day, policy, report)
    _legal_recovery(day, policy, report)
    _draft_tasks(day, policy, report)
    _lapse_and_assess_tasks(day, report)
    for step in _DAILY_STEPS.values():
        report.steps += step(day)
    CycleRun.objects.update_or_create(day=day, defaults={"summary": report.counts()})
    return report


def _lock() -> None:
    # Two cycles at once would both see "no letter yet today"; the UNIQUE constraints
    # would stop the second, but queueing it is kinder. SQLite's IMMEDIATE transactions
    # already queue writers.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(7343001)")


def _audit(entries: list[AuditEntry]) -> None:
    AuditEntry.objects.bulk_create(entries, batch_size=2000)


def _entry(action: str, obj, changes: dict, reason: str = "") -> AuditEntry:
    return AuditEntry(
        actor=None, action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk),
        object_repr=str(obj)[:200], changes=changes, reason=reason,
    )  # fmt: skip


# 1. Releases -------------------------------------------------------------------------


def holds_release_due(*, customer_ids: list[int] | None, up_to: dt.date) -> list[SupplyHold]:
    """Record the release of every hold whose customer's overdue amount reached zero
    on or after the day it was placed and by `up_to`. Released on that day, not on the
    day we notice."""
    holds = SupplyHold.objects.filter(released_on__isnull=True, since__lte=up_to)
    if customer_ids is not None:
        holds = holds.filter(customer_id__in=customer_ids)
    holds = list(holds.select_related("customer"))
    cleared = first_clear_day_of_customers([(h.pk, h.customer_id, h.since, up_to) for h in holds])
    released = []
    for hold in holds:
        if hold.pk in cleared:
            hold.released_on = cleared[hold.pk]
            released.append(hold)
    SupplyHold.objects.bulk_update(released, ["released_on"])
    _audit([
        _entry("hold_release", h.customer, {"hold": [str(h.since), str(h.released_on)]})
        for h in released
    ])  # fmt: skip
    return released


def _release_holds(as_of: dt.date, report: CycleReport) -> None:
    released = holds_release_due(customer_ids=None, up_to=as_of)
    for hold in sorted(released, key=lambda h: h.customer.code):
        report.holds_released.append((hold.customer.code, hold.released_on))


# 2. Letters and holds ----------------------------------------------------------------


@dataclass
class LetterState:
    """Where a project stands in its letter sequence on a day."""

    last: DunningLetter | None
    current: bool  # the last letter's sequence has not ended

    def next_number(self) -> int:
        return self.last.number + 1 if self.current else 1

    def next_sequence(self) -> int:
        if self.last is None:
            return 1
        return self.last.sequence if self.current else self.last.sequence + 1


def letter_states(project_ids: list[int] | None, day: dt.date) -> dict[int, LetterState]:
    """The letter state of projects on `day`: their last letter before `day`, and whether
    its sequence still runs (the overdue amount has not reached zero since)."""
    last = {pk: letter for pk, letter in last_letters(project_ids, day).items()}
    open_windows = [
        (pk, letter.issued_on, day) for pk, letter in last.items() if letter.issued_on < day
    ]
    ended = first_clear_day_of_projects(open_windows)
    return {pk: LetterState(letter, pk not in ended) for pk, letter in last.items()}


def _letters_and_holds(as_of: dt.date, policy: Policy, report: CycleReport) -> None:
    first_after = policy["collections.letter_first_after_days"]
    interval = dt.timedelta(days=policy["collections.letter_interval_days"])
    last_number = policy["collections.letter_max"]
    hold_after = dt.timedelta(days=policy["collections.hold_after_days"])

    measures = unsettled_due_before(
        as_of, {"overdue": as_of, "letter": as_of - dt.timedelta(days=first_after)}
    )
    projects = dict(
        Project.objects.filter(pk__in=list(measures), status__in=WORKED).values_list(
            "pk", "customer_id"
        )
    )
    states = letter_states(list(projects), as_of)
    letters, hold_candidates = [], {}
    for project_id, customer_id in projects.items():
        overdue = measures[project_id]["overdue"]
        state = states.get(project_id, LetterState(None, False))
        if state.last is not None and state.last.issued_on == as_of:
            continue  # already written to today
        if not state.current:
            if measures[project_id]["letter"] > 0:
                letters.append(_letter(project_id, state, as_of, overdue))
        elif overdue <= 0:
            continue
        elif state.last.number < last_number:
            if as_of >= state.last.issued_on + interval:
                letters.append(_letter(project_id, state, as_of, overdue))
        elif as_of >= state.last.issued_on + hold_after:
            hold_candidates.setdefault(customer_id, state.last)

    DunningLetter.objects.bulk_create(letters, batch_size=2000)
    saved = list(
        DunningLetter.objects.filter(
            issued_on=as_of, project_id__in=[x.project_id for x in letters]
        )
        .select_related("project")
        .order_by("project__code")
    )
    for letter in saved:
        report.letters.append((letter.project.code, letter.number, letter.amount))
    _audit([
        _entry("letter", x.project, {"letter": [None, f"#{x.number} {x.amount}"]}) for x in saved
    ])  # fmt: skip
    _place_holds(as_of, hold_candidates, measures, report)


def _letter(project_id: int, state: LetterState, day: dt.date, overdue: Decimal) -> DunningLetter:
    return DunningLetter(
        project_id=project_id, sequence=state.next_sequence(), number=state.next_number(),
        issued_on=day, amount=overdue,
    )  # fmt: skip


def _place_holds(as_of, candidates: dict[int, DunningLetter], measures, report) -> None:
    held = set(
        SupplyHold.objects.filter(customer_id__in=list(candidates))
        .filter(Q(released_on__isnull=True) | Q(released_on__gt=as_of))
        .values_list("customer_id", flat=True)
    )
    new = []
    for customer_id, letter in sorted(candidates.items()):
        if customer_id in held:
            continue
        overdue = measures[letter.project_id]["overdue"]
        new.append(
            SupplyHold(
                customer_id=customer_id, since=as_of, trigger=letter,
                reason=f"letter {letter.number} of project {letter.project.code} issued "
                f"{letter.issued_on}; still overdue {overdue:.2f} on {as_of}",
            )
        )  # fmt: skip
    SupplyHold.objects.bulk_create(new)
    placed = SupplyHold.objects.filter(since=as_of, customer_id__in=[h.customer_id for h in new])
    placed = placed.select_related("customer", "trigger__project").order_by("customer__code")
    _audit(
        [_entry("hold_place", h.customer, {"hold": [None, str(h.since)]}, h.reason) for h in placed]
    )
    for hold in placed:
        report.holds_placed.append((hold.customer.code, hold.trigger.project.code))


# 3. Legal recovery -------------------------------------------------------------------


def _legal_recovery(as_of: dt.date, policy: Policy, report: CycleReport) -> None:
    limit = policy["collections.legal_after_days"]
    measures = unsettled_due_before(
        as_of, {"overdue": as_of, "legal": as_of - dt.timedelta(days=limit)}
    )
    due = [pk for pk, m in measures.items() if m["legal"] > 0]
    projects = list(Project.objects.filter(pk__in=due, status__in=WORKED).order_by("code"))
    cases = [
        LegalCase(
            project=p, opened_on=as_of, reason=LegalReason.OVERDUE,
            overdue=measures[p.pk]["overdue"], previous_status=p.status,
            note=f"oldest unsettled invoice more than {limit} days past due on {as_of}",
        )
        for p in projects
    ]  # fmt: skip
    LegalCase.objects.bulk_create(cases)
    Project.objects.filter(pk__in=[p.pk for p in projects]).update(status=ProjectStatus.LEGAL)
    _audit([
        _entry("legal_open", c.project, {"status": [c.previous_status, ProjectStatus.LEGAL]}, c.note)
        for c in cases
    ])  # fmt: skip
    for case in cases:
        report.legal_opened.append((case.project.code, case.overdue))


# 4. Task drafts ----------------------------------------------------------------------


def draft_month(as_of: dt.date, draft_day: int) -> dt.date:
    """The month whose tasks a run on `as_of` drafts (if not drafted yet): from the policy
    day on, next month; before it, this month (the first run on or after the policy day
    of last month is then this one)."""
    this = month_start(as_of)
    return next_month(this) if as_of.day >= draft_day else this


def _draft_tasks(as_of: dt.date, policy: Policy, report: CycleReport) -> None:
    month = draft_month(as_of, policy["collections.task_draft_day"])
    if TaskDraft.objects.filter(month=month).exists():
        return
    cutoff = month_end(month) + dt.timedelta(days=1)
    measures = unsettled_due_before(as_of, {"target": cutoff})
    targets = {pk: m["target"] for pk, m in measures.items() if m["target"] > 0}
    projects = Project.objects.filter(pk__in=list(targets), status__in=WORKED).values_list(
        "pk", "owner_id"
    )
    tasks = [
        CollectionTask(
            month=month, project_id=pk, salesperson_id=owner, target=targets[pk], drafted_on=as_of
        )
        for pk, owner in projects
    ]
    CollectionTask.objects.bulk_create(tasks, batch_size=2000)
    total = sum((t.target for t in tasks), ZERO)
    draft = TaskDraft.objects.create(month=month, drafted_on=as_of, count=len(tasks), total=total)
    _audit(
        [_entry("tasks_draft", draft, {"tasks": [None, len(tasks)], "target": [None, str(total)]})]
    )
    report.tasks_drafted = (month, len(tasks), total)


# 5. Assessment -----------------------------------------------------------------------


def _lapse_and_assess_tasks(as_of: dt.date, report: CycleReport) -> None:
    """Once a month has ended, its drafts nobody finished signing lapse (never assessed,
    DOMAIN §6) and its issued tasks are assessed: one UPDATE each per month, whatever the
    number of tasks (collected = the month's payments not reversed by `as_of`)."""
    ended = CollectionTask.objects.filter(month__lt=month_start(as_of))
    drafts = ended.filter(status=TaskStatus.DRAFT)
    for month in sorted(set(drafts.values_list("month", flat=True))):
        count = drafts.filter(month=month).update(status=TaskStatus.LAPSED)
        report.tasks_lapsed.append((month, count))
    issued = ended.filter(status=TaskStatus.ISSUED, assessed_on__isnull=True)
    for month in sorted(set(issued.values_list("month", flat=True))):
        count = assess_month(month, as_of)
        report.tasks_assessed.append((month, count))


def assess_month(month: dt.date, as_of: dt.date) -> int:
    collected = payments_sum_sql("collections_collectiontask.project_id")
    sql = f"""
    UPDATE collections_collectiontask
       SET collected = {collected}, assessed_on = %(as_of)s, status = %(status)s
     WHERE month = %(month)s AND status = %(issued)s AND assessed_on IS NULL"""
    params = {
        "as_of": as_of.isoformat(),
        "status": TaskStatus.ASSESSED.value,
        "issued": TaskStatus.ISSUED.value,
        "month": month.isoformat(),
        "first": month.isoformat(),
        "last": month_end(month).isoformat(),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
