"""A small book of projects, invoices and payments, and the API calls shared by the
collections tests."""

import datetime as dt
from types import SimpleNamespace

from salesdesk.collections.cycle import cycle_run
from tests.factories import CustomerFactory, ProjectFactory


def make_book(people) -> SimpleNamespace:
    """C1/P1 (sales1) and C2/P2 (sales2), team A under manager1; C3/P3 (sales3), team B
    under manager2. Shared by the test_api_*.py modules."""
    c1 = CustomerFactory(code="C1", owner=people.sales1)
    c2 = CustomerFactory(code="C2", owner=people.sales2)
    c3 = CustomerFactory(code="C3", owner=people.sales3)
    return SimpleNamespace(
        c1=c1,
        c2=c2,
        c3=c3,
        p1=ProjectFactory(code="P1", customer=c1, payment_terms_days=30),
        p2=ProjectFactory(code="P2", customer=c2, payment_terms_days=30),
        p3=ProjectFactory(code="P3", customer=c3, payment_terms_days=30),
    )


def post(api, path, body=None):
    return api.post(f"/api/v1/{path}", body or {}, content_type="application/json")


def get(api, path):
    return api.get(f"/api/v1/{path}")


def sign(api, as_role, ids=None, month="2026-04"):
    body = {"month": month, "as_role": as_role}
    if ids is not None:
        body["ids"] = ids
    return post(api, "collection-tasks/sign", body)


def walk(first: dt.date, last: dt.date, events: dict | None = None) -> dict:
    """Run the cycle every day from `first` to `last`; `events[day]` run before its cycle."""
    reports = {}
    day = first
    while day <= last:
        for event in (events or {}).get(day, ()):
            event()
        reports[day] = cycle_run(as_of=day)
        day += dt.timedelta(days=1)
    return reports
