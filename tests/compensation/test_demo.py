"""The demo's compensation step on a small book: past months finalised in order, the
current one open, advances at every step of the workflow."""

import pytest

from salesdesk.compensation.models import Advance, MonthClose
from salesdesk.compensation.statements import month_statements
from salesdesk.demo.compensation import load_compensation
from salesdesk.ledger.models import Expense
from tests.compensation.helpers import D, invoice, pay, project_of

pytestmark = pytest.mark.django_db
AS_OF = D(2026, 6, 10)


@pytest.fixture
def book(people):
    for n, code in enumerate(("A1", "A2", "A3", "A4")):
        project = project_of(people.sales1, code=code)
        invoice(project, f"I{n}", D(2026, 1, 5), "100000.00", D(2026, 2, 4))
        pay(project, f"P{n}", D(2026, 3, 10), "100000.00")
    project.status, project.completed_on = "completed", D(2026, 4, 1)
    project.save()


def test_it_finalises_the_past_months_and_leaves_advances_at_every_step(people, book):
    counts = load_compensation(as_of=AS_OF, months=4)
    assert counts.finalised == [D(2026, 2, 1), D(2026, 3, 1), D(2026, 4, 1), D(2026, 5, 1)]
    assert month_statements(D(2026, 6, 1))[people.sales1.pk].status == "open"
    march = month_statements(D(2026, 3, 1))[people.sales1.pk]
    assert march.status == "finalised" and len(march.lines) == 4
    april = month_statements(D(2026, 4, 1))[people.sales1.pk]
    assert [line.kind for line in april.lines] == ["release"]
    assert sorted(Advance.objects.values_list("status", flat=True)) == [
        "approved", "asked", "paid", "written_off",
    ]  # fmt: skip
    assert Expense.objects.get().amount == Advance.objects.get(status="written_off").amount

    again = load_compensation(as_of=AS_OF, months=4)
    assert (again.finalised, again.advances) == ([], 0)
    assert MonthClose.objects.count() == 4 and Advance.objects.count() == 4
