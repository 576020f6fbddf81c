"""The command line of collections: `salesdesk cycle --as-of D [--dry-run]` and the order
gate `salesdesk gate CUSTOMER [--project P] [--as-of D] [--amount X]` (FORMATS.md: one
English verdict line; exit 0 allowed, 3 blocked, 2 a question that cannot be answered).

Dates by hand, default policy: an invoice of 2026-01-01 on 30 days' terms is due 01-31;
letters on 01-31 + 31 = 03-03, 03-18, 04-02; the hold on 04-02 + 15 = 04-17."""

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils import translation

from salesdesk.collections.cycle import cycle_run
from salesdesk.collections.models import (
    CollectionTask,
    DunningLetter,
    LegalCase,
    SupplyHold,
    TaskDraft,
)
from salesdesk.core.models import AuditEntry
from salesdesk.customers.models import Project
from salesdesk.ledger import services as ledger
from salesdesk.ledger.models import Payment
from tests.factories import CustomerFactory, ProjectFactory
from tests.ledger.builders import post_invoice

D = dt.date


def cycle(*args) -> list[str]:
    out = io.StringIO()
    call_command("cycle", *args, stdout=out)
    return out.getvalue().splitlines()


def gate(*args) -> tuple[int, str]:
    """(exit code, standard output) of `salesdesk gate ...`."""
    out = io.StringIO()
    try:
        call_command("gate", *args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    except CommandError as exc:
        return exc.returncode, str(exc)
    return 0, out.getvalue()


def snapshot() -> dict:
    """Everything a cycle may write."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (DunningLetter, SupplyHold, LegalCase, CollectionTask, TaskDraft, AuditEntry)
    } | {"projects": list(Project.objects.order_by("pk").values_list("code", "status"))}


# salesdesk cycle ------------------------------------------------------------------------


@pytest.fixture
def ledger_book(db):
    """P1 (C1): I1 1000.00 due 01-31. P2 (C2): I2 500.00 dated 2025-10-01, due 2025-10-31.
    P3 (C3): I3 200.00 dated 03-01, due 03-31."""
    projects = []
    for n, (date, due, amount) in enumerate(
        [
            (D(2026, 1, 1), D(2026, 1, 31), "1000.00"),
            (D(2025, 10, 1), D(2025, 10, 31), "500.00"),
            (D(2026, 3, 1), D(2026, 3, 31), "200.00"),
        ],
        start=1,
    ):
        project = ProjectFactory(code=f"P{n}", customer=CustomerFactory(code=f"C{n}"))
        post_invoice(project, f"I{n}", date, amount, due)
        projects.append(project)
    return projects


def test_the_cycle_prints_what_it_did_each_day(ledger_book):
    # The first run drafts March: I1 1000 + I2 500 + I3 200 (all due by 03-31).
    assert cycle("--as-of", "2026-03-03") == [
        "cycle 2026-03-03",
        "letter 1: project P1, overdue 1000.00",  # 01-31 + 31
        "letter 1: project P2, overdue 500.00",  # long overdue: letter 1 on the first run
        "tasks drafted for 2026-03: 3, target 1700.00",
    ]
    assert cycle("--as-of", "2026-03-03") == ["cycle 2026-03-03", "nothing to do"]
    # The days missed since the last run are run first, in order.
    assert cycle("--as-of", "2026-03-17") == [
        "catching up 13 missed days, 2026-03-04 to 2026-03-16", "cycle 2026-03-17", "nothing to do",
    ]  # fmt: skip
    assert cycle("--as-of", "2026-03-18") == [
        "cycle 2026-03-18",
        "letter 2: project P1, overdue 1000.00",
        "letter 2: project P2, overdue 500.00",
    ]
    # 04-02 runs 03-19 to 04-01 first: April drafted on 03-25 (all three invoices are
    # due by 04-30); March's drafts, never signed, lapse on 04-01. Then the third letters.
    assert cycle("--as-of", "2026-04-02") == [
        "catching up 14 missed days, 2026-03-19 to 2026-04-01",
        "cycle 2026-03-25",
        "tasks drafted for 2026-04: 3, target 1700.00",
        "cycle 2026-04-01",
        "tasks lapsed unsigned for 2026-03: 3",
        "cycle 2026-04-02",
        "letter 3: project P1, overdue 1000.00",
        "letter 3: project P2, overdue 500.00",
    ]
    assert cycle("--as-of", "2026-04-17") == [
        "catching up 14 missed days, 2026-04-03 to 2026-04-16",
        "cycle 2026-04-17",
        "hold placed: customer C1 (project P1)",
        "hold placed: customer C2 (project P2)",
    ]


def test_a_dry_run_prints_the_same_lines_and_writes_nothing(ledger_book):
    p1 = ledger_book[0]
    for day in (D(2026, 3, 3), D(2026, 3, 18), D(2026, 4, 2), D(2026, 4, 17)):
        cycle_run(as_of=day)
    # P1 paid in full on 04-20, loaded the way the importer loads payments (which does
    # not record hold releases itself): the next cycle records C1's release.
    ledger.records_post_batch(
        model=Payment, key_field="reference", actor=None,
        rows=[("PAY1", ledger.payment_values(project=p1, date=D(2026, 4, 20), amount="1000.00"))],
    )  # fmt: skip
    before = snapshot()

    lines = cycle("--as-of", "2026-05-01", "--dry-run")

    dry = " (dry run: nothing written)"
    assert lines == [
        "catching up 13 missed days, 2026-04-18 to 2026-04-30",
        f"cycle 2026-04-20{dry}",
        "hold released: customer C1 on 2026-04-20",
        # May, as of 04-25: P1 paid, P2 500.00 (not in legal yet), P3 200.00.
        f"cycle 2026-04-25{dry}",
        "tasks drafted for 2026-05: 2, target 700.00",
        # I2 due 2025-10-31: + 181 days = 2026-04-30 (30 in Nov, 61 Dec, 92 Jan, 120 Feb,
        # 151 Mar, 181 Apr): more than 180 days past due.
        f"cycle 2026-04-30{dry}",
        "legal recovery: project P2, overdue 500.00",
        f"cycle 2026-05-01{dry}",
        "letter 1: project P3, overdue 200.00",  # I3 due 03-31: 03-31 + 31 = 05-01
        "tasks lapsed unsigned for 2026-04: 3",
    ]
    assert snapshot() == before
    assert cycle("--as-of", "2026-05-01", "--dry-run") == lines
    assert cycle("--as-of", "2026-05-01") == [line.replace(dry, "") for line in lines]
    assert snapshot() != before
    assert cycle("--as-of", "2026-05-01", "--dry-run") == [
        f"cycle 2026-05-01{dry}",
        "nothing to do",
    ]


def test_the_cycle_runs_for_today_by_default(db):
    today = dt.date.today()
    assert cycle("--dry-run")[0] == f"cycle {today} (dry run: nothing written)"
    assert not TaskDraft.objects.exists()


def test_the_cycle_refuses_a_date_that_is_not_one(db):
    with pytest.raises(CommandError, match="--as-of"):
        cycle("--as-of", "2026-02-30")


# salesdesk gate -------------------------------------------------------------------------


@pytest.fixture
def held(db):
    """C1 on supply hold since 2026-04-17 (P1's third letter); P2 is C1's other project."""
    customer = CustomerFactory(code="C1")
    p1 = ProjectFactory(code="P1", customer=customer)
    ProjectFactory(code="P2", customer=customer, credit_limit="1200.00")
    post_invoice(p1, "I1", D(2026, 1, 1), "1000.00")
    for day in (D(2026, 3, 3), D(2026, 3, 18), D(2026, 4, 2), D(2026, 4, 17)):
        cycle_run(as_of=day)
    return customer


def test_the_gate_allows_with_exit_0(held):
    assert gate("C1", "--as-of", "2026-04-16") == (0, "allowed\n")
    assert gate("C1", "--project", "P1", "--as-of", "2026-04-16") == (0, "allowed\n")


def test_the_gate_blocks_a_customer_on_hold_with_exit_3_and_the_reason(held):
    blocked = "blocked: customer C1 is on supply hold since 2026-04-17\n"
    assert gate("C1", "--as-of", "2026-04-17") == (3, blocked)
    assert gate("C1", "--project", "P2", "--as-of", "2026-04-17") == (3, blocked)
    assert gate("C1") == (3, blocked)  # today, still on hold


def test_the_gate_gives_every_reason_on_one_english_line(held, settings):
    Project.objects.filter(code="P2").update(status="legal")
    held.status = "blacklisted"
    held.save()
    post_invoice(Project.objects.get(code="P2"), "I2", D(2026, 4, 1), "1000.00")
    settings.LANGUAGE_CODE = "zh-hans"

    with translation.override("zh-hans"):
        code, line = gate("C1", "--project", "P2", "--as-of", "2026-04-20", "--amount", "500")

    assert (code, line) == (
        3,
        "blocked: customer C1 is blacklisted; customer C1 is on supply hold since 2026-04-17; "
        "project P2 is in legal recovery; project P2 outstanding 1000.00 + delivery 500.00 "
        "exceeds its credit limit 1200.00\n",
    )


def test_the_gate_checks_the_credit_limit_of_the_delivery_asked_about(db):
    project = ProjectFactory(code="P1", customer=CustomerFactory(code="C1"), credit_limit="1000")
    post_invoice(project, "I1", D(2026, 4, 1), "600.00")
    assert gate("C1", "--project", "P1", "--as-of", "2026-04-02", "--amount", "400") == (
        0,
        "allowed\n",
    )
    assert gate("C1", "--project", "P1", "--as-of", "2026-04-02", "--amount", "400.01") == (
        3,
        "blocked: project P1 outstanding 600.00 + delivery 400.01 exceeds its credit limit "
        "1000.00\n",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["NOPE"], "no customer 'NOPE'"),
        (["C1", "--project", "NOPE"], "no project 'NOPE'"),
        (["C1", "--project", "P9"], "Project P9 is not a project of customer C1."),
        (["C1", "--amount", "lots"], "--amount: 'lots' is not a number"),
    ],
)
def test_the_gate_answers_exit_2_when_it_cannot_answer(held, args, message):
    ProjectFactory(code="P9")  # another customer's project
    # The verdict line is always English; these messages follow the locale.
    with translation.override("en"):
        assert gate(*args) == (2, message)


# The real processes: exit codes as a shell sees them -----------------------------------

CSV = {
    "plants": "code,name\nPL01,一号搅拌站\n",
    "users": "username,name,roles\ns1,李销售,sales\n",
    "customers": "code,name,owner\nC1,华东建工有限公司,s1\n",
    "projects": "code,customer,name,plant,payment_terms_days\nP1,C1,浦东综合体,PL01,30\n",
    "invoices": "number,project,date,due_date,amount\nI1,P1,2026-01-01,2026-01-31,1000.00\n",
}


# migrate, import the workbook, run the cycle on the three letter days.
SETUP = """
import sys, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("import", sys.argv[1])
for day in ("2026-03-03", "2026-03-18", "2026-04-02"):
    call_command("cycle", "--as-of", day)
"""


@pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="uses a SQLite file of its own whatever the suite's database: once is enough",
)
def test_the_commands_exit_with_their_codes_in_a_shell(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "SALESDESK_HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "salesdesk.settings",
    }
    folder = tmp_path / "book"
    folder.mkdir()
    for name, text in CSV.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")

    def salesdesk(*args) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "salesdesk", *args], env=env, capture_output=True,
            text=True, cwd=Path(tmp_path), timeout=120,
        )  # fmt: skip

    # One process sets the database up (Django starts in about a second per process).
    setup = subprocess.run(
        [sys.executable, "-c", SETUP, str(folder)], env=env, capture_output=True, text=True,
        cwd=Path(tmp_path), timeout=120,
    )  # fmt: skip
    assert setup.returncode == 0, setup.stderr
    dry = salesdesk("cycle", "--as-of", "2026-04-17", "--dry-run")
    caught_up = "catching up 14 missed days, 2026-04-03 to 2026-04-16"
    assert (dry.returncode, dry.stdout.splitlines()) == (0, [
        caught_up, "cycle 2026-04-17 (dry run: nothing written)",
        "hold placed: customer C1 (project P1)",
    ])  # fmt: skip
    run = salesdesk("cycle", "--as-of", "2026-04-17")
    assert run.stdout.splitlines() == [
        caught_up,
        "cycle 2026-04-17",
        "hold placed: customer C1 (project P1)",
    ]

    blocked = salesdesk("gate", "C1", "--project", "P1", "--as-of", "2026-04-17")
    assert (blocked.returncode, blocked.stdout) == (
        3, "blocked: customer C1 is on supply hold since 2026-04-17\n"
    )  # fmt: skip
    allowed = salesdesk("gate", "C1", "--as-of", "2026-04-16")
    assert (allowed.returncode, allowed.stdout) == (0, "allowed\n")
    unknown = salesdesk("gate", "NOPE")
    assert (unknown.returncode, unknown.stdout) == (2, "")
    assert "no customer 'NOPE'" in unknown.stderr
