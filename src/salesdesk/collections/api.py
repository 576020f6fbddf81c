"""Collections endpoints: the tasks, letters and holds reports; collection tasks and
their sign-off; dunning letters (and a manager's letter sent by hand); supply holds and
overrides; legal recovery; the daily cycle for schedulers.

Writes go through collections.services (and collections.cycle), which check the
caller's roles and the rules. Every read is scoped to what the caller may see: tasks,
letters and legal cases through their project, holds through their customer. A record
named in the path that the caller may not see is 404; a task id in a body that the
caller may not see is 422 naming the field, the same answer as for one that does not
exist.
"""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from salesdesk.collections import services
from salesdesk.collections.choices import LegalReason, TaskStatus
from salesdesk.collections.cycle import cycle_run
from salesdesk.collections.measures import first_clear_day_of_customers
from salesdesk.collections.models import (
    CollectionTask,
    DunningLetter,
    HoldOverride,
    LegalCase,
    SupplyHold,
)
from salesdesk.collections.reports import holds_report, letters_report, tasks_report
from salesdesk.collections.schemas import (
    CycleIn,
    CycleOut,
    HoldOverrideIn,
    HoldOverrideOut,
    HoldPage,
    HoldsReportOut,
    LegalCaseOut,
    LegalCasePage,
    LegalIn,
    LetterOut,
    LetterPage,
    LettersReportOut,
    SignIn,
    SignOut,
    TaskOut,
    TaskPage,
    TasksReportOut,
)
from salesdesk.core.access import Action, require
from salesdesk.core.models import User
from salesdesk.core.pagination import api_page
from salesdesk.core.schemas import DateIn, column
from salesdesk.customers.models import Customer, Project
from salesdesk.lib.dates import date_in_range

router = Router(tags=["collections"])

MONTH = re.compile(r"^\d{4}-\d{2}$", re.ASCII)


# Helpers -----------------------------------------------------------------------------


def _month(text: str | None, field: str = "month") -> dt.date | None:
    """`YYYY-MM` -> the first day of that month; 422 naming the field otherwise."""
    if text is None:
        return None
    try:
        if not MONTH.match(text):
            raise ValueError
        return date_in_range(dt.date.fromisoformat(f"{text}-01"))
    except ValueError:
        raise ValidationError(
            {field: _("%(value)s is not a month; expected YYYY-MM.") % {"value": text}}
        ) from None


def _page(queryset: QuerySet, query) -> dict:
    return api_page(queryset, query.page, query.page_size)


def _project(user: User, code: str) -> Project:
    return Project.objects.visible_to(user).select_related("customer").get(code=code)


# Reports -----------------------------------------------------------------------------


@router.get(
    "/reports/tasks",
    response=TasksReportOut,
    summary="The tasks report (FORMATS.md envelope) over the tasks the caller may see",
    description="One row per collection task of the month (default: this month). Until "
    "the month is assessed, `collected` counts the payments dated in the month so far.",
)
def report_tasks(request, month: str | None = Query(None, max_length=7)):
    first = _month(month) or dt.date.today().replace(day=1)
    report = tasks_report(
        month=f"{first:%Y-%m}", tasks=CollectionTask.objects.visible_to(request.user)
    )
    return report.envelope()


@router.get(
    "/reports/letters",
    response=LettersReportOut,
    summary="The letters report (FORMATS.md envelope) over the projects the caller may see",
    description="Every dunning letter issued up to as_of (default today), oldest first.",
)
def report_letters(request, as_of: DateIn | None = None):
    report = letters_report(
        as_of=as_of or dt.date.today(), projects=Project.objects.visible_to(request.user)
    )
    return report.envelope()


@router.get(
    "/reports/holds",
    response=HoldsReportOut,
    summary="The holds report (FORMATS.md envelope) over the customers the caller may see",
    description="Every supply hold placed up to as_of (default today), current or past; "
    "`released_on` is null for a hold still in force on as_of.",
)
def report_holds(request, as_of: DateIn | None = None):
    report = holds_report(
        as_of=as_of or dt.date.today(), customers=Customer.objects.visible_to(request.user)
    )
    return report.envelope()


# Collection tasks --------------------------------------------------------------------


def _tasks(user: User) -> QuerySet[CollectionTask]:
    return (
        CollectionTask.objects.visible_to(user)
        .select_related("project__customer", "salesperson", "marketing_signed_by", "finance_signed_by")
        .order_by("-month", "salesperson__username", "project__code")
    )  # fmt: skip


class TaskQuery(Schema):
    month: str | None = Field(None, max_length=7, description="YYYY-MM")
    salesperson: str | None = column(User, "username", None)
    project: str | None = column(Project, "code", None)
    status: TaskStatus | None = None
    page: int = 1
    page_size: int = 50


@router.get(
    "/collection-tasks",
    response=TaskPage,
    summary="Collection tasks the caller may see, newest month first",
)
def task_list(request, query: Query[TaskQuery]):
    queryset = _tasks(request.user)
    first = _month(query.month)
    if first:
        queryset = queryset.filter(month=first)
    # Unknown usernames and codes match nothing: a filter must not reveal unseen records.
    if query.salesperson:
        queryset = queryset.filter(salesperson__username=query.salesperson)
    if query.project:
        queryset = queryset.filter(project__code=query.project)
    if query.status:
        queryset = queryset.filter(status=query.status)
    return _page(queryset, query)


@router.get("/collection-tasks/{int:task_id}", response=TaskOut)
def task_detail(request, task_id: int):
    return _tasks(request.user).get(pk=task_id)


@router.post(
    "/collection-tasks/sign",
    response=SignOut,
    summary="Sign the month's task drafts as marketing or as finance",
    description="Two sign-offs by two different people issue a task; nobody signs a task "
    "of their own. Without `ids`, every draft of the month the caller may see is signed. "
    "A task already signed for this department is left as it is (not counted). Any task "
    "the caller may not sign makes the whole call 422 and nothing is signed.",
)
def task_sign(request, payload: SignIn):
    # The service's check, made before anything in the body is looked up.
    action = services.SIGN_AS[payload.as_role]
    require(request.user, action, _("You do not sign for this department."))
    first = _month(payload.month)
    tasks = _tasks(request.user).filter(month=first)
    if payload.ids is None:
        ids = list(tasks.filter(status=TaskStatus.DRAFT).values_list("pk", flat=True))
    else:
        ids = sorted(set(payload.ids))
        found = set(tasks.filter(pk__in=ids).values_list("pk", flat=True))
        missing = [str(pk) for pk in ids if pk not in found]
        if missing:
            raise ValidationError(
                {
                    "ids": _("No task %(ids)s in %(month)s.")
                    % {"ids": ", ".join(missing), "month": payload.month}
                }
            )
    signed = services.tasks_sign(
        actor=request.user, task_ids=ids, as_role=payload.as_role, at=timezone.now()
    )
    return {
        "month": payload.month,
        "as_role": payload.as_role,
        "signed": signed,
        "tasks": list(tasks.filter(pk__in=ids)),
    }


# Dunning letters ---------------------------------------------------------------------


def _letters(user: User) -> QuerySet[DunningLetter]:
    return (
        DunningLetter.objects.visible_to(user)
        .select_related("project__customer", "issued_by")
        .order_by("-issued_on", "-id")
    )


class LetterQuery(Schema):
    project: str | None = column(Project, "code", None)
    customer: str | None = column(Customer, "code", None)
    date_from: DateIn | None = None
    date_to: DateIn | None = None
    page: int = 1
    page_size: int = 50


@router.get("/letters", response=LetterPage, summary="Dunning letters the caller may see")
def letter_list(request, query: Query[LetterQuery]):
    queryset = _letters(request.user)
    if query.project:
        queryset = queryset.filter(project__code=query.project)
    if query.customer:
        queryset = queryset.filter(project__customer__code=query.customer)
    if query.date_from:
        queryset = queryset.filter(issued_on__gte=query.date_from)
    if query.date_to:
        queryset = queryset.filter(issued_on__lte=query.date_to)
    return _page(queryset, query)


@router.get("/letters/{int:letter_id}", response=LetterOut)
def letter_detail(request, letter_id: int):
    return _letters(request.user).get(pk=letter_id)


@router.post(
    "/projects/{code}/letters",
    response={201: LetterOut},
    summary="Send the project's next letter today, ahead of the cycle (managers, admin)",
    description="It counts in the project's sequence like a letter of the cycle. 422 when "
    "nothing is overdue, the project already had a letter today, the last letter of the "
    "sequence was sent (the supply hold comes next), or the project is in legal recovery.",
)
def letter_send(request, code: str):
    project = _project(request.user, code)
    letter = services.letter_send_now(actor=request.user, project=project)
    return Status(201, _letters(request.user).get(pk=letter.pk))


# Supply holds ------------------------------------------------------------------------


class HoldQuery(Schema):
    customer: str | None = column(Customer, "code", None)
    active: bool | None = None
    page: int = 1
    page_size: int = 50


def _unrecorded_releases(holds: QuerySet[SupplyHold], today: dt.date) -> dict[int, dt.date]:
    """Holds whose customer's overdue amount has reached zero by today though no payment
    or cycle has recorded the release yet (an invoice reversed, say): hold id -> the day.
    One query for the open holds, one for the ledger, whatever their number."""
    open_holds = holds.filter(released_on__isnull=True, since__lte=today).values_list(
        "pk", "customer_id", "since"
    )
    windows = [(pk, customer_id, since, today) for pk, customer_id, since in open_holds]
    return first_clear_day_of_customers(windows)


@router.get(
    "/holds",
    response=HoldPage,
    summary="Supply holds of the customers the caller may see, current and past",
    description="Newest first. `active=true` lists the holds in force today, "
    "`active=false` the released ones.",
)
def hold_list(request, query: Query[HoldQuery]):
    today = dt.date.today()
    holds = SupplyHold.objects.filter(customer__in=Customer.objects.visible_to(request.user))
    if query.customer:
        holds = holds.filter(customer__code=query.customer)
    unrecorded = _unrecorded_releases(holds, today)
    released = Q(released_on__isnull=False) | Q(pk__in=list(unrecorded))
    if query.active is True:
        holds = holds.exclude(released)
    elif query.active is False:
        holds = holds.filter(released)
    holds = holds.select_related("customer", "trigger__project").prefetch_related(
        Prefetch(
            "overrides",
            queryset=HoldOverride.objects.select_related("project", "granted_by", "delivery"),
        )
    )
    page = _page(holds.order_by("-since", "-id"), query)
    for hold in page["items"]:
        hold.release = hold.released_on or unrecorded.get(hold.pk)
    return page


@router.post(
    "/projects/{code}/hold-overrides",
    response={201: HoldOverrideOut},
    summary="Let one delivery to a held customer's project through (managers, admin)",
    description="With a written reason, audited. The next delivery posted to the project "
    "uses it up. 422 when the customer is not on supply hold today.",
)
def hold_override(request, code: str, payload: HoldOverrideIn):
    project = _project(request.user, code)
    override = services.hold_override_grant(
        actor=request.user, project=project, reason=payload.reason
    )
    return Status(
        201,
        HoldOverride.objects.select_related("hold__customer", "project", "granted_by").get(
            pk=override.pk
        ),
    )


# Legal recovery ----------------------------------------------------------------------


class LegalQuery(Schema):
    project: str | None = column(Project, "code", None)
    customer: str | None = column(Customer, "code", None)
    reason: LegalReason | None = None
    page: int = 1
    page_size: int = 50


def _cases(user: User) -> QuerySet[LegalCase]:
    return (
        LegalCase.objects.visible_to(user)
        .select_related("project__customer", "opened_by")
        .order_by("-opened_on", "-id")
    )


@router.get(
    "/legal-cases", response=LegalCasePage, summary="Projects in legal recovery, newest first"
)
def legal_list(request, query: Query[LegalQuery]):
    queryset = _cases(request.user)
    if query.project:
        queryset = queryset.filter(project__code=query.project)
    if query.customer:
        queryset = queryset.filter(project__customer__code=query.customer)
    if query.reason:
        queryset = queryset.filter(reason=query.reason)
    return _page(queryset, query)


@router.post(
    "/projects/{code}/legal",
    response={201: LegalCaseOut},
    summary="Send a project to legal recovery (managers, admin)",
    description="The project's status becomes `legal`: no more letters or deliveries, its "
    "owner's sales work on it is suspended. 422 without a note or when the project is "
    "already in legal recovery or written off.",
)
def legal_send(request, code: str, payload: LegalIn):
    project = _project(request.user, code)
    case = services.project_send_to_legal(actor=request.user, project=project, note=payload.note)
    return Status(201, _cases(request.user).get(pk=case.pk))


# The cycle ---------------------------------------------------------------------------


@router.post(
    "/cycle",
    response=CycleOut,
    summary="Run the daily collections cycle for a day (administrators)",
    description="What `salesdesk cycle --as-of D [--dry-run]` does, for schedulers that "
    "call HTTP rather than a command. Idempotent: a second run for the same day changes "
    "nothing. With `dry_run` nothing is written.",
)
def cycle(request, payload: CycleIn):
    require(request.user, Action.CYCLE_RUN, _("Only an administrator may run the cycle."))
    report = cycle_run(as_of=payload.as_of or dt.date.today(), dry_run=payload.dry_run)
    return {
        "as_of": report.as_of,
        "dry_run": report.dry_run,
        "changed": report.changed,
        "lines": report.lines(),
        "counts": report.counts(),
    }
