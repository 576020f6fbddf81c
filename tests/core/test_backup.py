"""`salesdesk backup` and `salesdesk restore`: the drill (books posted through the services,
backed up, posted to again, restored: the books are the backup's again) and the refusals.

The drill runs against the real test database, not inside a test transaction: a restore
replaces tables (PostgreSQL) or pages (SQLite) that a transaction could not roll back."""

import datetime as dt
import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.db.models import Sum

from salesdesk.core.backup import BackupError, _pg_run
from salesdesk.core.models import AuditEntry, User
from salesdesk.customers.models import Customer
from salesdesk.ledger import services
from salesdesk.ledger.allocation import invoice_balances, project_balances
from salesdesk.ledger.models import Delivery, Invoice, Payment, PaymentReversal
from tests.clock import TODAY
from tests.factories import CustomerFactory, PlantFactory, ProductFactory, ProjectFactory

D = dt.date

drill = pytest.mark.django_db(transaction=True)


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def post_books(people):
    """Two customers of two salespeople, a season of deliveries, invoices and payments,
    one payment reversed: every posting audited."""
    plant = PlantFactory(code="P1")
    ProductFactory(code="C30")
    finance = people.finance
    projects = [
        ProjectFactory(customer=CustomerFactory(owner=owner), plant=plant)
        for owner in (people.sales1, people.sales3)
    ]
    for n, project in enumerate(projects):
        for month in (8, 9, 10):
            ticket = f"T{n}-{month}"
            services.delivery_post(
                actor=finance, ticket=ticket, project=project, date=D(2026, month, 5),
                product="C30", quantity="12.5", unit_price="400.00",
            )  # fmt: skip
            services.invoice_post(
                actor=finance, number=f"I{n}-{month}", project=project,
                date=D(2026, month, 28), amount="5000.00",
            )  # fmt: skip
        services.payment_post(
            actor=finance, reference=f"P{n}-1", project=project, date=D(2026, 10, 10),
            amount="6000.00",
        )  # fmt: skip
    wrong, _ = services.payment_post(
        actor=finance, reference="P-WRONG", project=projects[0], date=D(2026, 11, 2),
        amount="700.00",
    )  # fmt: skip
    services.record_reverse(actor=finance, record=wrong, date=D(2026, 11, 3), reason="bounced")
    return projects


def books() -> dict:
    """Everything the drill compares: ledger totals, aging, allocation and audit trail."""
    totals = {
        model.__name__: (model.objects.count(), model.objects.aggregate(total=Sum("amount")))
        for model in (Delivery, Invoice, Payment)
    }
    aging = {
        balance.project_id: (
            (balance.billed, balance.paid, balance.outstanding, balance.overdue),
            (balance.credit, dict(balance.buckets), balance.oldest_days_past_due),
        )
        for balance in project_balances(TODAY).values()
    }
    allocation = sorted(
        (row.number, row.settled, row.unsettled, row.days_past_due)
        for row in invoice_balances(TODAY)
    )
    audit = list(
        AuditEntry.objects.order_by("id").values_list(
            "id", "at", "actor_id", "action", "object_type", "object_id", "changes", "reason"
        )
    )
    return {
        "totals": totals,
        "reversals": PaymentReversal.objects.count(),
        "aging": aging,
        "allocation": allocation,
        "audit": audit,
        "customers": sorted(Customer.objects.values_list("code", flat=True)),
    }


@drill
def test_it_restores_the_books_as_they_were_at_the_backup(people, tmp_path):
    projects = post_books(people)
    before = books()
    assert before["totals"]["Payment"][0] == 3 and before["reversals"] == 1
    assert len(before["audit"]) >= 15
    backup_file = tmp_path / "salesdesk.backup"

    assert "backed up to" in run("backup", str(backup_file))
    assert backup_file.stat().st_mode & 0o077 == 0  # password hashes: the owner's eyes only

    finance = people.finance
    services.payment_post(
        actor=finance, reference="LATE-1", project=projects[1], date=D(2026, 12, 1),
        amount="2500.00",
    )  # fmt: skip
    services.invoice_post(
        actor=finance, number="LATE-I", project=projects[0], date=D(2026, 11, 30),
        amount="999.00",
    )  # fmt: skip
    first_payment = Payment.objects.get(reference="P0-1")
    services.record_reverse(actor=finance, record=first_payment, date=D(2026, 12, 2), reason="x")
    CustomerFactory(code="LATE-C", owner=people.sales1)
    assert books() != before

    assert "restored from" in run("restore", str(backup_file), "--yes")

    assert books() == before
    assert not Payment.objects.filter(reference="LATE-1").exists()
    assert not Invoice.objects.filter(number="LATE-I").exists()
    assert not Customer.objects.filter(code="LATE-C").exists()
    assert not PaymentReversal.objects.filter(payment__reference="P0-1").exists()
    # The restored database takes new postings as usual.
    services.payment_post(
        actor=User.objects.get(username="finance"), reference="AFTER", project=projects[0],
        date=D(2026, 12, 3), amount="10.00",
    )  # fmt: skip
    assert Payment.objects.filter(reference="AFTER").count() == 1


@drill
def test_it_asks_before_restoring_and_changes_nothing_on_no(people, tmp_path, monkeypatch):
    backup_file = tmp_path / "salesdesk.backup"
    run("backup", str(backup_file))
    CustomerFactory(code="KEEP-ME", owner=people.sales1)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")

    with pytest.raises(CommandError, match="cancelled"):
        run("restore", str(backup_file))

    assert Customer.objects.filter(code="KEEP-ME").exists()


def test_it_refuses_a_missing_backup_file(db, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run("restore", str(tmp_path / "nowhere.backup"), "--yes")


@drill
def test_it_refuses_a_file_that_is_no_backup_and_changes_nothing(people, tmp_path):
    garbage = tmp_path / "garbage.backup"
    garbage.write_bytes(b"this is not a database\n" * 100)

    with pytest.raises(CommandError, match="Nothing was changed"):
        run("restore", str(garbage), "--no-input")

    assert User.objects.filter(username="sales1").exists()


@drill
def test_it_refuses_a_truncated_backup_and_changes_nothing(people, tmp_path):
    post_books(people)
    before = books()
    backup_file = tmp_path / "salesdesk.backup"
    run("backup", str(backup_file))
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(backup_file.read_bytes()[: backup_file.stat().st_size // 3])

    with pytest.raises(CommandError, match="Nothing was changed"):
        run("restore", str(truncated), "--yes")

    assert books() == before


def test_it_refuses_to_back_up_into_a_missing_directory(db, tmp_path):
    with pytest.raises(CommandError, match="no such directory"):
        run("backup", str(tmp_path / "missing" / "salesdesk.backup"))
    assert not (tmp_path / "missing").exists()


def test_it_hands_pg_dump_the_database_of_the_settings_and_the_password_by_environment(
    tmp_path, monkeypatch
):
    """The command line pg_dump gets, seen by a stand-in program: the password is never an
    argument (other users of the machine can read those)."""
    seen = tmp_path / "seen"
    fake = tmp_path / "bin" / "pg_dump"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$PGPASSWORD" "$@" > {seen}\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent), prepend=os.pathsep)
    database = {"NAME": "books", "USER": "clerk", "PASSWORD": "s3cret", "HOST": "db", "PORT": 5433}
    for key, value in database.items():
        monkeypatch.setitem(connections["default"].settings_dict, key, value)

    _pg_run("pg_dump", ["--format=custom", f"--file={tmp_path / 'out'}"], "default")

    assert seen.read_text().split() == [
        "s3cret", "--host=db", "--port=5433", "--username=clerk", "--dbname=books",
        "--format=custom", f"--file={tmp_path / 'out'}",
    ]  # fmt: skip


def test_it_says_which_package_brings_pg_dump_when_it_is_missing(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")

    with pytest.raises(BackupError, match="postgresql-client"):
        _pg_run("pg_dump", [], "default")
