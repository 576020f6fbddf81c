"""Writes the demo's sales activity into the database: tiering, FAB lines, registrations,
disputes, opportunities and visits.

Tiering, FAB lines, registrations, disputes and opportunities go through their
services: a few hundred calls, validated and audited as a user's would be. The visits,
about fifteen hundred with their commitments, are inserted in bulk (the services took
three milliseconds a visit, a third of the demo's time budget); each visit is first
checked by the visit service's own cleaning, and the rows carry what `visit_record` and
`commitment_complete` would store, audit entries included. Every record is then dated
when it happened rather than when the demo ran.
"""

import bisect
import contextlib
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import reset_queries
from django.db.models import Max
from django.utils import timezone

from salesdesk.core.models import AuditEntry, User
from salesdesk.core.policy import policy_as_of
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
from salesdesk.demo.accounts import Account, AccountContact, FabData
from salesdesk.demo.claims import Claims, DisputeData
from salesdesk.demo.loader import BATCH_SIZE, Staff, at_hour
from salesdesk.demo.pipeline import OpportunityData, OpportunityEvent
from salesdesk.demo.visits import VisitData, VisitRule
from salesdesk.pipeline import fab as pipeline_fab
from salesdesk.pipeline import services as pipeline_services
from salesdesk.pipeline.models import FabProduct, Opportunity, OpportunityTouch
from salesdesk.tiering.services import tiering_apply
from salesdesk.visits import services as visit_services
from salesdesk.visits.models import Commitment, Visit
from salesdesk.visits.services import CommitmentIn


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
    changed = tiering_apply(actor=None, as_of=as_of)
    return Counter(str(proposal.proposed) for proposal in changed)


def visit_rules(as_of: dt.date) -> dict[str, VisitRule]:
    policy = policy_as_of(as_of)
    return {
        tier: VisitRule(policy[f"tier.{tier}.visits_required"], policy[f"tier.{tier}.visit_period"])
        for tier in Tier.values
    }


def stored_accounts() -> list[Account]:
    """Every stored customer as the activity generators take them, in code order."""
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
        contacts[customer_id].append(AccountContact(name, title, role, authority))
    projects = defaultdict(list)
    rows = Project.objects.filter(status=ProjectStatus.ACTIVE).order_by("code")
    for customer_id, code in rows.values_list("customer_id", "code"):
        projects[customer_id].append(code)
    customers = Customer.objects.order_by("code").values_list(
        "pk", "code", "name", "owner__username", "status", "tier", "source", "region", "industry"
    )
    return [
        Account(
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
    when = at_hour(on, 10)
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
            when = at_hour(day, 10, 30)
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
            with clock.at(at_hour(day, 16)):
                claim_services.claim_release(
                    actor=users[record.claimant], claim=claim, reason=record.release_reason,
                    today=day,
                )  # fmt: skip
        elif kind == "dispute":
            with clock.at(at_hour(day, 11)):
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
            with clock.at(at_hour(day, 15)):
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
        ended = at_hour(claim.ended_on, 16) if claim.ended_on else None
        times[claim.pk] = (
            at_hour(claim.registered_on, 10, 30),
            ended or at_hour(claim.registered_on, 10, 30),
        )
    _stamp(ProspectClaim, times)
    _stamp(Customer, {pk: (at_hour(first[pk], 10, 30),) * 2 for pk in ids})
    contacts = Contact.objects.filter(customer_id__in=ids).values_list("pk", "customer_id")
    _stamp(Contact, {pk: (at_hour(first[customer], 10, 30),) * 2 for pk, customer in contacts})
    for dispute, data in disputes:
        opened = _aware(at_hour(data.on, 11))
        decided = _aware(at_hour(data.decided_on, 15)) if data.decided_on else None
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
            done_at = _aware(max(logged, at_hour(done_on, 17, 45)))
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
