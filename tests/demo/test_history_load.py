"""A small generated history loaded into the database: stored as generated, settled as
the payer profiles say, and loaded again without change."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db.models import Sum
from django.utils import timezone

from salesdesk.demo.generator import generate
from salesdesk.demo.history import generate_history
from salesdesk.demo.ledger_records import NEVER, STOPPED, ledger_projects
from salesdesk.demo.loader import (
    floor_prices_set,
    history_load,
    ledger_projects_stored,
    load,
    staff_ensure,
    stored_projects,
)
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
from salesdesk.ledger.reports import aging_report

# The module loads its data once: its tests share one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("history_load")

AS_OF = dt.date(2026, 6, 30)
SEED = 7


@pytest.fixture(scope="module")
def loaded(module_db):
    staff = staff_ensure(password="demo", update=False)
    customers = list(generate(seed=SEED, as_of=AS_OF, customers=60, projects=130))
    load(customers, staff=staff)
    projects = stored_projects([p.code for c in customers for p in c.projects])
    history = generate_history(
        seed=SEED, as_of=AS_OF, projects=ledger_projects_stored(projects.values())
    )
    floor_prices_set(history.floor_prices, staff=staff, missing_only=False)
    counts = history_load(history, staff=staff, projects=projects)
    return SimpleNamespace(
        customers=customers, history=history, counts=counts, staff=staff, projects=projects
    )


def ledger_counts():
    return [
        model.objects.count()
        for model in (Delivery, Invoice, Payment, Expense, PriceApproval, AssetOffset, FloorPrice)
    ]


def test_it_reads_stored_projects_as_the_generator_made_them(db, loaded):
    stored = ledger_projects_stored(loaded.projects.values())
    assert sorted(stored, key=lambda p: p.code) == ledger_projects(loaded.customers)


def test_it_stores_the_history_as_generated(db, loaded):
    h, counts = loaded.history, loaded.counts
    assert (counts.deliveries, counts.invoices, counts.payments, counts.expenses) == (
        len(h.deliveries), len(h.invoices), len(h.payments), len(h.expenses),
    )  # fmt: skip
    assert Invoice.objects.aggregate(total=Sum("amount"))["total"] == h.billed
    assert Payment.objects.aggregate(total=Sum("amount"))["total"] == h.collected
    assert FloorPrice.objects.filter(plant__isnull=True).count() == 6
    below = Delivery.objects.filter(floor_price__isnull=False)
    assert below.count() == h.below_floor
    assert all(delivery.below_floor for delivery in below)
    approvals = PriceApproval.objects.select_related("delivery", "approved_by")
    assert approvals.count() == len(h.approvals) == counts.approved
    generated = {a.ticket: a for a in h.approvals}
    for approval in approvals:
        wanted = generated[approval.delivery.ticket]
        assert approval.approved_by.username == wanted.approved_by
        assert timezone.localtime(approval.at).date() == wanted.on >= approval.delivery.date
    delivery = Delivery.objects.get(ticket=h.deliveries[0].ticket)
    assert delivery.posted_by.username == "supply" and delivery.plant.code == h.deliveries[0].plant


def test_it_runs_asset_offsets_through_their_workflow(db, loaded):
    offsets = {o.project.code: o for o in AssetOffset.objects.select_related("project", "payment")}
    assert len(offsets) == len(loaded.history.offsets) >= 2
    for data in loaded.history.offsets:
        offset = offsets[data.project]
        assert offset.status == data.status
        assert offset.steps.count() == {"applied": 1, "appraised": 2, "rejected": 2}.get(
            data.status, 3
        )
        assert timezone.localtime(offset.steps.first().at).date() == data.applied_on
        if data.status == "posted":
            assert offset.payment.method == "offset"
            assert offset.payment.date == data.closed_on
            assert offset.payment.amount == data.appraised_value


def test_it_leaves_projects_overdue_over_180_days_and_a_few_with_credit(db, loaded):
    h = loaded.history
    balances = project_balances(AS_OF)
    code_of = {p.pk: code for code, p in loaded.projects.items()}
    customer_of = {p.pk: p.customer.code for p in loaded.projects.values()}

    assert sum(b.billed for b in balances.values()) == h.billed
    assert sum(b.paid for b in balances.values()) == h.collected
    for balance in balances.values():
        settled = balance.billed - balance.outstanding
        assert Decimal(0) <= settled <= balance.billed
        assert settled <= balance.paid
    seriously = [pk for pk, b in balances.items() if (b.oldest_days_past_due or 0) > 180]
    assert seriously
    assert {h.profiles[customer_of[pk]] for pk in seriously} <= {STOPPED, NEVER}
    with_credit = sorted(code_of[pk] for pk, b in balances.items() if b.credit > 0)
    assert with_credit == h.overpaid
    overdue = sum(b.overdue for b in balances.values())
    outstanding = sum(b.outstanding for b in balances.values())
    assert 0 < overdue < outstanding < h.billed / 3


def test_it_shows_in_the_aging_report(db, loaded):
    report = aging_report(as_of=AS_OF)
    assert report.rows
    assert Decimal(report.totals["buckets"]["181-365"]) > 0
    assert Decimal(report.totals["credit"]) > 0


def test_it_changes_nothing_when_loaded_again(db, loaded):
    before = ledger_counts()

    counts = history_load(loaded.history, staff=loaded.staff, projects=loaded.projects)

    assert (counts.deliveries, counts.invoices, counts.payments, counts.expenses) == (0, 0, 0, 0)
    assert (counts.approved, counts.offsets) == (0, 0)
    assert ledger_counts() == before
