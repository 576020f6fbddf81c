"""Commission statements and expense advances of the demo company (DOMAIN §7).

Call after the history is loaded and the collections cycle replayed (so the months have
their issued and assessed tasks, legal cases and completed projects):

    from salesdesk.demo.compensation import load_compensation
    load_compensation(as_of=as_of)

Finance went live with commissions the month after the collections cycle did: every month
from then to the last one before `as_of` is finalised, in order, by the demo's finance
user, so they show frozen statements with band penalties, legal penalties, old-debt
bonuses and the release of projects completed in those months; the month of `as_of` stays
open, computed on demand. Each salesperson then has expense advances at every step of the
workflow, within the cap: one asked, one approved, one paid and, where a project of theirs
is 100% collected, one paid and written off into sales expenses by the cycle's step.

Idempotent: a finalised month is not finalised again, and advances are added only when
there are none yet.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.db import transaction

from salesdesk.compensation import services
from salesdesk.compensation.models import Advance, MonthClose
from salesdesk.core.choices import Role
from salesdesk.core.models import User
from salesdesk.customers.choices import ProjectStatus
from salesdesk.customers.models import Project
from salesdesk.ledger.allocation import project_balances
from salesdesk.lib.dates import month_end, next_month

# Months before `as_of` the commission go-live lies: one after the cycle's (demo/replay.py).
FINALISED_MONTHS = 5
STEPS = ("asked", "approved", "paid")


@dataclass
class CompensationCounts:
    finalised: list[dt.date] = field(default_factory=list)
    advances: int = 0
    written_off: int = 0


def _month_back(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def _one(role: str) -> User | None:
    return User.objects.filter(role_set__role=role, is_active=True).order_by("username").first()


def load_compensation(*, as_of: dt.date, months: int = FINALISED_MONTHS) -> CompensationCounts:
    counts = CompensationCounts()
    finance = _one(Role.FINANCE)
    with transaction.atomic():
        month = _month_back(as_of.replace(day=1), months)
        last = MonthClose.objects.order_by("-month").values_list("month", flat=True).first()
        if last is not None:
            month = max(month, next_month(last))
        while month_end(month) < as_of:
            services.month_finalise(actor=finance, month=month, today=as_of)
            counts.finalised.append(month)
            month = next_month(month)
        if not Advance.objects.exists():
            counts.advances, counts.written_off = _advances(as_of, finance)
    return counts


def _advances(as_of: dt.date, finance: User | None) -> tuple[int, int]:
    """Advances on the salespeople's projects with cash collected, at every step."""
    sellers = list(
        User.objects.filter(role_set__role=Role.SALES, is_active=True)
        .select_related("manager")
        .order_by("username")
    )
    balances = project_balances(as_of)
    projects = Project.objects.filter(owner__in=sellers).exclude(status=ProjectStatus.WRITTEN_OFF)
    by_owner: dict[int, list[Project]] = {}
    for project in projects.order_by("code"):
        balance = balances.get(project.pk)
        if balance and balance.billed - balance.outstanding > 0:
            by_owner.setdefault(project.owner_id, []).append(project)
    made, written = 0, 0
    for seller in sellers:
        approver = seller.manager or _one(Role.ADMIN)
        mine = by_owner.get(seller.pk, [])
        done = [p for p in mine if _fully_collected(p, balances.get(p.pk), as_of)]
        going = [p for p in mine if p not in done]
        for n, (project, step) in enumerate(zip(going, STEPS, strict=False)):
            asked_on = as_of - dt.timedelta(days=3 * (len(STEPS) - n))
            if _advance(seller, project, step, asked_on, approver, finance):
                made += 1
        if done and _advance(seller, done[0], "paid", as_of - dt.timedelta(days=20),
                             approver, finance):  # fmt: skip
            made += 1
    written = len(services.advances_write_off(day=as_of))
    return made, written


def _fully_collected(project: Project, balance, as_of: dt.date) -> bool:
    return (
        project.status == ProjectStatus.COMPLETED
        and project.completed_on is not None
        and project.completed_on <= as_of
        and balance is not None
        and balance.billed > 0
        and balance.outstanding == 0
    )


def _advance(seller, project, step, asked_on, approver, finance) -> bool:
    figures = services.advance_cap_figures(project, asked_on)
    room = figures.cap - figures.open
    amount = min(Decimal("3000.00"), room * Decimal("0.4")).quantize(
        Decimal("1"), rounding=ROUND_DOWN
    )
    if amount <= 0:
        return False
    purpose = {
        "asked": "客户回款走访差旅",
        "approved": "催款函快递及公证费",
        "paid": "工地结算招待",
    }
    advance, _created = services.advance_request(
        actor=seller, project=project, amount=amount, purpose=purpose[step], today=asked_on
    )
    if step in ("approved", "paid") and approver is not None:
        services.advance_approve(actor=approver, advance=advance, today=asked_on)
    if step == "paid" and finance is not None:
        services.advance_pay(actor=finance, advance=advance, today=asked_on + dt.timedelta(days=1))
    return True
