"""Reads of compensation on behalf of a user, scoped (DOMAIN §1): a salesperson sees their
own statements and advances, a manager their team's, finance and the company roles all."""

import datetime as dt

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from salesdesk.compensation.choices import OPEN_ADVANCE
from salesdesk.compensation.models import Advance
from salesdesk.compensation.rules import format_points
from salesdesk.compensation.statements import (
    StatementData,
    month_statements,
    parse_statement_id,
)
from salesdesk.core.access import visible_people
from salesdesk.core.models import User


def statements_visible(
    user: User, month: dt.date, salesperson: User | None = None
) -> list[StatementData]:
    """The month's statements `user` may see (of one salesperson if given), by username."""
    people = {person.pk: person for person in visible_people(user)}
    if salesperson is not None:
        people = {salesperson.pk: people[salesperson.pk]} if salesperson.pk in people else {}
    if not people:
        return []
    statements = [s for sp, s in month_statements(month).items() if sp in people]
    for statement in statements:
        statement.salesperson = people[statement.salesperson_id]
    return sorted(statements, key=lambda s: s.salesperson.username)


def statement_visible(user: User, statement_id: str) -> StatementData | None:
    """One statement by id, or None when it does not exist or `user` may not see it."""
    parsed = parse_statement_id(statement_id)
    if parsed is None:
        return None
    month, salesperson_id = parsed
    person = visible_people(user).filter(pk=salesperson_id).first()
    if person is None:
        return None
    statement = month_statements(month).get(salesperson_id)
    if statement is not None:
        statement.salesperson = person
    return statement


def advances_visible(user: User) -> QuerySet[Advance]:
    return Advance.objects.visible_to(user).select_related(
        "salesperson", "project", "decided_by", "paid_by"
    )


def open_advances(salesperson_id: int) -> list[Advance]:
    return list(
        Advance.objects.filter(salesperson_id=salesperson_id, status__in=OPEN_ADVANCE)
        .select_related("project")
        .order_by("asked_on", "id")
    )


def band_note(statement: StatementData) -> str:
    """The band penalty in words, as the statement says it."""
    band = statement.band
    if not band.task_count:
        return _("No issued collection task this month: no band penalty.")
    return _(
        "Task completion %(completion)s (collected %(collected)s of %(target)s over "
        "%(count)s issued tasks): %(points)s penalty points."
    ) % {
        "completion": f"{band.completion * 100:.2f}%",
        "collected": f"{band.collected:.2f}",
        "target": f"{band.target:.2f}",
        "count": band.task_count,
        "points": format_points(band.points),
    }
