"""Collection tasks (收款任务书, DOMAIN §6), walked day by day: drafted by the first cycle
run on or after the 25th (policy day) for next month, once; target = the unsettled
amount, as of the run date, of the project's invoices due on or before the month's last
day; assessed once the month is over (collected = payments dated in the month,
completion = collected / target). Every figure is worked out by hand in the comments."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from salesdesk.collections import services
from salesdesk.collections.cycle import cycle_run
from salesdesk.collections.models import CollectionTask, TaskDraft
from salesdesk.core.services import policy_update
from tests.collections.builders import walk
from tests.factories import CustomerFactory, ProjectFactory
from tests.ledger.builders import post_invoice, post_payment

D = dt.date


def tasks(month: dt.date) -> dict[str, tuple]:
    """{project code: (salesperson, target, drafted_on, collected, assessed_on, status)}."""
    rows = CollectionTask.objects.filter(month=month).values_list(
        "project__code", "salesperson__username", "target", "drafted_on", "collected",
        "assessed_on", "status",
    )  # fmt: skip
    return {code: tuple(rest) for code, *rest in rows}


@pytest.fixture
def book(people):
    """Projects of sales1 and sales2 with invoices due inside and outside May 2026, a
    partial payment, records dated after the 04-25 draft, and a project a manager sends
    to legal on 04-10. Every money record is posted up front: the cycle must read each as
    of its run date. Returns the projects and the walk's events."""
    c1 = CustomerFactory(code="C1", owner=people.sales1)
    c2 = CustomerFactory(code="C2", owner=people.sales2)
    p1 = ProjectFactory(code="P1", customer=c1, owner=people.sales1)
    p2 = ProjectFactory(code="P2", customer=c2, owner=people.sales2)
    p3 = ProjectFactory(code="P3", customer=c2, owner=people.sales2)
    p4 = ProjectFactory(code="P4", customer=c1, owner=people.sales1)
    p5 = ProjectFactory(code="P5", customer=c2, owner=people.sales2)
    # P1 (sales1)
    post_invoice(p1, "I1", D(2026, 3, 1), "1000.00", D(2026, 3, 31))
    post_invoice(p1, "I2", D(2026, 4, 10), "600.00", D(2026, 5, 10))  # due inside May
    post_invoice(p1, "I3", D(2026, 4, 20), "300.00", D(2026, 5, 31))  # due on May's last day
    post_invoice(p1, "I4", D(2026, 4, 22), "500.00", D(2026, 6, 1))  # due after May
    post_invoice(p1, "I5", D(2026, 4, 26), "700.00", D(2026, 5, 20))  # dated after the run
    post_payment(p1, "PAY1", D(2026, 4, 5), "400.00")  # partial: settles 400 of I1
    post_payment(p1, "PAY2", D(2026, 4, 26), "100.00")  # after the run, before May
    post_payment(p1, "PAY3", D(2026, 5, 5), "500.00")
    post_payment(p1, "PAY4", D(2026, 5, 31), "300.00")  # May's last day
    post_payment(p1, "PAY5", D(2026, 6, 1), "200.00")  # June
    # P2 (sales2): due in June only
    post_invoice(p2, "I6", D(2026, 4, 1), "800.00", D(2026, 6, 15))
    # P3 (sales2): paid in full before the run
    post_invoice(p3, "I7", D(2026, 3, 15), "250.00", D(2026, 4, 14))
    post_payment(p3, "PAY6", D(2026, 4, 20), "250.00")
    # P4 (sales1): would have a target of 900.00, but goes to legal on 04-10
    post_invoice(p4, "I8", D(2026, 3, 1), "900.00", D(2026, 3, 31))
    # P5 (sales2)
    post_invoice(p5, "I9", D(2026, 4, 1), "2000.00", D(2026, 5, 1))
    post_payment(p5, "PAY7", D(2026, 5, 15), "1000.00")

    def to_legal():
        services.project_send_to_legal(
            actor=people.manager1, project=p4, note="insolvent", on=D(2026, 4, 10)
        )

    return {D(2026, 4, 10): [to_legal]}


def test_tasks_are_drafted_once_on_the_policy_day_with_the_targets_of_the_run_date(book):
    reports = walk(D(2026, 4, 1), D(2026, 5, 31), book)

    # One draft per month, whatever the number of runs: April by the first run (04-01),
    # May on the 25th of April, June on the 25th of May.
    assert list(TaskDraft.objects.order_by("month").values_list("month", "drafted_on")) == [
        (D(2026, 4, 1), D(2026, 4, 1)),
        (D(2026, 5, 1), D(2026, 4, 25)),
        (D(2026, 6, 1), D(2026, 5, 25)),
    ]
    drafted = [(d, r.tasks_drafted) for d, r in reports.items() if r.tasks_drafted]
    assert [d for d, _t in drafted] == [D(2026, 4, 1), D(2026, 4, 25), D(2026, 5, 25)]

    # May, drafted 04-25. P1: invoices dated by 04-25 and due by 05-31 are I1 1000 + I2
    # 600 + I3 300 = 1900 (I4 is due 06-01; I5 is dated 04-26); paid by 04-25: PAY1 400;
    # target 1900 - 400 = 1500.00. P5: I9 2000, nothing paid yet: 2000.00. P2 (due
    # 06-15) and P3 (paid) have nothing to collect; P4 is in legal: no task.
    assert reports[D(2026, 4, 25)].tasks_drafted == (D(2026, 5, 1), 2, Decimal("3500.00"))
    assert "tasks drafted for 2026-05: 2, target 3500.00" in reports[D(2026, 4, 25)].lines()
    may = D(2026, 5, 1)
    assert tasks(may) == {
        "P1": ("sales1", Decimal("1500.00"), D(2026, 4, 25), None, None, "draft"),
        "P5": ("sales2", Decimal("2000.00"), D(2026, 4, 25), None, None, "draft"),
    }

    # June, drafted 05-25. P1: dated by 05-25 and due by 06-30: I1..I5 = 1000 + 600 + 300
    # + 500 + 700 = 3100; paid by 05-25: 400 + 100 + 500 = 1000; target 2100.00. P2: I6
    # 800.00. P5: 2000 - 1000 = 1000.00.
    assert {code: row[1] for code, row in tasks(D(2026, 6, 1)).items()} == {
        "P1": Decimal("2100.00"), "P2": Decimal("800.00"), "P5": Decimal("1000.00"),
    }  # fmt: skip
    assert reports[D(2026, 5, 25)].tasks_drafted == (D(2026, 6, 1), 3, Decimal("3900.00"))

    # April (drafted 04-01, as of 04-01): P1 I1 (due 03-31) 1000, nothing paid: 1000.00;
    # P4 I8 900.00 (still active on 04-01); P3 I7 (due 04-14) 250.00; P5 and P2 are due
    # later.
    assert {code: row[1] for code, row in tasks(D(2026, 4, 1)).items()} == {
        "P1": Decimal("1000.00"), "P3": Decimal("250.00"), "P4": Decimal("900.00"),
    }  # fmt: skip


def sign(people, month: dt.date):
    """Marketing and finance sign the month's drafts: the tasks are issued."""
    return lambda: [
        services.tasks_sign(
            actor=actor, as_role=role, at=timezone.now(),
            task_ids=list(CollectionTask.objects.filter(month=month).values_list("pk", flat=True)),
        )
        for actor, role in ((people.marketing, "marketing"), (people.finance, "finance"))
    ]  # fmt: skip


def test_tasks_are_assessed_when_their_month_is_over(people, book):
    # April's drafts are signed on 04-02, May's on 04-28; June's are left unsigned.
    events = {**book, D(2026, 4, 2): [sign(people, D(2026, 4, 1))],
              D(2026, 4, 28): [sign(people, D(2026, 5, 1))]}  # fmt: skip
    reports = walk(D(2026, 4, 1), D(2026, 6, 5), events)

    may = D(2026, 5, 1)
    # Assessed by the first run in June. Collected in May: P1 PAY3 500 + PAY4 300 (05-31)
    # = 800.00 (PAY2 04-26 and PAY5 06-01 are outside May); completion 800 / 1500 =
    # 0.53333 → 0.5333. P5: PAY7 1000.00; 1000 / 2000 = 0.5000.
    assert tasks(may) == {
        "P1": ("sales1", Decimal("1500.00"), D(2026, 4, 25), Decimal("800.00"), D(2026, 6, 1),
               "assessed"),
        "P5": ("sales2", Decimal("2000.00"), D(2026, 4, 25), Decimal("1000.00"), D(2026, 6, 1),
               "assessed"),
    }  # fmt: skip
    assert [d for d, r in reports.items() if (may, 2) in r.tasks_assessed] == [D(2026, 6, 1)]
    assert "tasks assessed for 2026-05: 2" in reports[D(2026, 6, 1)].lines()
    # April's tasks were assessed on 05-01: P1 collected PAY1 (04-05) 400 + PAY2 (04-26)
    # 100 = 500.00; P3 PAY6 250.00; P4 nothing (in legal, but drafted before).
    april = tasks(D(2026, 4, 1))
    assert {code: (row[3], row[4]) for code, row in april.items()} == {
        "P1": (Decimal("500.00"), D(2026, 5, 1)),
        "P3": (Decimal("250.00"), D(2026, 5, 1)),
        "P4": (Decimal("0.00"), D(2026, 5, 1)),
    }
    # June's are not assessed yet.
    assert all(row[4] is None for row in tasks(D(2026, 6, 1)).values())

    # A second run changes nothing.
    before = list(CollectionTask.objects.order_by("pk").values())
    assert not cycle_run(as_of=D(2026, 6, 1)).changed
    assert list(CollectionTask.objects.order_by("pk").values()) == before

    out = io.StringIO()
    call_command("report", "tasks", "--month", "2026-05", "--format", "json", stdout=out)
    document = json.loads(out.getvalue())
    assert (document["report"], document["month"]) == ("tasks", "2026-05")
    assert document["rows"] == [
        {"month": "2026-05", "salesperson": "sales1", "project": "P1", "target": "1500.00",
         "collected": "800.00", "completion": "0.5333", "status": "assessed"},
        {"month": "2026-05", "salesperson": "sales2", "project": "P5", "target": "2000.00",
         "collected": "1000.00", "completion": "0.5000", "status": "assessed"},
    ]  # fmt: skip
    assert document["totals"] == {"target": "3500.00", "collected": "1800.00"}


def test_drafts_nobody_signed_lapse_when_their_month_ends_and_are_never_assessed(people, book):
    # May's drafts get marketing's signature only: not issued.
    half = lambda: services.tasks_sign(  # noqa: E731
        actor=people.marketing, as_role="marketing", at=timezone.now(),
        task_ids=list(CollectionTask.objects.filter(month=D(2026, 5, 1)).values_list("pk", flat=True)),
    )  # fmt: skip
    reports = walk(D(2026, 4, 1), D(2026, 6, 5), {**book, D(2026, 4, 28): [half]})

    # April's drafts lapse on 05-01, May's on 06-01: never assessed, nothing collected.
    assert [(d, r.tasks_lapsed) for d, r in reports.items() if r.tasks_lapsed] == [
        (D(2026, 5, 1), [(D(2026, 4, 1), 3)]),
        (D(2026, 6, 1), [(D(2026, 5, 1), 2)]),
    ]
    assert not any(r.tasks_assessed for r in reports.values())
    assert "tasks lapsed unsigned for 2026-05: 2" in reports[D(2026, 6, 1)].lines()
    assert {code: row[3:] for code, row in tasks(D(2026, 5, 1)).items()} == {
        "P1": (None, None, "lapsed"), "P5": (None, None, "lapsed"),
    }  # fmt: skip
    # Too late to sign a lapsed task: nothing is signed, it stays lapsed.
    ids = list(CollectionTask.objects.filter(month=D(2026, 5, 1)).values_list("pk", flat=True))
    assert (
        services.tasks_sign(
            actor=people.finance, as_role="finance", task_ids=ids, at=timezone.now()
        )
        == 0
    )
    assert not cycle_run(as_of=D(2026, 6, 5)).changed

    out = io.StringIO()
    call_command("report", "tasks", "--month", "2026-05", "--format", "json", stdout=out)
    assert [(r["project"], r["status"]) for r in json.loads(out.getvalue())["rows"]] == [
        ("P1", "lapsed"),
        ("P5", "lapsed"),
    ]


def test_the_tasks_report_shows_a_running_month_with_what_is_collected_so_far(book):
    walk(D(2026, 4, 1), D(2026, 6, 5), book)

    out = io.StringIO()
    call_command("report", "tasks", "--month", "2026-06", "--format", "json", stdout=out)
    rows = json.loads(out.getvalue())["rows"]

    # June so far: P1 PAY5 (06-01) 200.00 of 2100.00 = 0.095238 → 0.0952; P2, P5 nothing.
    assert [(r["project"], r["target"], r["collected"], r["completion"], r["status"])
            for r in rows] == [
        ("P1", "2100.00", "200.00", "0.0952", "draft"),
        ("P2", "800.00", "0.00", "0.0000", "draft"),
        ("P5", "1000.00", "0.00", "0.0000", "draft"),
    ]  # fmt: skip


def test_a_run_after_a_gap_replays_the_policy_day_it_missed(people):
    project = ProjectFactory(owner=people.sales1)
    post_invoice(project, "I1", D(2026, 5, 1), "1000.00", D(2026, 7, 10))
    post_payment(project, "PAY1", D(2026, 6, 28), "300.00")

    cycle_run(as_of=D(2026, 6, 20))  # drafts June: nothing due by 06-30
    cycle_run(as_of=D(2026, 6, 24))  # before the 25th: nothing to draft
    # No run between 06-25 and 07-02: the run of 07-03 first replays those days, and the
    # 06-25 one drafts July as of 06-25 (I1 due 07-10: 1000.00; PAY1 came later).
    report = cycle_run(as_of=D(2026, 7, 3))
    assert [day.as_of for day in report.caught_up] == [
        D(2026, 6, 25) + dt.timedelta(days=n) for n in range(8)
    ]
    assert report.caught_up[0].tasks_drafted == (D(2026, 7, 1), 1, Decimal("1000.00"))
    assert report.tasks_drafted is None and report.counts()["tasks_drafted"] == 1
    assert report.lines()[:2] == [
        "catching up 8 missed days, 2026-06-25 to 2026-07-02", "cycle 2026-06-25",
    ]  # fmt: skip
    assert cycle_run(as_of=D(2026, 7, 24)).tasks_drafted is None
    # August, drafted 07-25: I1 1000.00 less PAY1 300.00.
    assert cycle_run(as_of=D(2026, 7, 25)).tasks_drafted == (D(2026, 8, 1), 1, Decimal("700.00"))
    assert [f"{m:%Y-%m}" for m in TaskDraft.objects.order_by("month").values_list("month", flat=True)] == [
        "2026-06", "2026-07", "2026-08",
    ]  # fmt: skip


def test_the_draft_day_follows_the_policy(people):
    project = ProjectFactory(owner=people.sales1)
    post_invoice(project, "I1", D(2026, 5, 1), "1000.00", D(2026, 6, 10))
    policy_update(
        values={"collections.task_draft_day": "20"}, effective_from=D(2026, 5, 1), actor=None
    )

    reports = walk(D(2026, 5, 15), D(2026, 5, 31))

    # 05-15 drafts May (the first run); from the 20th, June.
    assert [(d, r.tasks_drafted[0]) for d, r in reports.items() if r.tasks_drafted] == [
        (D(2026, 5, 15), D(2026, 5, 1)),
        (D(2026, 5, 20), D(2026, 6, 1)),
    ]
