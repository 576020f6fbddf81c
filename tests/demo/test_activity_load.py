"""Loading the sales activity: the visits inserted in bulk are stored as the visit
services would store them, audit entries included, and dated when they happened."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from salesdesk.core.models import AuditEntry
from salesdesk.customers.models import Contact, Customer
from salesdesk.demo.activity_loader import visits_load
from salesdesk.demo.generator import generate
from salesdesk.demo.loader import load, staff_ensure
from salesdesk.demo.visits import CommitmentData, VisitData
from salesdesk.visits.models import Commitment, Visit
from salesdesk.visits.services import CommitmentIn, commitment_complete, visit_record

FIELDS = (
    "customer_id", "salesperson_id", "outcome", "purpose", "notes", "project_id", "next_step",
    "satisfaction", "manager_involved",
)  # fmt: skip


@pytest.fixture
def setting(db):
    staff = staff_ensure(password="demo", update=False)
    customers = list(generate(seed=3, as_of=timezone.localdate(), customers=3, projects=4))
    load(customers, staff=staff)
    customer = next(c for c in customers if c.projects and len(c.contacts) >= 2)
    return staff, Customer.objects.get(code=customer.code), customer


def visit_data(customer_data, day: dt.date, **changes) -> VisitData:
    contacts = customer_data.contacts
    values = {
        "customer": customer_data.code, "salesperson": customer_data.owner, "date": day,
        "logged_at": dt.datetime.combine(day, dt.time(18, 5)), "outcome": "advance",
        "purpose": "技术交流：C35 商品混凝土配合比", "notes": "客户同意提供用量计划。 ",
        "contacts": (contacts[0].name, contacts[1].name), "project": customer_data.projects[0].code,
        "next_step": "三天内提交正式报价", "next_step_due": day + dt.timedelta(days=3),
        "satisfaction": 4, "manager_involved": True,
        "commitment": CommitmentData(
            what="提供下月混凝土用量计划", who=contacts[1].name, due=day + dt.timedelta(days=7),
            done_on=day + dt.timedelta(days=5), done_note="已落实",
        ),
    }  # fmt: skip
    return VisitData(**(values | changes))


def audit(visit: Visit) -> list[tuple]:
    entries = AuditEntry.objects.filter(object_type="visits.visit", object_id=str(visit.pk))
    return [
        (entry.actor_id, entry.action, entry.changes, entry.reason, entry.object_repr)
        for entry in entries.order_by("pk")
    ]


def without_dates(entries: list[tuple], day: dt.date) -> list[tuple]:
    """The entries with the dates of the visit `day` and its next step, commitment and
    completion taken out, for comparing two visits made on different days."""
    dates = [(day + dt.timedelta(days=n)).isoformat() for n in (0, 3, 5, 7)]

    def blank(value):
        if isinstance(value, str):
            for date in dates:
                value = value.replace(date, "<date>")
        return value

    return [
        (actor, action, {k: [blank(v) for v in pair] for k, pair in changes.items()}, reason)
        for actor, action, changes, reason, _repr in entries
    ]


def test_a_bulk_visit_is_stored_as_the_services_store_one(setting):
    staff, customer, customer_data = setting
    today = timezone.localdate()
    bulk_day, service_day = today - dt.timedelta(days=30), today - dt.timedelta(days=20)
    data = visit_data(customer_data, bulk_day)
    salesperson = staff.users[data.salesperson]

    assert visits_load([data], staff=staff, as_of=today) == (1, 1)

    contacts = {c.name: c for c in Contact.objects.filter(customer=customer)}
    same = visit_data(customer_data, service_day)
    recorded = visit_record(
        actor=salesperson, customer=customer, date=service_day, salesperson=salesperson,
        outcome=same.outcome, purpose=same.purpose, notes=same.notes,
        contacts=[contacts[name] for name in same.contacts],
        project=customer.projects.get(code=same.project), next_step=same.next_step,
        next_step_due=same.next_step_due, satisfaction=same.satisfaction,
        manager_involved=True,
        commitment=CommitmentIn(what=same.commitment.what, due=same.commitment.due,
                                contact=contacts[same.commitment.who]),
    )  # fmt: skip
    commitment_complete(
        actor=salesperson,
        commitment=recorded.commitment,
        done_on=same.commitment.done_on,
        note=same.commitment.done_note,
    )
    bulk = Visit.objects.get(date=bulk_day)
    for field in FIELDS:
        assert getattr(bulk, field) == getattr(recorded, field), field
    assert list(bulk.contacts.order_by("pk")) == list(recorded.contacts.order_by("pk"))
    pair = [Commitment.objects.get(visit=visit) for visit in (bulk, recorded)]
    for field in ("what", "who", "contact_id", "done_by_id", "done_note"):
        assert getattr(pair[0], field) == getattr(pair[1], field), field
    assert len(audit(bulk)) == 2
    assert without_dates(audit(bulk), bulk_day) == without_dates(audit(recorded), service_day)
    assert "提供下月混凝土用量计划 / " in str(audit(bulk)[0][2]["commitment"])


def test_bulk_visits_are_dated_when_they_happened(setting):
    staff, _customer, customer_data = setting
    today = timezone.localdate()
    day = today - dt.timedelta(days=30)

    visits_load([visit_data(customer_data, day)], staff=staff, as_of=today)

    visit = Visit.objects.get(date=day)
    logged = timezone.make_aware(dt.datetime.combine(day, dt.time(18, 5)))
    assert visit.created_at == visit.updated_at == logged
    entries = AuditEntry.objects.filter(object_type="visits.visit", object_id=str(visit.pk))
    create, done = entries.order_by("pk")
    assert create.at == logged
    assert timezone.localtime(done.at).date() == day + dt.timedelta(days=5)
    assert visit.commitment.updated_at == done.at


def test_bulk_visits_are_checked_as_the_services_check_them(setting):
    staff, _customer, customer_data = setting
    today = timezone.localdate()
    day = today - dt.timedelta(days=3)
    no_commitment = visit_data(customer_data, day, commitment=None)
    future = visit_data(
        customer_data, today + dt.timedelta(days=1), outcome="continuation", commitment=None
    )

    with pytest.raises(ValidationError) as refused:
        visits_load([no_commitment], staff=staff, as_of=today)
    assert set(refused.value.message_dict) == {"commitment"}
    with pytest.raises(ValidationError) as refused:
        visits_load([future], staff=staff, as_of=today)
    assert set(refused.value.message_dict) == {"date"}
    assert not Visit.objects.exists()
