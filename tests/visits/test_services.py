"""Logging visits through the services: the rules of DOMAIN §4 and the natural key."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from salesdesk.core.errors import Conflict, PermissionDenied
from salesdesk.core.models import AuditEntry
from salesdesk.visits.models import Commitment, Visit
from salesdesk.visits.services import (
    KEEP,
    CommitmentIn,
    commitment_complete,
    visit_record,
    visit_update,
    visit_upsert,
)
from tests.factories import ContactFactory
from tests.visits.builders import log

DAY = dt.date(2026, 3, 10)


def fields_of(exc: ValidationError) -> set[str]:
    return set(exc.value.message_dict)


def test_it_logs_a_visit_with_the_contacts_met_and_audits_it(people, book):
    visit = visit_record(
        actor=people.sales1,
        customer=book.K1,
        date=DAY,
        outcome="continuation",
        purpose="  介绍新配方  ",
        contacts=[book.K1_contact],
        project=book.K1_project,
        next_step="送检测报告",
        next_step_due=DAY + dt.timedelta(days=7),
    )

    assert visit.salesperson == people.sales1  # the caller by default
    assert visit.purpose == "介绍新配方"
    assert list(visit.contacts.all()) == [book.K1_contact]
    entry = AuditEntry.objects.get(object_type="visits.visit", object_id=str(visit.pk))
    assert entry.action == "create" and entry.actor == people.sales1
    assert entry.changes["outcome"] == [None, "continuation"]
    assert entry.changes["contacts"] == [None, "K1 采购经理"]


def test_it_refuses_an_advance_without_a_commitment(people, book):
    with pytest.raises(ValidationError) as exc:
        visit_record(actor=people.sales1, customer=book.K1, date=DAY, outcome="advance")

    assert fields_of(exc) == {"commitment"}
    assert "what, who and by when" in exc.value.message_dict["commitment"][0]
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    ("commitment", "field"),
    [
        (CommitmentIn(what="", who="张工", due=DAY), "commitment_what"),
        (CommitmentIn(what="安排试验", who="", due=DAY), "commitment_who"),
        (CommitmentIn(what="安排试验", who="张工", due=None), "commitment_due"),
        (
            CommitmentIn(what="安排试验", who="张工", due=DAY - dt.timedelta(days=1)),
            "commitment_due",
        ),
    ],
)
def test_it_refuses_a_commitment_without_what_who_or_a_due_date(people, book, commitment, field):
    with pytest.raises(ValidationError) as exc:
        visit_record(
            actor=people.sales1, customer=book.K1, date=DAY, outcome="advance",
            commitment=commitment,
        )  # fmt: skip

    assert fields_of(exc) == {field}


def test_it_records_the_commitment_of_an_advance_with_a_contact_as_who(people, book):
    visit = visit_record(
        actor=people.sales1,
        customer=book.K1,
        date=DAY,
        outcome="advance",
        commitment={"what": "安排样品试验", "contact": book.K1_contact, "due": DAY},
    )

    commitment = visit.commitment
    assert (commitment.what, commitment.who, commitment.due) == ("安排样品试验", "K1 采购经理", DAY)
    assert commitment.contact == book.K1_contact
    assert commitment.done_on is None


def test_it_refuses_a_commitment_on_another_outcome(people, book):
    with pytest.raises(ValidationError) as exc:
        visit_record(
            actor=people.sales1, customer=book.K1, date=DAY, outcome="order",
            commitment=CommitmentIn(what="x", who="y", due=DAY),
        )  # fmt: skip

    assert fields_of(exc) == {"commitment"}


def test_it_refuses_contacts_and_projects_of_another_customer(people, book):
    with pytest.raises(ValidationError) as exc:
        visit_record(
            actor=people.sales1, customer=book.K1, date=DAY, outcome="order",
            contacts=[book.G1_contact], project=book.G1_project,
        )  # fmt: skip

    assert fields_of(exc) == {"contacts", "project"}


def test_it_refuses_a_visit_in_the_future_and_a_next_step_due_before_it(people, book):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as future:
        visit_record(actor=people.sales1, customer=book.K1, date=tomorrow, outcome="order")
    with pytest.raises(ValidationError) as backwards:
        visit_record(
            actor=people.sales1, customer=book.K1, date=DAY, outcome="order",
            next_step="报价", next_step_due=DAY - dt.timedelta(days=1),
        )  # fmt: skip

    assert fields_of(future) == {"date"}
    assert fields_of(backwards) == {"next_step_due"}


@pytest.mark.parametrize("satisfaction", [0, 6])
def test_it_refuses_a_satisfaction_outside_one_to_five(people, book, satisfaction):
    with pytest.raises(ValidationError) as exc:
        visit_record(
            actor=people.sales1, customer=book.S1, date=DAY, outcome="order",
            satisfaction=satisfaction,
        )  # fmt: skip

    assert fields_of(exc) == {"satisfaction"}


def test_it_refuses_a_second_visit_with_the_same_customer_salesperson_and_date(people, book):
    first = log(book.K1, DAY, "order")

    with pytest.raises(ValidationError) as exc:
        visit_record(actor=people.sales1, customer=book.K1, date=DAY, outcome="no_sale")
    # Another salesperson the same day is another visit.
    other = visit_record(
        actor=people.manager1, customer=book.K1, date=DAY, outcome="no_sale",
        salesperson=people.manager1, manager_involved=True,
    )  # fmt: skip

    error = exc.value.error_dict["date"][0]
    assert error.code == "duplicate" and error.params["pk"] == first.pk
    assert other.pk != first.pk


@pytest.mark.parametrize(
    ("persona", "customer", "salesperson", "refusal"),
    [
        ("finance", "K1", "sales1", PermissionDenied),  # finance reads the log only
        ("nobody", "K1", "sales1", PermissionDenied),
        ("sales1", "S2", "sales1", ValidationError),  # not their customer
        ("sales1", "K1", "sales2", ValidationError),  # not for a colleague
        ("manager2", "K1", "sales1", ValidationError),  # another team's
    ],
)
def test_it_refuses_visits_logged_outside_the_callers_reach(
    people, book, persona, customer, salesperson, refusal
):
    with pytest.raises(refusal):
        visit_record(
            actor=getattr(people, persona), customer=getattr(book, customer), date=DAY,
            outcome="order", salesperson=getattr(people, salesperson),
        )  # fmt: skip

    assert not Visit.objects.exists()


def test_it_lets_a_manager_log_a_team_members_visit(people, book):
    visit = visit_record(
        actor=people.manager1, customer=book.K1, date=DAY, outcome="order",
        salesperson=people.sales1, manager_involved=True,
    )  # fmt: skip

    assert visit.salesperson == people.sales1 and visit.manager_involved


def test_it_warns_when_a_strategic_visit_lacks_satisfaction_or_the_manager(people, book):
    bare = log(book.S1, DAY, "continuation")
    complete = log(book.S1, DAY + dt.timedelta(days=1), "continuation", satisfaction=4,
                   manager_involved=True)  # fmt: skip
    key = log(book.K1, DAY, "continuation")

    assert len(bare.warnings()) == 2
    assert complete.warnings() == []
    assert key.warnings() == []  # asked of strategic customers only


def test_it_upserts_by_the_natural_key_keeping_what_is_not_stated(people, book):
    visit, created = visit_upsert(
        actor=None, customer=book.K1, date=DAY, salesperson=people.sales1, outcome="continuation",
        notes="第一次", next_step="报价",
    )  # fmt: skip
    entries = AuditEntry.objects.filter(object_type="visits.visit").count()

    same, created_again = visit_upsert(
        actor=None, customer=book.K1, date=DAY, salesperson=people.sales1,
        outcome="continuation", notes="第一次",
    )  # fmt: skip
    assert (created, created_again, same.pk) == (True, False, visit.pk)
    assert AuditEntry.objects.filter(object_type="visits.visit").count() == entries

    corrected, created = visit_upsert(
        actor=None, customer=book.K1, date=DAY, salesperson=people.sales1, outcome="order",
        next_step=KEEP,
    )  # fmt: skip
    corrected.refresh_from_db()
    assert created is False and Visit.objects.count() == 1
    assert (corrected.outcome, corrected.notes, corrected.next_step) == ("order", "第一次", "报价")
    last = AuditEntry.objects.filter(object_type="visits.visit").first()
    assert last.action == "update" and last.changes == {"outcome": ["continuation", "order"]}


def test_it_upserts_an_advance_only_with_its_commitment(people, book):
    log(book.K1, DAY, "continuation")

    with pytest.raises(ValidationError) as exc:
        visit_upsert(
            actor=None, customer=book.K1, date=DAY, salesperson=people.sales1, outcome="advance"
        )
    visit, _created = visit_upsert(
        actor=None, customer=book.K1, date=DAY, salesperson=people.sales1, outcome="advance",
        commitment=CommitmentIn(what="签订试用协议", who="李总", due=DAY + dt.timedelta(days=5)),
    )  # fmt: skip

    assert fields_of(exc) == {"commitment"}
    assert visit.commitment.who == "李总"


def test_it_drops_the_commitment_when_a_visit_stops_being_an_advance(people, book):
    visit = log(book.K1, DAY, "advance")

    changes = visit_update(actor=people.sales1, visit=visit, outcome="continuation")

    assert not Commitment.objects.exists()
    assert changes["outcome"] == ["advance", "continuation"]
    assert changes["commitment"][1] is None


def test_it_refuses_an_edit_by_someone_who_may_not_change_the_visit(people, book):
    visit = log(book.K1, DAY, "order")

    with pytest.raises(PermissionDenied):
        visit_update(actor=people.sales2, visit=visit, notes="x")
    with pytest.raises(PermissionDenied):
        visit_update(actor=people.finance, visit=visit, notes="x")
    assert visit_update(actor=people.manager1, visit=visit, notes="跟进") == {"notes": ["", "跟进"]}


def test_it_refuses_to_move_a_visit_onto_the_key_of_another(people, book):
    log(book.K1, DAY, "order")
    later = log(book.K1, DAY + dt.timedelta(days=3), "order")

    with pytest.raises(ValidationError) as exc:
        visit_update(actor=people.sales1, visit=later, date=DAY)

    assert fields_of(exc) == {"date"}


def test_it_marks_a_commitment_done_once(people, book):
    visit = log(book.K1, DAY, "advance")
    done_on = DAY + dt.timedelta(days=2)

    commitment = commitment_complete(
        actor=people.sales1, commitment=visit.commitment, done_on=done_on, note="已试验"
    )
    with pytest.raises(Conflict):
        commitment_complete(actor=people.sales1, commitment=visit.commitment)

    assert (commitment.done_on, commitment.done_by, commitment.done_note) == (
        done_on, people.sales1, "已试验",
    )  # fmt: skip
    entry = AuditEntry.objects.filter(object_type="visits.visit").first()
    assert entry.action == "commitment_done" and entry.reason == "已试验"


@pytest.mark.parametrize(
    ("done_on", "persona", "refusal"),
    [
        (DAY - dt.timedelta(days=1), "sales1", ValidationError),  # before the visit
        (None, "finance", PermissionDenied),
        (None, "sales2", PermissionDenied),  # not in their scope
    ],
)
def test_it_refuses_to_mark_a_commitment_done_wrongly(people, book, done_on, persona, refusal):
    visit = log(book.K1, DAY, "advance")

    with pytest.raises(refusal):
        commitment_complete(
            actor=getattr(people, persona), commitment=visit.commitment, done_on=done_on
        )

    visit.commitment.refresh_from_db()
    assert visit.commitment.done_on is None


def test_it_keeps_visits_with_their_salesperson_when_the_customer_is_reassigned(people, book):
    from salesdesk.customers.services import customer_reassign
    from salesdesk.visits.models import Visit as V

    visit = log(book.K1, DAY, "order")
    customer_reassign(actor=people.manager1, customer=book.K1, owner=people.sales2, reason="调整")

    visit.refresh_from_db()
    assert visit.salesperson == people.sales1
    # The history moves with the customer: the new owner sees it, and so does its author.
    assert V.objects.visible_to(people.sales2).filter(pk=visit.pk).exists()
    assert V.objects.visible_to(people.sales1).filter(pk=visit.pk).exists()
    assert not V.objects.visible_to(people.sales3).filter(pk=visit.pk).exists()


def test_it_refuses_a_commitment_by_another_customers_contact(people, book):
    stranger = ContactFactory(customer=book.G1, name="外人")

    with pytest.raises(ValidationError) as exc:
        visit_record(
            actor=people.sales1, customer=book.K1, date=DAY, outcome="advance",
            commitment=CommitmentIn(what="试验", due=DAY, contact=stranger),
        )  # fmt: skip

    assert "commitment_contact" in fields_of(exc)
