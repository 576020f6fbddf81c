"""The Today items compensation provides."""

import pytest

from salesdesk.compensation.services import advance_request, month_finalise
from salesdesk.compensation.today import today_items
from tests.compensation.helpers import D, invoice, pay, project_of

pytestmark = pytest.mark.django_db


def test_finance_sees_the_month_ready_to_finalise_after_it_ends(people):
    assert [i.key for i in today_items(people.finance, D(2026, 3, 5))] == [
        "commissions_to_finalise"
    ]
    assert "2026-02" in today_items(people.finance, D(2026, 3, 5))[0].text
    month_finalise(actor=people.finance, month=D(2026, 2, 1), today=D(2026, 3, 5))
    assert today_items(people.finance, D(2026, 3, 5)) == []  # March has not ended
    assert "2026-03" in today_items(people.finance, D(2026, 4, 1))[0].text
    assert today_items(people.sales1, D(2026, 4, 1)) == []


def test_a_salesperson_sees_the_last_payable_and_open_advances(people):
    project = project_of(people.sales1)
    invoice(project, "I1", D(2026, 1, 5), "100000.00", D(2026, 2, 4))
    pay(project, "P1", D(2026, 2, 10), "100000.00")
    month_finalise(actor=people.finance, month=D(2026, 2, 1), today=D(2026, 3, 5))
    advance_request(
        actor=people.sales1, project=project, amount="300", purpose="visits", today=D(2026, 3, 6)
    )
    items = {i.key: i for i in today_items(people.sales1, D(2026, 3, 6))}
    assert "payable 1750.00" in items["last_statement"].text
    assert "1, 300.00 in all" in items["open_advances"].text
