"""Reminders for the Today page: commitments coming due, customers behind on visits."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesdesk.visits.reminders import due_commitments, overdue_visits, visit_reminders
from salesdesk.visits.services import CommitmentIn, commitment_complete
from tests.factories import CustomerFactory
from tests.visits.builders import log

D = dt.date
TODAY = D(2026, 11, 20)


def advance(customer, date, due, what):
    return log(customer, date, "advance", commitment=CommitmentIn(what=what, who="张工", due=due))


@pytest.fixture
def promises(people, book):
    """sales1: overdue (due 15 Nov), due soon (23 Nov), later (10 Dec), kept (due 1 Nov);
    sales2: due soon (21 Nov); sales3: overdue (1 Nov)."""
    advance(book.K1, D(2026, 11, 1), D(2026, 11, 15), "overdue")
    advance(book.S1, D(2026, 11, 2), D(2026, 11, 23), "soon")
    advance(book.G1, D(2026, 11, 3), D(2026, 12, 10), "later")
    kept = advance(book.U1, D(2026, 10, 20), D(2026, 11, 1), "kept")
    commitment_complete(actor=None, commitment=kept.commitment, done_on=D(2026, 10, 30))
    advance(book.S2, D(2026, 11, 4), D(2026, 11, 21), "colleague")
    advance(book.K3, D(2026, 10, 15), D(2026, 11, 1), "other team")


def whats(reminder) -> list[str]:
    return [row.commitment.what for row in reminder["items"]]


def test_it_reminds_of_commitments_overdue_or_due_within_a_week(people, promises):
    mine = due_commitments(people.sales1, TODAY)
    team = due_commitments(people.manager1, TODAY)

    assert whats(mine) == ["overdue", "soon"]
    assert (mine["count"], mine["overdue"]) == (2, 1)
    assert [row.days_overdue for row in mine["items"]] == [5, 0]
    assert whats(team) == ["overdue", "colleague", "soon"]
    assert whats(due_commitments(people.manager2, TODAY)) == ["other team"]
    assert due_commitments(people.finance, TODAY)["count"] == 0  # not a salesperson's page


def test_it_follows_the_customer_to_its_new_owner(people, book, promises):
    from salesdesk.customers.services import customer_reassign

    customer_reassign(actor=people.manager1, customer=book.K1, owner=people.sales2, reason="调整")

    assert whats(due_commitments(people.sales1, TODAY)) == ["soon"]
    assert whats(due_commitments(people.sales2, TODAY)) == ["overdue", "colleague"]


@pytest.fixture
def autumn(people):
    """sales1's customers on 10 November 2026 (monthly window back to 10 October,
    quarterly to 10 August)."""
    recent = CustomerFactory(code="KR", name="A 近期", owner=people.sales1, tier="key")
    stale = CustomerFactory(code="KS", name="B 久未", owner=people.sales1, tier="key")
    general = CustomerFactory(code="GR", name="C 一般", owner=people.sales1, tier="general")
    old = CustomerFactory(code="GS", name="D 一般久未", owner=people.sales1, tier="general")
    never = CustomerFactory(code="SN", name="E 从未", owner=people.sales1, tier="strategic")
    log(recent, D(2026, 10, 20))
    log(stale, D(2026, 10, 5))
    log(general, D(2026, 9, 1))
    log(old, D(2026, 8, 1))
    return never


def test_it_lists_customers_not_visited_within_their_tiers_period(people, autumn):
    behind = overdue_visits(people.sales1, D(2026, 11, 10))

    assert [row.customer.code for row in behind["items"]] == ["SN", "KS", "GS"]
    assert behind["count"] == 3
    never = behind["items"][0]
    assert (never.visits, never.short, never.manager_missing, never.last_visit) == (
        0,
        2,
        True,
        None,
    )


def test_it_lists_customers_still_short_as_their_period_ends(people, autumn):
    # 25 November: five days of the month left, so the recent key customer is due too;
    # the general customers have until 31 December. The period ending first comes first,
    # then the customer waiting longest.
    behind = overdue_visits(people.sales1, D(2026, 11, 25))

    assert [row.customer.code for row in behind["items"]] == ["SN", "KS", "KR", "GS"]


def test_it_lists_the_quarters_shortfalls_at_a_quarter_end(people, quarter):
    behind = overdue_visits(people.manager1, D(2025, 3, 31))

    codes = [row.customer.code for row in behind["items"]]
    # Never visited by their owner first, then the oldest last visit.
    assert codes[2:] == ["K1b", "S1b"] and set(codes[:2]) == {"G1b", "U1"}
    s1b = behind["items"][3]
    assert (s1b.short, s1b.manager_missing) == (0, True)


def test_it_reminds_in_a_constant_number_of_queries(people, promises, autumn):
    def count():
        with CaptureQueriesContext(connection) as queries:
            visit_reminders(people.manager1, TODAY)
        return len(queries)

    count()
    few = count()
    for n in range(30):
        customer = CustomerFactory(code=f"M{n:02d}", owner=people.sales2, tier="key")
        advance(customer, D(2026, 11, 1), D(2026, 11, 10 + n % 10), f"more {n}")

    # commitments: counts and the list; customers: the policy and one grouped query.
    assert few == count() == 4
