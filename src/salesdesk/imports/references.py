"""References from one sheet to rows of another (projects.customer -> a customer code).

A batch resolves each kind of reference with one query (`fetch`), then looks rows up in
the dict (`resolve`), so a batch of 2,000 invoices costs one project query, not 2,000.
"""

from dataclasses import dataclass

from django.db import models

from salesdesk.core.models import Plant, User
from salesdesk.customers.models import Customer, Project
from salesdesk.imports.spec import Row, SheetRun
from salesdesk.pipeline.models import Opportunity


@dataclass(frozen=True)
class Target:
    sheet: str  # the sheet that defines these records
    noun: str
    model: type[models.Model]
    field: str  # the unique field a reference names


PLANTS = Target("plants", "plant", Plant, "code")
USERS = Target("users", "user", User, "username")
CUSTOMERS = Target("customers", "customer", Customer, "code")
PROJECTS = Target("projects", "project", Project, "code")
OPPORTUNITIES = Target("opportunities", "opportunity", Opportunity, "code")


def fetch(
    sheet: SheetRun, target: Target, rows: list[Row], *columns: str, select_related=()
) -> dict:
    """{key: record} for every key the rows state in `columns`, in one query.

    Customers and projects the acting user may not see are left out: for the import, as
    for every page and endpoint, they do not exist (a 404, never the record).
    """
    keys = {row[column] for row in rows for column in columns if column in row.values}
    if not keys:
        return {}
    queryset = target.model.objects.select_related(*select_related)
    if sheet.actor is not None and hasattr(queryset, "visible_to"):
        queryset = queryset.visible_to(sheet.actor)
    return queryset.in_bulk(keys, field_name=target.field)


def resolve(sheet: SheetRun, row: Row, column: str, target: Target, found: dict):
    """The record `row[column]` names, or None. A name that matches nothing is an error
    on the row; None without an error when the cell is blank."""
    key = row.get(column)
    if key is None:
        return None
    record = found.get(key)
    if record is None:
        reason = sheet.missing_reason(target.sheet, key)
        if reason:
            sheet.error(row, column, f"{target.noun} {key} was not imported: {reason}")
        else:
            sheet.error(row, column, f"unknown {target.noun} {key}")
    return record
