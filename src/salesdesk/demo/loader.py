"""Writes generated data into the database: staff through the core services, the
customer archive by bulk insert.

Customers, contacts and projects skip `customer_create` and friends on purpose: those
validate, number and audit one row at a time, which is right for people and far too slow
for 100,000 generated rows that are valid by construction. What the services would add
to each row (the search key, the project owner) is added here.
"""

import dataclasses
import itertools
import re
from collections.abc import Callable, Iterable, Iterator

from django.db import reset_queries, transaction
from django.db.models.functions import Length

from salesdesk.core.models import Plant, User
from salesdesk.core.services import plant_upsert, user_upsert
from salesdesk.customers.models import Contact, Customer, Project
from salesdesk.demo.generator import PLANTS, USERS, CustomerData
from salesdesk.lib import names

BATCH_SIZE = 5000


@dataclasses.dataclass
class Staff:
    """The demo plants by code and users by username, as stored."""

    plants: dict[str, Plant]
    users: dict[str, User]


@dataclasses.dataclass
class Counts:
    customers: int = 0
    contacts: int = 0
    projects: int = 0


def staff_ensure(*, password: str, update: bool) -> Staff:
    """Create the demo plants and users. With `update`, existing ones are reset to the
    demo values and password; without, existing ones are reused as they are."""
    plants = {}
    for spec in PLANTS:
        plant = Plant.objects.filter(code=spec.code).first()
        if plant is None or update:
            plant, _changed = plant_upsert(code=spec.code, name=spec.name)
        plants[spec.code] = plant
    users: dict[str, User] = {}
    for spec in USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is None or update:
            user, _changed = user_upsert(
                username=spec.username,
                name=spec.name,
                roles=[spec.role],
                manager=users[spec.manager] if spec.manager else None,
                plant=plants[spec.plant],
                email=f"{spec.username}@example.com",
                password=password,
            )
        users[spec.username] = user
    return Staff(plants=plants, users=users)


def load(
    customers: Iterable[CustomerData],
    *,
    staff: Staff,
    chunk_size: int = BATCH_SIZE,
    progress: Callable[[Counts], None] | None = None,
) -> Counts:
    """Insert the customers with their contacts and projects, `chunk_size` customers per
    transaction, so memory stays flat and an interrupted run keeps whole chunks only."""
    counts = Counts()
    for chunk in _chunks(customers, chunk_size):
        with transaction.atomic():
            rows = [_customer_row(data, staff) for data in chunk]
            Customer.objects.bulk_create(rows, batch_size=BATCH_SIZE)
            ids = _customer_ids(rows)
            contacts = [
                _contact_row(contact, ids[data.code]) for data in chunk for contact in data.contacts
            ]
            Contact.objects.bulk_create(contacts, batch_size=BATCH_SIZE)
            projects = [
                _project_row(project, ids[data.code], staff.users[data.owner].pk, staff)
                for data in chunk
                for project in data.projects
            ]
            Project.objects.bulk_create(projects, batch_size=BATCH_SIZE)
        # With DEBUG on, Django keeps the last 9,000 statements, each with its thousand
        # parameters spelt out: half a gigabyte by the end of a large run.
        reset_queries()
        counts.customers += len(rows)
        counts.contacts += len(contacts)
        counts.projects += len(projects)
        if progress is not None:
            progress(counts)
    return counts


def next_number(model, prefix: str) -> int:
    """The number after the highest existing code `prefix` + digits (1 when none)."""
    last = (
        model.objects.filter(code__regex=rf"^{re.escape(prefix)}[0-9]+$")
        .order_by(Length("code").desc(), "-code")
        .values_list("code", flat=True)
        .first()
    )
    return int(last[len(prefix) :]) + 1 if last else 1


def taken_names() -> Iterator[str]:
    return Customer.objects.values_list("name", flat=True).iterator(chunk_size=BATCH_SIZE)


def taken_credit_codes() -> Iterator[str]:
    return (
        Customer.objects.exclude(credit_code="")
        .values_list("credit_code", flat=True)
        .iterator(chunk_size=BATCH_SIZE)
    )


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _customer_ids(rows: list[Customer]) -> dict[str, int]:
    """Customer id by code. SQLite before 3.35 does not return ids from a bulk insert,
    so then they are read back."""
    if all(row.pk is not None for row in rows):
        return {row.code: row.pk for row in rows}
    codes = [row.code for row in rows]
    return dict(Customer.objects.filter(code__in=codes).values_list("code", "pk"))


def _customer_row(data: CustomerData, staff: Staff) -> Customer:
    return Customer(
        code=data.code,
        name=data.name,
        search_key=names.search_key(data.name),
        credit_code=data.credit_code,
        industry=data.industry,
        region=data.region,
        address=data.address,
        owner_id=staff.users[data.owner].pk,
        source=data.source,
        status=data.status,
        credit_rating=data.credit_rating,
        business_score=data.business_score,
        tier="",
    )


def _contact_row(contact, customer_id: int) -> Contact:
    return Contact(
        customer_id=customer_id,
        name=contact.name,
        title=contact.title,
        phone=contact.phone,
        role=contact.role,
        decision_authority=contact.decision_authority,
    )


def _project_row(project, customer_id: int, owner_id: int, staff: Staff) -> Project:
    return Project(
        code=project.code,
        customer_id=customer_id,
        name=project.name,
        plant_id=staff.plants[project.plant].pk,
        owner_id=owner_id,
        contract_no=project.contract_no,
        payment_terms_days=project.payment_terms_days,
        credit_limit=project.credit_limit,
        status=project.status,
        started_on=project.started_on,
        completed_on=project.completed_on,
    )
