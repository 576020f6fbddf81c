"""`salesdesk demo` against the test database, loaded once for this module (it takes
seconds): every test here starts from the freshly loaded demo data set."""

from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F, Sum
from django.utils import timezone

from salesdesk.core.choices import Role
from salesdesk.core.models import Plant, User
from salesdesk.customers.models import Contact, Customer, Project
from salesdesk.ledger.allocation import project_balances
from salesdesk.ledger.models import (
    AssetOffset,
    Delivery,
    Expense,
    FloorPrice,
    Invoice,
    Payment,
    PriceApproval,
)


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(module_db) -> str:
    """The output of the first `salesdesk demo`."""
    return run("demo")


def snapshot():
    return (
        sorted(Customer.objects.values_list("code", "name", "credit_code", "owner__username")),
        sorted(Contact.objects.values_list("customer__code", "name", "role")),
        sorted(Project.objects.values_list("code", "customer__code", "owner__username")),
        sorted(User.objects.values_list("username", "name", "manager__username", "plant__code")),
        [
            (model.objects.count(), model.objects.aggregate(total=Sum("amount"))["total"])
            for model in (Delivery, Invoice, Payment, Expense)
        ],
        list(
            FloorPrice.objects.order_by("product", "plant__code", "effective_from").values_list(
                "product", "plant__code", "price", "effective_from"
            )
        ),
        PriceApproval.objects.count(),
        sorted(AssetOffset.objects.values_list("project__code", "status")),
    )


def test_it_loads_the_demo_data_set(db, demo):
    assert Customer.objects.count() == 300
    assert Project.objects.count() == 600
    assert 600 <= Contact.objects.count() <= 1500
    assert Plant.objects.count() == 3
    assert "http://127.0.0.1:8000" in demo and '"demo"' in demo and "sales6" in demo


def test_it_loads_two_years_of_ledger_history(db, demo):
    deliveries = Delivery.objects.count()
    assert 40_000 <= deliveries <= 100_000
    assert 0.005 * deliveries < Delivery.objects.filter(floor_price__isnull=False).count()
    assert Delivery.objects.filter(floor_price__isnull=False).count() < 0.03 * deliveries
    assert (
        0
        < PriceApproval.objects.count()
        < Delivery.objects.filter(floor_price__isnull=False).count()
    )
    assert 5_000 <= Invoice.objects.count() <= 10_000
    assert 4_000 <= Payment.objects.count() <= Invoice.objects.count()
    assert set(Payment.objects.values_list("method", flat=True)) == {"bank", "bill", "offset"}
    assert 500 <= Expense.objects.count() <= 1_200
    assert FloorPrice.objects.count() == 9
    assert {"posted", "appraised"} <= set(AssetOffset.objects.values_list("status", flat=True))
    oldest = Delivery.objects.order_by("date").first()
    today = timezone.localdate()
    assert (today - oldest.date).days > 700
    assert oldest.ticket == f"D{oldest.date.year}-000001"
    billed = Invoice.objects.aggregate(total=Sum("amount"))["total"]
    collected = Payment.objects.aggregate(total=Sum("amount"))["total"]
    assert Decimal("0.6") < collected / billed < Decimal("0.95")
    assert "months of ledger history" in demo
    assert f"{Delivery.objects.count():,} deliveries" in demo
    assert f"{Invoice.objects.count():,} monthly statements, billed {billed:,.2f}" in demo


def test_it_leaves_some_projects_seriously_overdue_and_a_few_in_credit(db, demo):
    balances = project_balances(timezone.localdate())
    oldest = Counter(
        "over 180" if (b.oldest_days_past_due or 0) > 180 else "other" for b in balances.values()
    )
    assert 5 <= oldest["over 180"] <= 40
    assert 2 <= sum(1 for b in balances.values() if b.credit > 0) <= 3
    assert all(b.billed - b.outstanding <= min(b.billed, b.paid) for b in balances.values())
    assert sum(b.paid for b in balances.values()) < sum(b.billed for b in balances.values())
    assert "stopped" in demo and "never" in demo


def test_it_creates_a_user_for_every_role_on_two_teams(db, demo):
    roles = {user.username: user.roles for user in User.objects.all()}
    assert set().union(*roles.values()) == set(Role.values)
    assert all(user.plant_id for user in User.objects.all())
    assert all(User.objects.get(username=name).check_password("demo") for name in roles)
    team = dict(
        User.objects.filter(manager__isnull=False).values_list("username", "manager__username")
    )
    assert team == {
        "sales1": "manager1", "sales2": "manager1", "sales3": "manager1",
        "sales4": "manager2", "sales5": "manager2", "sales6": "manager2",
    }  # fmt: skip


def test_it_stores_customers_as_the_archive_services_would(db, demo):
    customer = Customer.objects.get(code="C000001")
    assert customer.search_key and customer.tier == ""
    assert not Project.objects.exclude(owner=F("customer__owner")).exists()
    assert not Customer.objects.filter(status="blacklisted", projects__isnull=False).exists()


def test_it_leaves_the_same_data_on_a_second_run(db, demo):
    before = snapshot()

    output = run("demo")

    assert "already loaded" in output and "demo history skipped" in output
    assert snapshot() == before


def test_it_adds_synthetic_data_next_to_the_demo_without_clashes(db, demo):
    demo_snapshot = snapshot()
    deliveries = Delivery.objects.count()

    # The demo's own seed would redraw the demo's names and credit codes if it could.
    output = run(
        "synth", "--customers", "40", "--projects", "90", "--seed", "20260101",
        "--ledger-months", "2",
    )  # fmt: skip

    assert Customer.objects.count() == 340
    assert Project.objects.count() == 690
    assert Customer.objects.filter(code__startswith="S").count() == 40
    assert Project.objects.filter(code__startswith="SP").count() == 90
    names = list(Customer.objects.values_list("name", flat=True))
    assert len(set(names)) == len(names)
    credit_codes = list(Customer.objects.values_list("credit_code", flat=True))
    assert len(set(credit_codes)) == len(credit_codes)
    assert User.objects.count() == 13
    assert set(demo_snapshot[0]) <= set(snapshot()[0])
    assert "Added 40 customers" in output
    added = Delivery.objects.filter(project__code__startswith="SP")
    assert added.count() == Delivery.objects.count() - deliveries > 0
    assert not added.exclude(ticket__startswith="SD").exists()
    # The demo's floor prices stay as they were.
    assert snapshot()[5] == demo_snapshot[5]
