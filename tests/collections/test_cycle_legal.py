"""Legal recovery (DOMAIN §6), walked day by day: at 181 days overdue, or sent by a
manager. From then on the project gets no letters and no collection tasks, deliveries to
it are refused and the order gate says why. Dates are worked out by hand in the
comments, from the default policy; 2026 is not a leap year."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from salesdesk.collections import services
from salesdesk.collections.models import CollectionTask, DunningLetter, LegalCase, SupplyHold
from salesdesk.core.errors import PermissionDenied
from salesdesk.ledger import services as ledger
from tests.collections.builders import walk
from tests.factories import CustomerFactory, PlantFactory, ProductFactory, ProjectFactory
from tests.ledger.builders import post_invoice

D = dt.date


def letter_days(project) -> list[tuple[int, dt.date]]:
    return list(
        DunningLetter.objects.filter(project=project)
        .order_by("issued_on")
        .values_list("number", "issued_on")
    )


def task_months(project) -> list[str]:
    months = CollectionTask.objects.filter(project=project).order_by("month")
    return [f"{m:%Y-%m}" for m in months.values_list("month", flat=True)]


def gate(*args) -> tuple[int, str]:
    """`salesdesk gate ...`: (exit code, the verdict line)."""
    out = io.StringIO()
    try:
        call_command("gate", *args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def deliver(project, ticket, date):
    return ledger.delivery_post(
        actor=None, ticket=ticket, project=project, date=date, product="C30 混凝土",
        quantity="5", unit_price="420",
    )  # fmt: skip


@pytest.fixture(autouse=True)
def english():
    """The services' messages follow the active language (zh-Hans by default); these
    tests read the English ones."""
    with translation.override("en"):
        yield


@pytest.fixture
def customer(db):
    ProductFactory()  # C30 混凝土, the product the tests deliver
    return CustomerFactory(code="C1")


def test_a_project_goes_to_legal_recovery_after_180_days_overdue(customer):
    plant = PlantFactory(code="PL01")
    project = ProjectFactory(code="P1", customer=customer, plant=plant)
    healthy = ProjectFactory(code="P2", customer=customer, plant=plant)
    post_invoice(project, "I1", D(2026, 1, 1), "1000.00")  # due 01-31
    post_invoice(healthy, "I2", D(2026, 9, 1), "300.00")  # due 10-01, paid on 09-30

    def payment(project, reference, day, amount):
        return lambda: ledger.payment_post(
            actor=None, reference=reference, project=project, date=day, amount=amount
        )

    reports = walk(
        D(2026, 1, 1),
        D(2026, 10, 31),
        {
            D(2026, 9, 15): [payment(project, "PAY1", D(2026, 9, 15), "1000.00")],
            D(2026, 9, 30): [payment(healthy, "PAY2", D(2026, 9, 30), "300.00")],
        },
    )

    # Letters 01-31 + 31 = 03-03, 03-18, 04-02; hold 04-17; then no more letters.
    assert letter_days(project) == [(1, D(2026, 3, 3)), (2, D(2026, 3, 18)), (3, D(2026, 4, 2))]
    # More than 180 days past due: 01-31 + 181 = 07-31 (28 days to 02-28, 59 to 03-31, 89
    # to 04-30, 120 to 05-31, 150 to 06-30, 181 to 07-31).
    assert [d for d, r in reports.items() if r.legal_opened] == [D(2026, 7, 31)]
    assert reports[D(2026, 7, 31)].lines() == [
        "cycle 2026-07-31",
        "legal recovery: project P1, overdue 1000.00",
    ]
    case = LegalCase.objects.get()
    assert (case.project, case.opened_on, case.reason, case.overdue, case.previous_status) == (
        project, D(2026, 7, 31), "overdue", Decimal("1000.00"), "active",
    )  # fmt: skip
    project.refresh_from_db()
    assert project.status == "legal"

    # Tasks until the project went to legal: January (drafted by the first run, 01-01) to
    # August (drafted 07-25); none for September (drafted 08-25) or October.
    assert task_months(project) == [f"2026-{m:02d}" for m in range(1, 9)]
    assert CollectionTask.objects.get(project=project, month=D(2026, 8, 1)).target == Decimal(
        "1000.00"
    )
    # P2: I2 (dated 09-01) is not yet invoiced on 08-25; on 09-25 it is, due 10-01 and
    # unpaid: an October task; on 10-25 it is paid: no November task.
    assert task_months(healthy) == ["2026-10"]

    # The whole overdue of C1, the legal project's included, reached zero on 09-15.
    assert SupplyHold.objects.get().released_on == D(2026, 9, 15)
    assert gate("C1", "--project", "P1", "--as-of", "2026-08-01") == (
        3,
        "blocked: customer C1 is on supply hold since 2026-04-17; "
        "project P1 is in legal recovery\n",
    )
    assert gate("C1", "--project", "P1", "--as-of", "2026-09-15") == (
        3,
        "blocked: project P1 is in legal recovery\n",
    )
    assert gate("C1", "--project", "P2", "--as-of", "2026-09-15") == (0, "allowed\n")
    with pytest.raises(ValidationError, match="Project P1 is with the legal office"):
        deliver(project, "T1", D(2026, 9, 20))
    assert deliver(healthy, "T2", D(2026, 9, 20))[1] is True


def test_a_manager_sends_a_project_to_legal_and_its_letters_and_tasks_stop(customer, people):
    plant = PlantFactory(code="PL01")
    project = ProjectFactory(code="P1", customer=customer, plant=plant, owner=people.sales1)
    sibling = ProjectFactory(code="P2", customer=customer, plant=plant, owner=people.sales1)
    post_invoice(project, "I1", D(2026, 1, 1), "1000.00")  # due 01-31
    # I2 dated 02-01, due 02-01 + 30 = 03-03.
    post_invoice(sibling, "I2", D(2026, 2, 1), "500.00")
    walk(D(2026, 2, 1), D(2026, 3, 10))
    assert letter_days(project) == [(1, D(2026, 3, 3))]  # 01-31 + 31

    with pytest.raises(PermissionDenied):
        services.project_send_to_legal(
            actor=people.sales1, project=project, note="no", on=D(2026, 3, 10)
        )
    with pytest.raises(ValidationError):
        services.project_send_to_legal(
            actor=people.manager1, project=project, note=" ", on=D(2026, 3, 10)
        )
    case = services.project_send_to_legal(
        actor=people.manager1, project=project, note="Disputes every delivery", on=D(2026, 3, 10)
    )
    assert (case.reason, case.opened_by, case.overdue) == (
        "manager", people.manager1, Decimal("1000.00"),
    )  # fmt: skip
    with pytest.raises(ValidationError, match="already with the legal office"):
        services.project_send_to_legal(
            actor=people.manager1, project=project, note="again", on=D(2026, 3, 11)
        )
    project.refresh_from_db()
    assert project.status == "legal"

    # To 08-30: P2's I2 (due 03-03) is more than 180 days past due on 03-03 + 181 = 08-31.
    reports = walk(D(2026, 3, 11), D(2026, 8, 30))

    # No letter 2 for P1 (it would have been 03-03 + 15 = 03-18), nor any later one; no
    # second legal case when I1 passes 180 days overdue (01-31 + 181 = 07-31).
    assert letter_days(project) == [(1, D(2026, 3, 3))]
    assert LegalCase.objects.count() == 1
    assert not any(r.legal_opened for r in reports.values())
    # P2 is not in legal: its letters go on. I2 due 03-03: letter 1 on 03-03 + 31 = 04-03
    # (28 days to 03-31, 3 more), then 04-18, 05-03; the hold 05-03 + 15 = 05-18 comes
    # from P2's third letter.
    assert letter_days(sibling) == [(1, D(2026, 4, 3)), (2, D(2026, 4, 18)), (3, D(2026, 5, 3))]
    hold = SupplyHold.objects.get()
    assert (hold.since, hold.trigger.project) == (D(2026, 5, 18), sibling)
    # Tasks: the first run (02-01) drafts February (P1: I1 due 01-31); 02-25 drafts March
    # (P1 1000, P2 500). From the 03-25 draft on, P1 is in legal: none; P2 every month
    # to September (drafted 08-25).
    assert task_months(project) == ["2026-02", "2026-03"]
    assert task_months(sibling) == [f"2026-{m:02d}" for m in range(3, 10)]
    with pytest.raises(ValidationError, match="legal office"):
        services.letter_send_now(actor=people.manager1, project=project, on=D(2026, 4, 1))
    with pytest.raises(ValidationError, match="Project P1 is with the legal office"):
        deliver(project, "T1", D(2026, 3, 12))

    assert gate("C1", "--project", "P1", "--as-of", "2026-03-12") == (
        3,
        "blocked: project P1 is in legal recovery\n",
    )
    assert gate("C1", "--as-of", "2026-03-12") == (0, "allowed\n")
