"""Writes generated data into the database: staff through the core services, the
customer archive by bulk insert, ledger history in batches, and staff.
The sales activity (tiering, FAB lines, claims, opportunities, visits) is written by
`activity_loader.py`.

Customers, contacts and projects skip `customer_create` and friends on purpose: those
validate, number and audit one row at a time, which is right for people and far too slow
for 100,000 generated rows that are valid by construction. What the services would add
to each row (the search key, the project owner) is added here. Money records go through
the ledger's own batch path: values validated by the `*_values` functions, inserted by
`records_post_batch`; floor prices and asset offsets, a handful, through the services.
"""

import dataclasses
import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from django.db import reset_queries, transaction
from django.db.models.functions import Length
from django.utils import timezone

from salesdesk.core.models import Plant, User
from salesdesk.core.services import plant_upsert, user_upsert
from salesdesk.customers.models import (
    Contact,
    Customer,
    Project,
)
from salesdesk.demo.generator import PLANTS, USERS, CustomerData
from salesdesk.demo.ledger_records import (
    PRODUCTS,
    FloorPriceData,
    History,
    LedgerProject,
    OffsetData,
)
from salesdesk.ledger import services as ledger
from salesdesk.ledger.models import (
    AssetOffset,
    AssetOffsetStep,
    Delivery,
    Expense,
    FloorPrice,
    Invoice,
    Payment,
    PriceApproval,
)
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
    each_chunk: Callable[[list[CustomerData], list[Project]], None] | None = None,
) -> Counts:
    """Insert the customers with their contacts and projects, `chunk_size` customers per
    transaction, so memory stays flat and an interrupted run keeps whole chunks only.
    `each_chunk(customers, projects)` runs in the chunk's transaction after its inserts
    (synth adds the chunk's ledger history there)."""
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
            if each_chunk is not None:
                each_chunk(chunk, _with_ids(projects))
        # With DEBUG on, Django keeps the last 9,000 statements, each with its thousand
        # parameters spelt out: half a gigabyte by the end of a large run.
        reset_queries()
        counts.customers += len(rows)
        counts.contacts += len(contacts)
        counts.projects += len(projects)
        if progress is not None:
            progress(counts)
    return counts


def next_number(model, prefix: str, field: str = "code") -> int:
    """The number after the highest existing `field` `prefix` + digits (1 when none)."""
    last = (
        model.objects.filter(**{f"{field}__regex": rf"^{re.escape(prefix)}[0-9]+$"})
        .order_by(Length(field).desc(), f"-{field}")
        .values_list(field, flat=True)
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


def _with_ids(projects: list[Project]) -> list[Project]:
    """The inserted projects with their ids (read back where the insert returned none)."""
    missing = [project.code for project in projects if project.pk is None]
    if missing:
        ids = dict(Project.objects.filter(code__in=missing).values_list("code", "pk"))
        for project in projects:
            project.pk = project.pk or ids[project.code]
    return projects


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
        name_key=names.name_key(data.name),
        name_head=names.name_head(data.name),
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


# Ledger history -----------------------------------------------------------------------


@dataclasses.dataclass
class HistoryCounts:
    """Records created; billed and collected are the loaded history's totals."""

    deliveries: int = 0
    below_floor: int = 0
    approved: int = 0
    invoices: int = 0
    payments: int = 0
    expenses: int = 0
    offsets: int = 0
    billed: Decimal = Decimal("0.00")
    collected: Decimal = Decimal("0.00")

    def add(self, other: "HistoryCounts") -> None:
        for field in dataclasses.fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


def ledger_is_empty() -> bool:
    return not any(m.objects.exists() for m in (Delivery, Invoice, Payment, Expense))


def stored_projects(codes: Iterable[str]) -> dict[str, Project]:
    """The stored projects of these codes, with customer, owner and plant."""
    wanted = set(codes)
    rows = Project.objects.select_related("customer", "owner", "plant").order_by("code")
    prefixes = {re.match(r"\D*", code).group() for code in wanted}
    if len(prefixes) == 1:  # a regex instead of a long IN list
        rows = rows.filter(code__regex=rf"^{re.escape(prefixes.pop())}[0-9]+$")
    return {project.code: project for project in rows if project.code in wanted}


def ledger_projects_stored(projects: Iterable[Project]) -> list[LedgerProject]:
    """Stored projects (with customer, owner and plant selected) as the history takes them."""
    return [
        LedgerProject(
            code=project.code, customer=project.customer.code, owner=project.owner.username,
            plant=project.plant.code if project.plant_id else None,
            payment_terms_days=project.payment_terms_days, credit_limit=project.credit_limit,
            status=project.status, started_on=project.started_on,
            completed_on=project.completed_on,
        )
        for project in projects
    ]  # fmt: skip


def catalogue_ensure(*, staff: Staff) -> ledger.ProductFinder:
    """The demo's product catalogue, through the ledger service (audited). A product already
    stored under the code, or under the name up to width, case and spaces, is kept as is.
    Returns the catalogue to look names up in."""
    finder = ledger.ProductFinder()
    for product in PRODUCTS:
        if finder.find(product.code) is None and finder.find(product.name) is None:
            ledger.product_create(
                actor=staff.users["finance"], code=product.code, name=product.name,
                unit=product.unit, grade=product.grade,
            )  # fmt: skip
            finder = ledger.ProductFinder()
    return finder


def floor_prices_set(rows: Iterable[FloorPriceData], *, staff: Staff, missing_only: bool) -> int:
    """Set the floor prices through the ledger service (a dozen rows, audited). With
    `missing_only`, a product (or product and plant) with any floor price keeps its own."""
    plants = _plants()
    products = catalogue_ensure(staff=staff)
    taken = (
        set(FloorPrice.objects.values_list("product__name_key", "plant__code"))
        if missing_only
        else ()
    )
    count = 0
    for row in rows:
        product = products.find(row.product)
        if (product.name_key, row.plant) in taken:
            continue
        ledger.floor_price_set(
            actor=staff.users["manager1"], product=product, price=row.price,
            effective_from=row.effective_from, plant=plants[row.plant] if row.plant else None,
        )  # fmt: skip
        count += 1
    return count


def history_load(history: History, *, staff: Staff, projects: dict[str, Project]) -> HistoryCounts:
    """Insert a generated history for `projects` (by code). Keys already stored with the
    same content are skipped, as the ledger's importer would; with other content nothing
    is written and ValueError names them."""
    plants = _plants()
    products = catalogue_ensure(staff=staff)
    supply, finance = staff.users["supply"], staff.users["finance"]
    dates = ledger.RecordDates.on(history.as_of)  # the policy read once, not per record
    counts = HistoryCounts()
    counts.deliveries = _post(Delivery, "ticket", supply, (
        (d.ticket, ledger.delivery_values(
            project=projects[d.project], date=d.date, product=d.product, quantity=d.quantity,
            unit_price=d.unit_price, unit=d.unit, plant=plants[d.plant], find=products.find,
            dates=dates,
        ) | {"floor_price": d.floor_price})
        for d in history.deliveries
    ))  # fmt: skip
    counts.below_floor = history.below_floor
    counts.approved = _approvals_post(history, staff)
    counts.invoices = _post(Invoice, "number", finance, (
        (i.number, ledger.invoice_values(
            project=projects[i.project], date=i.date, amount=i.amount, due_date=i.due_date,
            dates=dates))
        for i in history.invoices
    ))  # fmt: skip
    counts.payments = _post(Payment, "reference", finance, (
        (p.reference, ledger.payment_values(
            project=projects[p.project], date=p.date, amount=p.amount, method=p.method,
            dates=dates))
        for p in history.payments
    ))  # fmt: skip
    counts.expenses = _post(Expense, "reference", finance, (
        (e.reference, ledger.expense_values(
            salesperson=staff.users[e.salesperson], date=e.date, amount=e.amount,
            project=projects[e.project] if e.project else None, category=e.category,
            dates=dates))
        for e in history.expenses
    ))  # fmt: skip
    counts.offsets = sum(
        _offset_post(offset, staff, projects[offset.project]) for offset in history.offsets
    )
    counts.billed = history.billed
    counts.collected = history.collected
    reset_queries()
    return counts


def _plants() -> dict[str, Plant]:
    return {plant.code: plant for plant in Plant.objects.all()}


def _post(model, key_field: str, actor: User, rows: Iterable[tuple[str, dict]]) -> int:
    created = 0
    for batch in _chunks(rows, BATCH_SIZE):
        made, _skipped, conflicts = ledger.records_post_batch(
            model=model, key_field=key_field, rows=batch, actor=actor
        )
        if conflicts:
            keys = ", ".join(sorted(conflicts)[:5])
            raise ValueError(f"{model._meta.verbose_name} {keys} already stored differently")
        created += made
    return created


def at_hour(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _approvals_post(history: History, staff: Staff) -> int:
    """Managers' approvals of below-floor prices, dated when they were given."""
    by_ticket = {approval.ticket: approval for approval in history.approvals}
    ids = {}
    for tickets in _chunks(by_ticket, 500):
        ids.update(Delivery.objects.filter(ticket__in=tickets).values_list("ticket", "pk"))
    taken = set(PriceApproval.objects.filter(delivery_id__in=ids.values()).values_list(
        "delivery_id", flat=True))  # fmt: skip
    rows = [
        PriceApproval(
            delivery_id=ids[ticket], approved_by=staff.users[approval.approved_by],
            reason=approval.reason,
        )
        for ticket, approval in by_ticket.items()
        if ids[ticket] not in taken
    ]  # fmt: skip
    PriceApproval.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    # `at` is set on insert; the approval happened on its own day.
    stored = PriceApproval.objects.filter(delivery_id__in=[row.delivery_id for row in rows])
    when = {ids[ticket]: at_hour(approval.on, 17, 30) for ticket, approval in by_ticket.items()}
    approvals = list(stored.only("pk", "delivery_id"))
    for approval in approvals:
        approval.at = when[approval.delivery_id]
    PriceApproval.objects.bulk_update(approvals, ["at"], batch_size=BATCH_SIZE)
    return len(rows)


def _offset_post(data: OffsetData, staff: Staff, project: Project) -> bool:
    """An asset offset through the ledger's workflow, each step dated as generated.
    False when the project already has an offset of these items."""
    if AssetOffset.objects.filter(project=project, items=data.items).exists():
        return False
    users = staff.users
    offset = ledger.offset_apply(actor=users[data.applicant], project=project, items=data.items,
                                 claimed_value=data.claimed_value)  # fmt: skip
    times = [at_hour(data.applied_on, 9, 30)]
    if data.appraised_value is not None:
        offset = ledger.offset_appraise(actor=users["finance"], offset=offset,
                                        appraised_value=data.appraised_value, note=data.note)  # fmt: skip
        times.append(at_hour(data.appraised_on, 15))
    if data.status == "posted":
        ledger.offset_accept(
            actor=users["supply"], offset=offset, date=data.closed_on, note=data.note
        )
        times.append(at_hour(data.closed_on, 11))
    elif data.status == "rejected":
        ledger.offset_reject(actor=users["finance"], offset=offset, reason=data.note)
        times.append(at_hour(data.closed_on, 11))
    AssetOffset.objects.filter(pk=offset.pk).update(created_at=times[0], updated_at=times[-1])
    steps = (
        AssetOffsetStep.objects.filter(offset=offset).order_by("pk").values_list("pk", flat=True)
    )
    for step, at in zip(steps, times, strict=True):
        AssetOffsetStep.objects.filter(pk=step).update(at=at)
    return True
