"""Writes generated data into the database: staff through the core services, the
customer archive by bulk insert, ledger history in batches, and the evaluation history
(tiering, FAB lines, claims, opportunities, visits: see its section below).

Customers, contacts and projects skip `customer_create` and friends on purpose: those
validate, number and audit one row at a time, which is right for people and far too slow
for 100,000 generated rows that are valid by construction. What the services would add
to each row (the search key, the project owner) is added here. Money records go through
the ledger's own batch path: values validated by the `*_values` functions, inserted by
`records_post_batch`; floor prices and asset offsets, a handful, through the services.
"""

import bisect
import contextlib
import dataclasses
import datetime as dt
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from django.db import reset_queries, transaction
from django.db.models import Max
from django.db.models.functions import Length
from django.utils import timezone

from salesdesk.core.models import AuditEntry, Plant, User
from salesdesk.core.policy import policy_as_of
from salesdesk.core.services import plant_upsert, user_upsert
from salesdesk.customers import services as customer_services
from salesdesk.customers.choices import ProjectStatus, Tier
from salesdesk.customers.claims import services as claim_services
from salesdesk.customers.models import (
    ClaimDispute,
    ClaimStatus,
    Contact,
    Customer,
    CustomerOwnerChange,
    CustomerTierChange,
    Project,
    ProspectClaim,
)
from salesdesk.demo.evaluation import (
    Claims,
    DisputeData,
    EvalContact,
    EvalCustomer,
    FabData,
    OpportunityData,
    OpportunityEvent,
    VisitData,
    VisitRule,
)
from salesdesk.demo.generator import PLANTS, USERS, CustomerData
from salesdesk.demo.history import PRODUCTS, FloorPriceData, History, LedgerProject, OffsetData
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
from salesdesk.pipeline import fab as pipeline_fab
from salesdesk.pipeline import services as pipeline_services
from salesdesk.pipeline.models import FabProduct, Opportunity, OpportunityTouch
from salesdesk.visits import services as visit_services
from salesdesk.visits.models import Commitment, Visit
from salesdesk.visits.services import CommitmentIn

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


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
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
    when = {ids[ticket]: _at(approval.on, 17, 30) for ticket, approval in by_ticket.items()}
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
    times = [_at(data.applied_on, 9, 30)]
    if data.appraised_value is not None:
        offset = ledger.offset_appraise(actor=users["finance"], offset=offset,
                                        appraised_value=data.appraised_value, note=data.note)  # fmt: skip
        times.append(_at(data.appraised_on, 15))
    if data.status == "posted":
        ledger.offset_accept(
            actor=users["supply"], offset=offset, date=data.closed_on, note=data.note
        )
        times.append(_at(data.closed_on, 11))
    elif data.status == "rejected":
        ledger.offset_reject(actor=users["finance"], offset=offset, reason=data.note)
        times.append(_at(data.closed_on, 11))
    AssetOffset.objects.filter(pk=offset.pk).update(created_at=times[0], updated_at=times[-1])
    steps = (
        AssetOffsetStep.objects.filter(offset=offset).order_by("pk").values_list("pk", flat=True)
    )
    for step, at in zip(steps, times, strict=True):
        AssetOffsetStep.objects.filter(pk=step).update(at=at)
    return True


# Evaluation history -------------------------------------------------------------------
#
# Tiering, FAB lines, registrations, disputes and opportunities go through their
# services: a few hundred calls, validated and audited as a user's would be. The visits,
# about fifteen hundred with their commitments, are inserted in bulk (the services took
# three milliseconds a visit, a third of the demo's time budget); each visit is first
# checked by the visit service's own cleaning, and the rows carry what `visit_record` and
# `commitment_complete` would store, audit entries included. Every record is then dated
# when it happened rather than when the demo ran.


class AuditClock:
    """Dates the audit entries written by the service calls made inside `at(when)`."""

    def __init__(self):
        self.start = _last_audit_id()
        self.marks: list[tuple[int, dt.datetime]] = []  # (last id before the call, when)

    @contextlib.contextmanager
    def at(self, when: dt.datetime):
        before = _last_audit_id()
        yield
        self.marks.append((before, _aware(when)))

    def apply(self) -> None:
        """Each entry written since the clock started takes the time of the call it was
        written in (the last mark before its id)."""
        befores = [before for before, _when in self.marks]
        entries = list(AuditEntry.objects.filter(pk__gt=self.start).only("pk").order_by("pk"))
        dated = []
        for entry in entries:
            index = bisect.bisect_left(befores, entry.pk) - 1
            if index >= 0:
                entry.at = self.marks[index][1]
                dated.append(entry)
        AuditEntry.objects.bulk_update(dated, ["at"], batch_size=500)


def _last_audit_id() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _aware(when: dt.datetime) -> dt.datetime:
    """`when` in the current time zone, and never later than now (a visit of today is
    logged in the evening, but the demo may run in the morning)."""
    when = timezone.make_aware(when) if timezone.is_naive(when) else when
    return min(when, timezone.now())


def _stamp(model, times: dict[int, tuple[dt.datetime, dt.datetime]]) -> None:
    """Set created_at and updated_at of rows by id."""
    rows = []
    for pk, (created, updated) in times.items():
        row = model(pk=pk)
        row.created_at, row.updated_at = _aware(created), _aware(updated)
        rows.append(row)
    model.objects.bulk_update(rows, ["created_at", "updated_at"], batch_size=500)


def tiering_ensure(as_of: dt.date) -> Counter | None:
    """Tier the active customers as of `as_of` (DOMAIN §2), unless they were tiered
    before. Returns the customers per tier, or None when nothing was done."""
    if Customer.objects.exclude(tier="").exists() or CustomerTierChange.objects.exists():
        return None
    changed = customer_services.tiering_apply(actor=None, as_of=as_of)
    return Counter(str(proposal.proposed) for proposal in changed)


def visit_rules(as_of: dt.date) -> dict[str, VisitRule]:
    policy = policy_as_of(as_of)
    return {
        tier: VisitRule(policy[f"tier.{tier}.visits_required"], policy[f"tier.{tier}.visit_period"])
        for tier in Tier.values
    }


def evaluation_customers() -> list[EvalCustomer]:
    """Every customer as the evaluation generators take them, in code order."""
    # A prospect registered in the demo is worked from its latest registration (a
    # reassigned one by its new owner, from the decision).
    since = dict(
        ProspectClaim.objects.order_by()
        .values("customer_id")
        .annotate(last=Max("registered_on"))
        .values_list("customer_id", "last")
    )
    contacts = defaultdict(list)
    rows = Contact.objects.order_by("customer_id", "pk").values_list(
        "customer_id", "name", "title", "role", "decision_authority"
    )
    for customer_id, name, title, role, authority in rows:
        contacts[customer_id].append(EvalContact(name, title, role, authority))
    projects = defaultdict(list)
    rows = Project.objects.filter(status=ProjectStatus.ACTIVE).order_by("code")
    for customer_id, code in rows.values_list("customer_id", "code"):
        projects[customer_id].append(code)
    customers = Customer.objects.order_by("code").values_list(
        "pk", "code", "name", "owner__username", "status", "tier", "source", "region", "industry"
    )
    return [
        EvalCustomer(
            code=code, name=name, owner=owner, status=status, tier=tier, source=source,
            region=region, industry=industry, contacts=tuple(contacts[pk]),
            projects=tuple(projects[pk]), since=since.get(pk),
        )
        for pk, code, name, owner, status, tier, source, region, industry in customers
    ]  # fmt: skip


def fab_load(rows: Iterable[FabData], *, staff: Staff, on: dt.date) -> int:
    """Marketing records the FAB lines of the products, on `on`; only into an empty list."""
    if FabProduct.objects.exists():
        return 0
    clock, count = AuditClock(), 0
    when = _at(on, 10)
    for row in rows:
        lines = [{"feature": f, "advantage": a, "benefit": b} for f, a, b in row.lines]
        with clock.at(when):
            product, _outcome = pipeline_fab.fab_product_save(
                actor=staff.users["marketing"], name=row.product, lines=lines, notes=row.notes
            )
        _stamp(FabProduct, {product.pk: (when, when)})
        count += 1
    clock.apply()
    return count


def claims_are_empty() -> bool:
    return not ProspectClaim.objects.exists() and not ClaimDispute.objects.exists()


def claims_load(claims: Claims, *, staff: Staff) -> tuple[int, int]:
    """Registrations, releases, disputes and decisions through the claim services, in the
    order they happened. Returns (registrations, disputes)."""
    users = staff.users
    clock = AuditClock()
    customers: dict[str, Customer] = {}  # registered, by name
    disputes: list[tuple[ClaimDispute, DisputeData]] = []
    registrations = 0
    for day, _order, kind, record in claims.events():
        if kind == "register":
            when = _at(day, 10, 30)
            data = record.customer
            actor = users[record.claimant]
            with clock.at(when):
                registration = claim_services.prospect_register(
                    actor=actor, name=data.name, credit_code=data.credit_code,
                    region=data.region, industry=data.industry, address=data.address,
                    source=data.source, today=day,
                )  # fmt: skip
                for contact in data.contacts:
                    customer_services.contact_upsert(
                        actor=actor, customer=registration.customer, name=contact.name,
                        title=contact.title, phone=contact.phone, role=contact.role,
                        decision_authority=contact.decision_authority,
                    )  # fmt: skip
            if registration.outcome != registration.CREATED:
                raise ValueError(f"{data.name} was {registration.outcome}, not registered anew")
            customers[data.name] = registration.customer
            registrations += 1
        elif kind == "release":
            claim = ProspectClaim.objects.get(
                customer=customers[record.customer.name], status=ClaimStatus.ACTIVE
            )
            with clock.at(_at(day, 16)):
                claim_services.claim_release(
                    actor=users[record.claimant], claim=claim, reason=record.release_reason,
                    today=day,
                )  # fmt: skip
        elif kind == "dispute":
            with clock.at(_at(day, 11)):
                try:
                    claim_services.prospect_register(
                        actor=users[record.challenger], name=record.name, region=record.region,
                        today=day,
                    )  # fmt: skip
                except claim_services.ClaimRefused as refusal:
                    dispute = refusal.dispute
                else:
                    raise ValueError(f"The registration of {record.name} was not refused")
            if dispute is None or dispute.customer.name != record.target:
                raise ValueError(f"The registration of {record.name} was not disputed")
            disputes.append((dispute, record))
        else:  # decide
            dispute = next(d for d, data in disputes if data is record)
            with clock.at(_at(day, 15)):
                claim_services.dispute_decide(
                    actor=users[record.decided_by], dispute=dispute, decision=record.decision,
                    reason=record.reason, today=day,
                )  # fmt: skip
    clock.apply()
    _claims_dated(customers, disputes)
    return registrations, len(disputes)


def _claims_dated(customers: dict[str, Customer], disputes) -> None:
    """Customers, contacts, registrations and disputes dated when they happened."""
    ids = [customer.pk for customer in customers.values()]
    claims = ProspectClaim.objects.order_by("pk")
    first = {}
    times = {}
    for claim in claims:
        first.setdefault(claim.customer_id, claim.registered_on)
        ended = _at(claim.ended_on, 16) if claim.ended_on else None
        times[claim.pk] = (
            _at(claim.registered_on, 10, 30),
            ended or _at(claim.registered_on, 10, 30),
        )
    _stamp(ProspectClaim, times)
    _stamp(Customer, {pk: (_at(first[pk], 10, 30),) * 2 for pk in ids})
    contacts = Contact.objects.filter(customer_id__in=ids).values_list("pk", "customer_id")
    _stamp(Contact, {pk: (_at(first[customer], 10, 30),) * 2 for pk, customer in contacts})
    for dispute, data in disputes:
        opened = _aware(_at(data.on, 11))
        decided = _aware(_at(data.decided_on, 15)) if data.decided_on else None
        ClaimDispute.objects.filter(pk=dispute.pk).update(
            created_at=opened, updated_at=decided or opened, decided_at=decided
        )
        if data.decision == "reassign":
            CustomerOwnerChange.objects.filter(customer=dispute.customer).update(at=decided)
            Customer.objects.filter(pk=dispute.customer_id).update(updated_at=decided)


def pipeline_load(opportunities: Iterable[OpportunityData], *, staff: Staff) -> tuple[int, int]:
    """Each opportunity created by its owner and taken through its history (qualified,
    assessed, scored, moved, reduced, touched) by the pipeline services. Returns
    (opportunities, touches)."""
    opportunities = list(opportunities)
    customers = {
        customer.code: customer
        for customer in Customer.objects.filter(
            code__in={data.customer for data in opportunities}
        ).select_related("owner")
    }
    products = {product.name: product for product in FabProduct.objects.all()}
    clock = AuditClock()
    stamps, touch_stamps = {}, {}
    for data in opportunities:
        owner = staff.users[data.owner]
        with clock.at(data.created_at):
            opportunity = pipeline_services.opportunity_create(
                actor=owner, customer=customers[data.customer], name=data.name, code=data.code,
                owner=owner, source=data.source, value=data.value,
                expected_close=data.expected_close, competitors=data.competitors,
                purchase_criteria=data.purchase_criteria, spec_in_tender=data.spec_in_tender,
                products=[products[name] for name in data.products if name in products],
            )  # fmt: skip
        for event in data.events:
            with clock.at(event.at):
                touch = _opportunity_event(opportunity, event, owner)
            if touch is not None:
                touch_stamps[touch.pk] = event.at
        last = data.events[-1].at if data.events else data.created_at
        stamps[opportunity.pk] = (data.created_at, last)
    clock.apply()
    _stamp(Opportunity, stamps)
    touches = [OpportunityTouch(pk=pk, created_at=_aware(at)) for pk, at in touch_stamps.items()]
    OpportunityTouch.objects.bulk_update(touches, ["created_at"], batch_size=500)
    reset_queries()
    return len(stamps), len(touches)


def _opportunity_event(opportunity: Opportunity, event: OpportunityEvent, actor: User):
    values, day = event.values, event.at.date()
    common = {"actor": actor, "opportunity": opportunity}
    if event.action == "qualify":
        pipeline_services.opportunity_qualify(**common, **values)
    elif event.action == "assess":
        pipeline_services.opportunity_assess(**common, **values)
    elif event.action == "score":
        pipeline_services.opportunity_score(
            **common, factors=values["factors"], notes=values["notes"], on=day
        )
    elif event.action == "stage":
        pipeline_services.opportunity_set_stage(
            **common, stage=values["stage"], reason=values["reason"], on=day
        )
    elif event.action == "reduce":
        pipeline_services.opportunity_reduce(**common, reason=values["reason"], on=day)
    elif event.action == "touch":
        return pipeline_services.opportunity_touch(**common, date=day, note=values["note"])
    else:
        raise ValueError(f"Unknown opportunity event {event.action}")
    return None


def visits_load(visits: Iterable[VisitData], *, staff: Staff, as_of: dt.date) -> tuple[int, int]:
    """Insert the visits with their contacts, commitments and audit entries, as
    `visit_record` (by the salesperson, on the visit's evening) and `commitment_complete`
    (by the salesperson, on the day it was kept) would store them. Each visit is checked
    by the visit service's cleaning against `as_of`. Returns (visits, commitments)."""
    visits = list(visits)
    codes = {data.customer for data in visits}
    customers = {c.code: c for c in Customer.objects.filter(code__in=codes)}
    contacts = {
        (contact.customer.code, contact.name): contact
        for contact in Contact.objects.filter(customer__code__in=codes).select_related("customer")
    }
    projects = {p.code: p for p in Project.objects.filter(customer__code__in=codes)}
    planned = []
    for data in visits:
        customer, salesperson = customers[data.customer], staff.users[data.salesperson]
        wanted = data.commitment
        commitment = None
        if wanted is not None:
            commitment = CommitmentIn(
                what=wanted.what, due=wanted.due, who=wanted.who,
                contact=contacts.get((data.customer, wanted.who)),
            )  # fmt: skip
            if wanted.done_on is not None and not data.date <= wanted.done_on <= as_of:
                raise ValueError(f"A commitment of {data.key} kept on {wanted.done_on}")
        values = visit_services._clean(
            {
                "date": data.date, "outcome": data.outcome, "next_step": data.next_step,
                "next_step_due": data.next_step_due, "notes": data.notes,
                "contacts": [contacts[(data.customer, name)] for name in data.contacts],
                "purpose": data.purpose, "satisfaction": data.satisfaction,
                "commitment": commitment,
                "project": projects[data.project] if data.project else None,
                "manager_involved": data.manager_involved,
            },
            customer=customer,
            today=as_of,
        )  # fmt: skip
        met, commitment = values.pop("contacts"), values.pop("commitment")
        visit = Visit(customer=customer, salesperson=salesperson, **values)
        planned.append((data, visit, met, commitment))
    rows = [visit for _data, visit, _met, _commitment in planned]
    Visit.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    _visit_ids(rows)

    through = Visit.contacts.through
    links, commitments, audit, times, done_times = [], [], [], {}, {}
    for data, visit, met, commitment in planned:
        logged = _aware(data.logged_at)
        times[visit.pk] = (logged, logged)
        links += [through(visit_id=visit.pk, contact_id=contact.pk) for contact in met]
        audit.append(_visit_audit(visit, met, commitment, logged))
        if commitment is None:
            continue
        done_on = data.commitment.done_on
        commitments.append(Commitment(
            visit=visit, what=commitment.what, who=commitment.who, contact=commitment.contact,
            due=commitment.due, done_on=done_on,
            done_by=visit.salesperson if done_on else None,
            done_note=visit_services._one_line(data.commitment.done_note) if done_on else "",
        ))  # fmt: skip
        if done_on is not None:
            done_at = _aware(max(logged, _at(done_on, 17, 45)))
            done_times[visit.pk] = (logged, done_at)
            audit.append(AuditEntry(
                at=done_at, actor=visit.salesperson, action="commitment_done",
                object_type=Visit._meta.label_lower, object_id=str(visit.pk),
                object_repr=str(visit)[:200],
                changes={"done_on": [None, done_on.isoformat()],
                         "done_by": [None, visit.salesperson.username]},
                reason=commitments[-1].done_note,
            ))  # fmt: skip
    through.objects.bulk_create(links, batch_size=BATCH_SIZE)
    Commitment.objects.bulk_create(commitments, batch_size=BATCH_SIZE)
    AuditEntry.objects.bulk_create(audit, batch_size=BATCH_SIZE)
    _stamp(Visit, times)
    committed = dict(Commitment.objects.filter(visit_id__in=times).values_list("visit_id", "pk"))
    _stamp(Commitment, {committed[v]: done_times.get(v, times[v]) for v in committed})
    reset_queries()
    return len(rows), len(commitments)


def _visit_ids(rows: list[Visit]) -> None:
    """Read back the ids a bulk insert did not return (SQLite before 3.35)."""
    if all(row.pk is not None for row in rows):
        return
    days = {row.date for row in rows}
    ids = {
        (customer, salesperson, date): pk
        for pk, customer, salesperson, date in Visit.objects.filter(date__in=days).values_list(
            "pk", "customer_id", "salesperson_id", "date"
        )
    }
    for row in rows:
        row.pk = ids[(row.customer_id, row.salesperson_id, row.date)]


def _visit_audit(visit: Visit, met, commitment, logged: dt.datetime) -> AuditEntry:
    """The audit entry `visit_record` writes for a new visit."""
    values = {
        "date": visit.date, "outcome": visit.outcome, "next_step": visit.next_step,
        "next_step_due": visit.next_step_due, "notes": visit.notes, "purpose": visit.purpose,
        "satisfaction": visit.satisfaction, "project": visit.project,
        "manager_involved": visit.manager_involved,
    }  # fmt: skip
    changes = {
        field: [None, visit_services._shown(value)]
        for field, value in {
            "customer": visit.customer.code, "salesperson": visit.salesperson.username, **values,
            "contacts": [contact.name for contact in met],
            "commitment": visit_services._commitment_text(commitment),
        }.items()
        if value not in (None, "", [], False)
    }  # fmt: skip
    return AuditEntry(
        at=logged, actor=visit.salesperson, action="create",
        object_type=Visit._meta.label_lower, object_id=str(visit.pk),
        object_repr=str(visit)[:200], changes=changes,
    )  # fmt: skip
