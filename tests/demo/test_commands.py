"""`salesdesk demo` and `salesdesk synth` against the test database, where each test wants
its own start (test_demo_command.py has those that start from the loaded demo)."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from salesdesk.core.models import User
from salesdesk.customers.models import Contact, Customer, Project
from salesdesk.demo.generator import demo_customers
from salesdesk.demo.loader import load, staff_ensure
from salesdesk.ledger.models import Delivery, Expense, FloorPrice, Invoice, Payment
from tests.factories import CustomerFactory


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_it_leaves_an_archive_with_real_customers_alone(db):
    CustomerFactory(code="C000001", name="中建三局集团有限公司")

    output = run("demo")

    assert Customer.objects.count() == 1
    assert "only loaded into an empty archive" in output


def test_it_refuses_demo_data_in_production(db, settings):
    settings.DEMO_LOGIN_ALLOWED = False

    with pytest.raises(CommandError, match="production"):
        run("demo")
    assert not User.objects.exists()


def test_it_refuses_synthetic_data_in_production(db, settings):
    settings.DEMO_LOGIN_ALLOWED = False

    with pytest.raises(CommandError, match="production"):
        run("synth", "--customers", "5")
    assert not User.objects.exists()


def test_it_continues_numbering_on_a_second_synth(db):
    run("synth", "--customers", "3", "--projects", "4")
    run("synth", "--customers", "3", "--projects", "4")

    assert sorted(Customer.objects.values_list("code", flat=True)) == [
        f"S{n:07d}" for n in range(1, 7)
    ]
    assert Project.objects.filter(code="SP0000008").exists()


def test_it_creates_the_demo_staff_for_synth_and_reuses_existing_users(db):
    User.objects.create(username="sales1", name="Existing Name")

    run(
        "synth",
        "--customers",
        "12",
        "--projects-per-customer",
        "2.5",
        "--contacts-per-customer",
        "2",
    )

    assert User.objects.get(username="sales1").name == "Existing Name"
    assert User.objects.filter(username="manager2", role_set__role="manager").exists()
    assert Customer.objects.count() == 12
    assert Project.objects.count() == 30
    assert Contact.objects.count() == 24


def test_it_adds_no_ledger_history_to_synthetic_data_unless_asked(db):
    run("synth", "--customers", "10", "--projects", "20")

    assert not Delivery.objects.exists() and not Invoice.objects.exists()
    assert not FloorPrice.objects.exists()


def test_it_adds_ledger_history_to_synthetic_data_and_continues_its_keys(db):
    # Six months: whatever the day, statements of five whole months exist, and the
    # oldest are past their terms (90 days at most), so some have been paid.
    output = run("synth", "--customers", "10", "--projects", "20", "--ledger-months", "6")
    first = (Delivery.objects.count(), Payment.objects.count(), Expense.objects.count())
    run("synth", "--customers", "10", "--projects", "20", "--ledger-months", "6")

    assert Delivery.objects.count() > first[0] > 0
    assert Invoice.objects.filter(number__regex=r"^INV-[0-9]{4}-[0-9]{2}-SP[0-9]{7}$").count() == (
        Invoice.objects.count()
    )
    tickets = sorted(Delivery.objects.values_list("ticket", flat=True))
    assert tickets == [f"SD{n:09d}" for n in range(1, len(tickets) + 1)]
    assert Payment.objects.count() > first[1]
    assert Expense.objects.filter(reference=f"SEX{first[2] + 1:09d}").exists()
    assert FloorPrice.objects.count() == 9
    assert "Ledger history of 6 months" in output
    assert not (timezone.localdate() - Delivery.objects.order_by("date").first().date).days > 184


def test_it_generates_synthetic_data_as_of_a_past_date(db):
    output = run("synth", "--customers", "4", "--projects", "8", "--ledger-months", "2",
                 "--as-of", "2025-02-28")  # fmt: skip

    assert "Ledger history of 2 months" in output
    dates = Delivery.objects.order_by("date").values_list("date", flat=True)
    assert dates and dates.first() >= dt.date(2025, 1, 1) and dates.last() <= dt.date(2025, 2, 28)


@pytest.mark.parametrize("as_of", ["2150-01-01", "2999-01-01", "0001-01-01", "2025-02-30"])
def test_it_refuses_an_as_of_date_in_the_future_or_out_of_range(db, as_of):
    for command in ("synth", "demo"):
        args = ("--customers", "1") if command == "synth" else ()
        with pytest.raises(CommandError, match=as_of):
            run(command, *args, "--as-of", as_of)
    assert not Customer.objects.exists()


def test_it_leaves_the_ledger_of_another_archive_alone(db):
    run("synth", "--customers", "2", "--projects", "2", "--ledger-months", "1")
    deliveries = Delivery.objects.count()

    output = run("demo")

    assert Customer.objects.count() == 2
    assert "only loaded into an empty archive" in output
    assert Delivery.objects.count() == deliveries


def test_it_adds_no_demo_history_to_a_ledger_with_records(db):
    with transaction.atomic():
        staff = staff_ensure(password="demo", update=True)
        load(demo_customers(as_of=timezone.localdate()), staff=staff)
    Expense.objects.create(
        reference="EX-REAL", salesperson=staff.users["sales1"], date=timezone.localdate(),
        amount=100,
    )  # fmt: skip

    output = run("demo")

    assert "already loaded" in output and "demo history skipped" in output
    assert Expense.objects.count() == 1 and not Delivery.objects.exists()
