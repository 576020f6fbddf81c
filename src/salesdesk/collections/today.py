"""Reads behind the collections pages and the per-role Today page.

Every function here is set-based: a fixed number of queries whatever the number of
projects, tasks or letters (the Today page's query count is pinned in the tests).
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum

from salesdesk.collections.choices import TaskStatus
from salesdesk.collections.measures import payments_between
from salesdesk.collections.models import (
    CollectionTask,
    DunningLetter,
    HoldOverride,
    LegalCase,
    SupplyHold,
    TaskDraft,
)
from salesdesk.collections.selectors import holds_in_force, last_letters
from salesdesk.core.choices import Role
from salesdesk.core.models import User
from salesdesk.customers.models import Project
from salesdesk.ledger.allocation import project_balances
from salesdesk.ledger.selectors import below_floor_deliveries
from salesdesk.lib.dates import month_end, month_start
from salesdesk.lib.money import ZERO

TOP = 10
RECENT_DAYS = 30


def percent(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    """part / whole as a percentage with one decimal, half up; None without a whole."""
    if part is None or not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# Collection tasks ---------------------------------------------------------------------


@dataclass
class TaskRow:
    task: CollectionTask
    collected: Decimal
    live: bool  # not assessed yet: payments so far in the month

    @property
    def completion(self) -> Decimal | None:
        return percent(self.collected, self.task.target)


@dataclass
class TaskGroup:
    """One salesperson's tasks of a month, with the totals (DOMAIN §6: completion =
    Σ collected / Σ target)."""

    salesperson: User
    rows: list[TaskRow] = field(default_factory=list)
    can_sign: dict[str, bool] = field(default_factory=dict)

    @property
    def target(self) -> Decimal:
        return sum((row.task.target for row in self.rows), ZERO)

    @property
    def collected(self) -> Decimal:
        return sum((row.collected for row in self.rows), ZERO)

    @property
    def completion(self) -> Decimal | None:
        return percent(self.collected, self.target)

    @property
    def drafts(self) -> int:
        return sum(1 for row in self.rows if row.task.status == TaskStatus.DRAFT)

    @property
    def waiting_marketing(self) -> int:
        return sum(
            1
            for row in self.rows
            if row.task.status == TaskStatus.DRAFT and row.task.marketing_signed_by_id is None
        )

    @property
    def waiting_finance(self) -> int:
        return sum(
            1
            for row in self.rows
            if row.task.status == TaskStatus.DRAFT and row.task.finance_signed_by_id is None
        )

    @property
    def assessed(self) -> bool:
        return all(row.task.status == TaskStatus.ASSESSED for row in self.rows)

    @property
    def lapsed(self) -> int:
        return sum(1 for row in self.rows if row.task.status == TaskStatus.LAPSED)


def task_months() -> list[dt.date]:
    """The months whose tasks were drafted, newest first."""
    return list(TaskDraft.objects.order_by("-month").values_list("month", flat=True))


def task_groups(tasks: QuerySet, month: dt.date, today: dt.date) -> list[TaskGroup]:
    """The month's tasks among `tasks` (already scoped), grouped by salesperson. A task
    not assessed yet shows the payments dated in the month up to today. Two queries."""
    rows = list(
        tasks.filter(month=month)
        .select_related(
            "project__customer", "salesperson", "marketing_signed_by", "finance_signed_by"
        )
        .order_by("salesperson__username", "project__code")
    )
    pending = [task.project_id for task in rows if task.collected is None]
    live = payments_between(pending, month, month_end(month), today) if pending else {}
    groups: dict[int, TaskGroup] = {}
    for task in rows:
        group = groups.setdefault(task.salesperson_id, TaskGroup(salesperson=task.salesperson))
        if task.collected is None:
            group.rows.append(TaskRow(task, live.get(task.project_id, ZERO), live=True))
        else:
            group.rows.append(TaskRow(task, task.collected, live=False))
    return list(groups.values())


def signable(tasks: QuerySet, user: User, as_role: str) -> QuerySet:
    """The drafts among `tasks` that `user` may sign as `as_role` (marketing or finance):
    not signed for that department yet, not their own, not already signed by them for
    the other department (two sign-offs by two different people)."""
    mine, other = _sign_fields(as_role)
    return (
        tasks.filter(status=TaskStatus.DRAFT, **{f"{mine}_signed_by__isnull": True})
        .exclude(salesperson=user)
        .exclude(**{f"{other}_signed_by": user})
    )


def _sign_fields(as_role: str) -> tuple[str, str]:
    return ("marketing", "finance") if as_role == Role.MARKETING else ("finance", "marketing")


# The Today page -----------------------------------------------------------------------


def _team(user: User, field: str) -> Q:
    """`field` (a FK to User) is the user, or, for a manager, one of their team."""
    condition = Q(**{field: user})
    if user.has_role(Role.MANAGER):
        condition |= Q(**{f"{field}__manager": user})
    return condition


@dataclass
class OverdueRow:
    project: Project
    overdue: Decimal
    oldest_days: int | None
    last_letter: DunningLetter | None
    on_hold: bool


@dataclass
class TaskSummary:
    salesperson: User
    count: int = 0
    drafts: int = 0
    target: Decimal = ZERO
    collected: Decimal = ZERO

    @property
    def completion(self) -> Decimal | None:
        return percent(self.collected, self.target)


def sales_today(user: User, today: dt.date) -> dict:
    """A salesperson's (or, for a manager, the team's) overdue projects, recent letters
    and this month's tasks."""
    projects = Project.objects.filter(_team(user, "owner"))
    # Only overdue and the oldest days past due are read, so any bounds do; passing them
    # saves the policy lookup.
    balances = project_balances(today, projects, bounds=(30,))
    overdue = sorted(
        (b for b in balances.values() if b.overdue > 0), key=lambda b: (-b.overdue, b.project_id)
    )
    top = overdue[:TOP]
    by_id = Project.objects.select_related("customer", "owner").in_bulk([b.project_id for b in top])
    letters = last_letters([b.project_id for b in top], today) if top else {}
    customer_ids = sorted({p.customer_id for p in by_id.values()})
    held = holds_in_force(customer_ids, today) if customer_ids else {}
    rows = [
        OverdueRow(
            project=by_id[b.project_id],
            overdue=b.overdue,
            oldest_days=b.oldest_days_past_due,
            last_letter=letters.get(b.project_id),
            on_hold=by_id[b.project_id].customer_id in held,
        )
        for b in top
    ]
    since = today - dt.timedelta(days=RECENT_DAYS)
    recent = DunningLetter.objects.filter(
        _team(user, "project__owner"), issued_on__gt=since, issued_on__lte=today
    )
    recent_letters = list(
        recent.select_related("project__customer", "issued_by").order_by("-issued_on", "-id")[:TOP]
    )
    return {
        "overdue_rows": rows,
        "overdue_count": len(overdue),
        "overdue_total": sum((b.overdue for b in overdue), ZERO),
        "letters": recent_letters,
        "letter_count": recent.count(),
        "tasks": month_tasks(user, month_start(today), today),
        "month": month_start(today),
        "team": user.has_role(Role.MANAGER),
    }


def month_tasks(user: User, month: dt.date, today: dt.date) -> list[TaskSummary]:
    """Per salesperson (the user, or a manager's team), the month's tasks with completion.
    Two queries."""
    tasks = list(
        CollectionTask.objects.filter(_team(user, "salesperson"), month=month)
        .select_related("salesperson")
        .only("project_id", "target", "collected", "status", "salesperson")
    )
    pending = [t.project_id for t in tasks if t.collected is None]
    live = payments_between(pending, month, month_end(month), today) if pending else {}
    summaries: dict[int, TaskSummary] = {}
    for task in tasks:
        summary = summaries.setdefault(task.salesperson_id, TaskSummary(task.salesperson))
        summary.count += 1
        summary.drafts += task.status == TaskStatus.DRAFT
        summary.target += task.target
        if task.collected is None:
            summary.collected += live.get(task.project_id, ZERO)
        else:
            summary.collected += task.collected
    return sorted(summaries.values(), key=lambda s: s.salesperson.username)


def signoff_today(user: User) -> list[dict]:
    """Drafts waiting for the user's signature, per department they sign for and month."""
    waiting = []
    for role in (Role.MARKETING, Role.FINANCE):
        if not (user.is_superuser or user.has_role(role)):
            continue
        months = (
            signable(CollectionTask.objects.all(), user, role)
            .values("month")
            .annotate(count=Count("pk"), target=Sum("target"))
            .order_by("month")
        )
        for row in months:
            waiting.append({"role": role, **row})
    return waiting


def late_drafts(user: User, today: dt.date) -> list[dict]:
    """Drafts still unsigned though their month has begun (DOMAIN §6), per month: for
    marketing and finance every one, for a manager their team's. They lapse when the
    month ends. One query."""
    drafts = CollectionTask.objects.filter(status=TaskStatus.DRAFT, month__lte=today)
    if not (user.is_admin or user.has_role(Role.MARKETING, Role.FINANCE)):
        drafts = drafts.filter(_team(user, "salesperson"))
    return list(
        drafts.values("month")
        .annotate(
            count=Count("pk"),
            target=Sum("target"),
            marketing=Count("pk", filter=Q(marketing_signed_by__isnull=True)),
            finance=Count("pk", filter=Q(finance_signed_by__isnull=True)),
        )
        .order_by("month")
    )


def legal_today(user: User, today: dt.date) -> dict:
    since = today - dt.timedelta(days=RECENT_DAYS)
    cases = LegalCase.objects.visible_to(user).filter(opened_on__gt=since, opened_on__lte=today)
    listed = list(
        cases.select_related("project__customer", "project__owner", "opened_by").order_by(
            "-opened_on", "-id"
        )[:TOP]
    )
    return {
        "cases": listed,
        "count": cases.count(),
        "overdue": sum((c.overdue for c in listed), ZERO),
    }


def holds_today(user: User, today: dt.date) -> dict:
    """Customers on supply hold now, among those the user sees."""
    from salesdesk.customers.models import Customer

    candidates = list(
        SupplyHold.objects.filter(
            customer__in=Customer.objects.visible_to(user),
            since__lte=today,
        )
        .filter(Q(released_on__isnull=True) | Q(released_on__gt=today))
        .values_list("customer_id", flat=True)
    )
    in_force = holds_in_force(candidates, today) if candidates else {}
    holds = sorted(in_force.values(), key=lambda h: (h.since, h.customer.name), reverse=True)
    return {"holds": holds[:20], "count": len(holds)}


def today_for(user: User, today: dt.date | None = None) -> dict:
    """What the Today page shows the user, by role."""
    today = today or dt.date.today()
    admin = user.is_admin
    sections: dict = {"today": today}
    if user.has_role(Role.SALES, Role.MANAGER):
        sections["sales"] = sales_today(user, today)
    if user.has_role(Role.MANAGER) or admin:
        sections["price_waiting"] = below_floor_deliveries(user, state="waiting").count()
    if user.has_role(Role.MARKETING, Role.FINANCE):
        sections["signoff"] = signoff_today(user)
        sections["signoff_count"] = sum(row["count"] for row in sections["signoff"])
    if user.has_role(Role.MARKETING, Role.FINANCE, Role.MANAGER):
        sections["late_drafts"] = late_drafts(user, today)
    if user.has_role(Role.LEGAL) or admin:
        sections["legal"] = legal_today(user, today)
    if user.has_role(Role.SUPPLY) or admin:
        sections["holds"] = holds_today(user, today)
    return sections


# Lists ----------------------------------------------------------------------------------


def legal_queue(cases: QuerySet) -> QuerySet[LegalCase]:
    return cases.select_related("project__customer", "project__owner", "opened_by").order_by(
        "-opened_on", "-id"
    )


def outstanding_now(project_ids: list[int], today: dt.date) -> dict[int, Decimal]:
    """Outstanding and overdue amounts today of the listed projects. One query."""
    if not project_ids:
        return {}
    return project_balances(today, Project.objects.filter(pk__in=project_ids))


def project_tasks(project: Project, today: dt.date, limit: int = 6) -> list[CollectionTask]:
    """The project's latest tasks; one not assessed yet of a month already begun carries
    `live_collected`, the payments so far in its month."""
    tasks = list(project.collection_tasks.select_related("salesperson").order_by("-month")[:limit])
    for task in tasks:
        task.live_collected = None
        if task.collected is None and task.month <= today:
            paid = payments_between([project.pk], task.month, month_end(task.month), today)
            task.live_collected = paid.get(project.pk, ZERO)
    return tasks


def project_overrides(project: Project) -> list[HoldOverride]:
    return list(
        HoldOverride.objects.filter(project=project)
        .select_related("granted_by", "delivery", "hold")
        .order_by("-granted_at")[:20]
    )
