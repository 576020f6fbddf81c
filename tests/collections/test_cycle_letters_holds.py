"""Letters, supply holds and their release, walked day by day (DOMAIN §6).

Every expected date is worked out by hand in the comments, from the default policy
(letter 1 when the oldest unsettled invoice is more than 30 days past due, the next
letter 15 days after the last one while something stays overdue, 3 letters, the hold
15 days after the third) unless a test changes the policy. 2026 is not a leap year:
February has 28 days.

The cycle runs every day from the first to the last day of a walk; a record dated D is
posted in the morning of D, before that day's cycle, unless a test says otherwise.
"""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from salesdesk.collections import services
from salesdesk.collections.cycle import cycle_run
from salesdesk.collections.models import DunningLetter, HoldOverride, SupplyHold
from salesdesk.core.errors import PermissionDenied
from salesdesk.core.models import AuditEntry
from salesdesk.core.policy import policy_as_of
from salesdesk.core.services import policy_update
from salesdesk.ledger import services as ledger
from salesdesk.ledger.gate import order_gate
from salesdesk.ledger.models import Delivery
from tests.collections.builders import walk
from tests.factories import CustomerFactory, PlantFactory, ProductFactory, ProjectFactory
from tests.ledger.builders import post_invoice, post_payment

D = dt.date
ONE_DAY = dt.timedelta(days=1)


def letters(project) -> list[tuple]:
    """(sequence, number, issued_on, amount) of the project's letters, oldest first."""
    return list(
        DunningLetter.objects.filter(project=project)
        .order_by("issued_on")
        .values_list("sequence", "number", "issued_on", "amount")
    )


def letter_days(reports: dict, project) -> list[dt.date]:
    return [day for day, r in reports.items() if any(p == project.code for p, *_ in r.letters)]


def hold_of(customer) -> SupplyHold:
    return SupplyHold.objects.get(customer=customer)


def deliver(project, ticket, date, plant):
    return ledger.delivery_post(
        actor=None, ticket=ticket, project=project, date=date, product="C30 混凝土",
        quantity="8", unit_price="420", plant=plant,
    )  # fmt: skip


def report_json(*args) -> dict:
    out = io.StringIO()
    call_command("report", *args, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture(autouse=True)
def english():
    """The services' messages follow the active language (zh-Hans by default); these
    tests read the English ones."""
    with translation.override("en"):
        yield


@pytest.fixture
def plant(db):
    ProductFactory()  # C30 混凝土, the product the tests deliver
    return PlantFactory(code="PL01")


@pytest.fixture
def customer(db):
    return CustomerFactory(code="C1", name="华东建工有限公司")


# One project through a whole sequence, a hold, its release and a new sequence -----------


def test_a_project_walks_through_letters_a_hold_its_release_and_a_new_sequence(customer, plant):
    project = ProjectFactory(code="P1", customer=customer, payment_terms_days=45)
    # I1 dated 02-10, due 02-10 + 45 = 03-27 (18 days to 02-28, 27 more).
    post_invoice(project, "I1", D(2026, 2, 10), "800.00")
    # I2 dated 03-01, due 03-01 + 45 = 04-15 (30 days to 03-31, 15 more).
    post_invoice(project, "I2", D(2026, 3, 1), "200.00")
    released_when_posted = []

    def pay_the_rest():
        post_payment(project, "PAY2", D(2026, 6, 20), "700.00")
        released_when_posted.append(hold_of(customer).released_on)

    reports = walk(
        D(2026, 2, 1),
        D(2026, 9, 30),
        {
            D(2026, 5, 1): [lambda: post_payment(project, "PAY1", D(2026, 5, 1), "300.00")],
            D(2026, 6, 20): [pay_the_rest],
            # I3 dated 06-25, due 06-25 + 45 = 08-09 (5 days to 06-30, 31 in July, 9 more).
            D(2026, 6, 25): [lambda: post_invoice(project, "I3", D(2026, 6, 25), "400.00")],
        },
    )

    assert letters(project) == [
        # Letter 1: I1 more than 30 days past due: 03-27 + 31 = 04-27 (4 days to 03-31,
        # 27 more). Overdue then: I1 800 + I2 200 (due 04-15) = 1000.00.
        (1, 1, D(2026, 4, 27), Decimal("1000.00")),
        # Letter 2: 04-27 + 15 = 05-12; PAY1 (05-01) took 300 off I1: 700.00.
        (1, 2, D(2026, 5, 12), Decimal("700.00")),
        # Letter 3: 05-12 + 15 = 05-27.
        (1, 3, D(2026, 5, 27), Decimal("700.00")),
        # PAY2 (06-20) cleared everything: the sequence ended. I3 (due 08-09) is more than
        # 30 days past due on 08-09 + 31 = 09-09 (22 days to 08-31, 9 more): sequence 2.
        (2, 1, D(2026, 9, 9), Decimal("400.00")),
        (2, 2, D(2026, 9, 24), Decimal("400.00")),  # 09-09 + 15
    ]
    assert reports[D(2026, 4, 27)].lines() == [
        "cycle 2026-04-27",
        "letter 1: project P1, overdue 1000.00",
    ]
    assert letter_days(reports, project) == [
        D(2026, 4, 27), D(2026, 5, 12), D(2026, 5, 27), D(2026, 9, 9), D(2026, 9, 24),
    ]  # fmt: skip

    # The hold: 05-27 + 15 = 06-11 (4 days to 05-31, 11 more).
    hold = hold_of(customer)
    assert hold.since == D(2026, 6, 11)
    assert [d for d, r in reports.items() if r.holds_placed] == [D(2026, 6, 11)]
    assert reports[D(2026, 6, 11)].lines() == [
        "cycle 2026-06-11",
        "hold placed: customer C1 (project P1)",
    ]
    assert hold.reason == (
        "letter 3 of project P1 issued 2026-05-27; still overdue 700.00 on 2026-06-11"
    )
    # Released on the payment's day, recorded by payment_post itself, before the cycle.
    assert released_when_posted == [D(2026, 6, 20)]
    assert hold.released_on == D(2026, 6, 20)
    assert not any(r.holds_released for r in reports.values())

    # The gate and deliveries follow the hold to the day.
    assert order_gate(customer=customer, project=project, as_of=D(2026, 6, 10)).allowed
    blocked = order_gate(customer=customer, project=project, as_of=D(2026, 6, 11))
    assert blocked.line() == "blocked: customer C1 is on supply hold since 2026-06-11"
    assert not order_gate(customer=customer, project=project, as_of=D(2026, 6, 19)).allowed
    assert order_gate(customer=customer, project=project, as_of=D(2026, 6, 20)).allowed
    with pytest.raises(ValidationError, match="on supply hold since 2026-06-11"):
        deliver(project, "T1", D(2026, 6, 15), plant)
    assert deliver(project, "T2", D(2026, 6, 21), plant)[1] is True
    assert list(Delivery.objects.values_list("ticket", flat=True)) == ["T2"]


def test_the_cycle_changes_nothing_on_a_second_run_of_any_day(customer):
    project = ProjectFactory(code="P1", customer=customer)
    post_invoice(project, "I1", D(2026, 1, 1), "1000.00")  # due 01-31 (30 days' terms)
    day = D(2026, 2, 25)
    while day <= D(2026, 5, 5):
        first = cycle_run(as_of=day)
        counts = [m.objects.count() for m in (DunningLetter, SupplyHold, AuditEntry)]
        second = cycle_run(as_of=day)
        assert [m.objects.count() for m in (DunningLetter, SupplyHold, AuditEntry)] == counts
        assert second.lines() == [f"cycle {day}", "nothing to do"], first.lines()
        day += ONE_DAY


# Release on the payment's day, however the payment arrives ---------------------------


def test_a_payment_dated_the_hold_day_and_posted_after_its_cycle_releases_it_that_day(customer):
    project = ProjectFactory(code="P1", customer=customer)
    post_invoice(project, "I1", D(2026, 1, 1), "1000.00")  # due 01-31
    # Letters 01-31 + 31 = 03-03, 03-18, 04-02; hold 04-02 + 15 = 04-17.
    walk(D(2026, 3, 1), D(2026, 4, 17))
    assert hold_of(customer).since == D(2026, 4, 17)

    post_payment(project, "PAY1", D(2026, 4, 17), "1000.00")  # in the afternoon of 04-17

    assert hold_of(customer).released_on == D(2026, 4, 17)
    assert order_gate(customer=customer, project=project, as_of=D(2026, 4, 17)).allowed
    reports = walk(D(2026, 4, 17), D(2026, 5, 31))
    assert not any(r.letters or r.holds_placed or r.holds_released for r in reports.values())
    assert SupplyHold.objects.count() == 1


def test_a_payment_dated_a_letter_day_and_posted_after_its_cycle_ends_the_sequence(customer):
    project = ProjectFactory(code="P1", customer=customer)
    post_invoice(project, "I1", D(2026, 1, 1), "1000.00")  # due 01-31
    cycle_run(as_of=D(2026, 3, 3))  # letter 1: 01-31 + 31 = 03-03
    post_payment(project, "PAY1", D(2026, 3, 3), "1000.00")  # posted after the cycle of 03-03
    # I2 dated 03-05, due 03-05 + 30 = 04-04 (26 days to 03-31, 4 more).
    post_invoice(project, "I2", D(2026, 3, 5), "200.00")

    walk(D(2026, 3, 4), D(2026, 5, 10))

    assert letters(project) == [
        (1, 1, D(2026, 3, 3), Decimal("1000.00")),
        # Overdue reached zero on 03-03: I2 starts sequence 2 at letter 1 once it is more
        # than 30 days past due: 04-04 + 31 = 05-05 (26 days to 04-30, 5 more); not a
        # letter 2 fifteen days after 03-03.
        (2, 1, D(2026, 5, 5), Decimal("200.00")),
    ]


def test_a_payment_imported_from_a_workbook_is_released_by_the_next_cycle_on_its_date(
    customer, tmp_path
):
    project = ProjectFactory(code="P1", customer=customer)
    post_invoice(project, "I1", D(2026, 1, 1), "1000.00")  # due 01-31; hold 04-17 as above
    walk(D(2026, 3, 1), D(2026, 4, 25))
    assert hold_of(customer).since == D(2026, 4, 17)
    folder = tmp_path / "ledger"
    folder.mkdir()
    (folder / "payments.csv").write_text(
        "reference,project,date,amount,method\nBANK-0422,P1,2026-04-22,1000.00,bank\n",
        encoding="utf-8",
    )

    call_command("import", str(folder), stdout=io.StringIO(), stderr=io.StringIO())

    # The gate reads the ledger: no hold from the payment's day on, release recorded or not.
    assert order_gate(customer=customer, project=project, as_of=D(2026, 4, 22)).allowed
    assert not order_gate(customer=customer, project=project, as_of=D(2026, 4, 21)).allowed
    report = cycle_run(as_of=D(2026, 4, 26))
    assert report.lines() == ["cycle 2026-04-26", "hold released: customer C1 on 2026-04-22"]
    assert hold_of(customer).released_on == D(2026, 4, 22)  # the payment's date, not 04-26
    assert AuditEntry.objects.get(action="hold_release").changes == {
        "hold": ["2026-04-17", "2026-04-22"]
    }
    assert not cycle_run(as_of=D(2026, 4, 26)).changed


# Several projects of one customer -------------------------------------------------------


def two_projects_walk(customer):
    """C1 has P1 and P2 (30 days' terms); P1's third letter puts C1 on hold, and only
    when P2 is paid too is the hold released."""
    p1 = ProjectFactory(code="P1", customer=customer)
    p2 = ProjectFactory(code="P2", customer=customer)
    post_invoice(p1, "I1", D(2026, 1, 1), "1000.00")  # due 01-31
    # I2 dated 02-20, due 02-20 + 30 = 03-22 (8 days to 02-28, 22 more).
    post_invoice(p2, "I2", D(2026, 2, 20), "500.00")
    reports = walk(
        D(2026, 1, 1),
        D(2026, 6, 30),
        {
            D(2026, 5, 1): [lambda: post_payment(p1, "PAY1", D(2026, 5, 1), "1000.00")],
            D(2026, 6, 10): [lambda: post_payment(p2, "PAY2", D(2026, 6, 10), "500.00")],
        },
    )
    return p1, p2, reports


def test_one_projects_third_letter_holds_the_customer_until_its_whole_overdue_is_zero(
    customer,
):
    p1, p2, reports = two_projects_walk(customer)

    assert letters(p1) == [
        # I1 due 01-31: 01-31 + 31 = 03-03 (28 days to 02-28, 3 more), then every 15 days.
        (1, 1, D(2026, 3, 3), Decimal("1000.00")),
        (1, 2, D(2026, 3, 18), Decimal("1000.00")),
        (1, 3, D(2026, 4, 2), Decimal("1000.00")),
    ]
    assert letters(p2) == [
        # I2 due 03-22: 03-22 + 31 = 04-22 (9 days to 03-31, 22 more); 05-07; 05-22.
        (1, 1, D(2026, 4, 22), Decimal("500.00")),
        (1, 2, D(2026, 5, 7), Decimal("500.00")),
        (1, 3, D(2026, 5, 22), Decimal("500.00")),
    ]
    # P1's third letter (04-02) + 15 = 04-17: C1 goes on hold. P2 reaches the same stage
    # on 05-22 + 15 = 06-06, but C1 is already on hold: no second hold.
    hold = hold_of(customer)
    assert (hold.since, hold.trigger.project) == (D(2026, 4, 17), p1)
    assert [d for d, r in reports.items() if r.holds_placed] == [D(2026, 4, 17)]
    # P1 paid in full on 05-01, but P2 still owed 500.00: the hold stays, for both
    # projects, until P2 is paid on 06-10.
    assert hold.released_on == D(2026, 6, 10)
    for project in (p1, p2):
        verdict = order_gate(customer=customer, project=project, as_of=D(2026, 5, 2))
        assert verdict.line() == "blocked: customer C1 is on supply hold since 2026-04-17"
        assert not order_gate(customer=customer, project=project, as_of=D(2026, 6, 9)).allowed
        assert order_gate(customer=customer, project=project, as_of=D(2026, 6, 10)).allowed


def test_the_letters_and_holds_reports_say_what_happened(customer):
    two_projects_walk(customer)

    def row(project, number, issued_on, amount):
        return {
            "customer": "C1", "customer_name": "华东建工有限公司", "project": project,
            "number": number, "sequence": 1, "issued_on": issued_on, "amount": amount,
            "issued_by": None,
        }  # fmt: skip

    document = report_json("letters", "--as-of", "2026-06-30")
    assert (document["report"], document["as_of"]) == ("letters", "2026-06-30")
    assert document["rows"] == [
        row("P1", 1, "2026-03-03", "1000.00"),
        row("P1", 2, "2026-03-18", "1000.00"),
        row("P1", 3, "2026-04-02", "1000.00"),
        row("P2", 1, "2026-04-22", "500.00"),
        row("P2", 2, "2026-05-07", "500.00"),
        row("P2", 3, "2026-05-22", "500.00"),
    ]
    assert document["totals"] == {"amount": "4500.00"}  # 3 × 1000 + 3 × 500
    # Up to 04-30: the first four letters only.
    assert [r["issued_on"] for r in report_json("letters", "--as-of", "2026-04-30")["rows"]] == [
        "2026-03-03", "2026-03-18", "2026-04-02", "2026-04-22",
    ]  # fmt: skip

    hold = {
        "customer": "C1",
        "customer_name": "华东建工有限公司",
        "since": "2026-04-17",
        "released_on": "2026-06-10",
        "reason": "letter 3 of project P1 issued 2026-04-02; still overdue 1000.00 on 2026-04-17",
        "project": "P1",
    }
    document = report_json("holds", "--as-of", "2026-06-30")
    assert (document["report"], document["rows"], document["totals"]) == ("holds", [hold], {})
    # As of a day before the release, the hold is still active.
    assert report_json("holds", "--as-of", "2026-06-09")["rows"] == [hold | {"released_on": None}]
    assert report_json("holds", "--as-of", "2026-04-16")["rows"] == []


# Policy changes ------------------------------------------------------------------------


def test_a_new_letter_interval_applies_to_letters_from_its_effective_date(customer, people):
    project = ProjectFactory(code="P1", customer=customer)
    post_invoice(project, "I1", D(2026, 1, 1), "1000.00")  # due 01-31
    policy_update(
        values={"collections.letter_interval_days": "10"},
        effective_from=D(2026, 3, 15),
        actor=people.admin,
        reason="faster reminders",
    )
    assert policy_as_of(D(2026, 3, 14))["collections.letter_interval_days"] == 15

    reports = walk(D(2026, 2, 1), D(2026, 4, 30))

    assert [(n, day) for _s, n, day, _a in letters(project)] == [
        (1, D(2026, 3, 3)),  # 01-31 + 31
        # 03-13 (= 03-03 + 10) and 03-14 are still under the 15-day interval (03-03 + 15 =
        # 03-18); from 03-15 on the interval is 10 and 03-03 + 10 ≤ 03-15.
        (2, D(2026, 3, 15)),
        (3, D(2026, 3, 25)),  # 03-15 + 10
    ]
    # The hold interval is unchanged: 03-25 + 15 = 04-09 (6 days to 03-31, 9 more).
    assert [d for d, r in reports.items() if r.holds_placed] == [D(2026, 4, 9)]


def test_more_letters_and_a_later_hold_when_the_policy_says_so(customer, people):
    project = ProjectFactory(code="P1", customer=customer)
    post_invoice(project, "I1", D(2026, 1, 1), "1000.00")  # due 01-31
    policy_update(
        values={"collections.letter_max": "4", "collections.hold_after_days": "20"},
        effective_from=D(2026, 3, 20),
        actor=people.admin,
    )

    reports = walk(D(2026, 2, 1), D(2026, 5, 31))

    assert [(n, day) for _s, n, day, _a in letters(project)] == [
        (1, D(2026, 3, 3)),
        (2, D(2026, 3, 18)),
        (3, D(2026, 4, 2)),
        (4, D(2026, 4, 17)),  # a fourth letter: letter_max is 4 from 03-20
    ]
    # 04-17 + 20 = 05-07 (13 days to 04-30, 7 more); not 04-02 + 15 = 04-17.
    assert [d for d, r in reports.items() if r.holds_placed] == [D(2026, 5, 7)]


def test_the_letter_one_threshold_follows_the_policy_of_the_day(customer, people):
    project = ProjectFactory(code="P1", customer=customer)
    post_invoice(project, "I1", D(2026, 1, 1), "1000.00")  # due 01-31
    policy_update(
        values={"collections.letter_first_after_days": "45"},
        effective_from=D(2026, 3, 1),
        actor=people.admin,
    )

    walk(D(2026, 2, 1), D(2026, 3, 31))

    # Under 30 days it would be 03-03; from 03-01 the threshold is 45 days past due:
    # 01-31 + 46 = 03-18 (28 days to 02-28, 18 more).
    assert [(n, day) for _s, n, day, _a in letters(project)] == [(1, D(2026, 3, 18))]


# A supervisor's override ------------------------------------------------------------------


def test_a_supervisors_override_lets_exactly_one_delivery_through(customer, plant, people):
    project = ProjectFactory(code="P1", customer=customer, plant=plant)
    other = ProjectFactory(code="P2", customer=customer, plant=plant)
    post_invoice(project, "I1", D(2026, 1, 1), "1000.00")  # due 01-31; hold 04-17
    walk(D(2026, 3, 1), D(2026, 4, 20))
    hold = hold_of(customer)
    assert (hold.since, hold.released_on) == (D(2026, 4, 17), None)

    with pytest.raises(PermissionDenied):
        services.hold_override_grant(actor=people.sales1, project=project, reason="please")
    with pytest.raises(ValidationError):
        services.hold_override_grant(actor=people.manager1, project=project, reason="  ")
    with pytest.raises(ValidationError, match="on supply hold"):
        deliver(project, "T1", D(2026, 4, 21), plant)

    override = services.hold_override_grant(
        actor=people.manager1, project=project, reason="Hospital foundation pour, agreed"
    )
    first, created = deliver(project, "T1", D(2026, 4, 21), plant)
    assert created
    override.refresh_from_db()
    assert (override.hold, override.delivery, override.granted_by) == (hold, first, people.manager1)
    # The same ticket again is the same delivery, not a second one: no error, nothing used.
    assert deliver(project, "T1", D(2026, 4, 21), plant) == (first, False)
    with pytest.raises(ValidationError, match="on supply hold since 2026-04-17"):
        deliver(project, "T2", D(2026, 4, 21), plant)
    # The override was for P1 only.
    with pytest.raises(ValidationError, match="on supply hold"):
        deliver(other, "T3", D(2026, 4, 21), plant)

    assert list(Delivery.objects.values_list("ticket", flat=True)) == ["T1"]
    assert HoldOverride.objects.count() == 1
    entry = AuditEntry.objects.get(action="hold_override")
    assert (entry.actor, entry.reason) == (people.manager1, "Hospital foundation pour, agreed")


def test_no_override_without_a_hold(customer, plant, people):
    project = ProjectFactory(code="P1", customer=customer, plant=plant)
    with pytest.raises(ValidationError, match="not on supply hold"):
        services.hold_override_grant(actor=people.manager1, project=project, reason="urgent")


# Letters sent by hand ------------------------------------------------------------------


def test_letters_sent_by_hand_count_in_the_same_sequence(people):
    first = ProjectFactory(code="P1", customer=CustomerFactory(code="C1"))
    second = ProjectFactory(code="P2", customer=CustomerFactory(code="C2"))
    for project in (first, second):
        post_invoice(project, f"I-{project.code}", D(2026, 1, 1), "1000.00")  # due 01-31

    with pytest.raises(PermissionDenied):
        services.letter_send_now(actor=people.sales1, project=first, on=D(2026, 2, 15))
    walk(D(2026, 2, 1), D(2026, 2, 14))
    # P1: a manager sends letter 1 on 02-15, before the cycle would (03-03).
    manual = services.letter_send_now(actor=people.manager1, project=first, on=D(2026, 2, 15))
    assert (manual.sequence, manual.number, manual.amount) == (1, 1, Decimal("1000.00"))
    with pytest.raises(ValidationError, match="already had a letter today"):
        services.letter_send_now(actor=people.manager1, project=first, on=D(2026, 2, 15))

    def by_hand():
        services.letter_send_now(actor=people.manager2, project=second, on=D(2026, 3, 8))

    reports = walk(D(2026, 2, 15), D(2026, 4, 30), {D(2026, 3, 8): [by_hand]})

    assert not reports[D(2026, 2, 15)].letters  # one letter a day: the manager's
    assert [(n, day) for _s, n, day, _a in letters(first)] == [
        (1, D(2026, 2, 15)),  # by hand
        (2, D(2026, 3, 2)),  # 02-15 + 15 (13 days to 02-28, 2 more)
        (3, D(2026, 3, 17)),  # 03-02 + 15
    ]
    assert [(n, day) for _s, n, day, _a in letters(second)] == [
        (1, D(2026, 3, 3)),  # the cycle: 01-31 + 31
        (2, D(2026, 3, 8)),  # by hand
        (3, D(2026, 3, 23)),  # the cycle: 03-08 + 15
    ]
    # Holds 15 days after each third letter: 03-17 + 15 = 04-01; 03-23 + 15 = 04-07.
    assert [(d, r.holds_placed) for d, r in reports.items() if r.holds_placed] == [
        (D(2026, 4, 1), [("C1", "P1")]),
        (D(2026, 4, 7), [("C2", "P2")]),
    ]
    with pytest.raises(ValidationError, match="supply hold comes next"):
        services.letter_send_now(actor=people.manager1, project=first, on=D(2026, 4, 20))
    issued_by = dict(
        DunningLetter.objects.filter(issued_by__isnull=False).values_list(
            "project__code", "issued_by__username"
        )
    )
    assert issued_by == {"P1": "manager1", "P2": "manager2"}
    rows = report_json("letters", "--as-of", "2026-04-30")["rows"]
    assert [(r["project"], r["number"], r["issued_by"]) for r in rows] == [
        ("P1", 1, "manager1"), ("P1", 2, None), ("P2", 1, None), ("P2", 2, "manager2"),
        ("P1", 3, None), ("P2", 3, None),
    ]  # fmt: skip


def test_no_letter_by_hand_when_nothing_is_overdue(people):
    project = ProjectFactory(code="P1")
    post_invoice(project, "I1", D(2026, 1, 1), "1000.00")  # due 01-31: not overdue on 01-31
    with pytest.raises(ValidationError, match="Nothing of this project is overdue"):
        services.letter_send_now(actor=people.manager1, project=project, on=D(2026, 1, 31))
    assert services.letter_send_now(actor=people.manager1, project=project, on=D(2026, 2, 1))
