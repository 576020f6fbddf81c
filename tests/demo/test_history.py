"""The ledger history generator on its own: deterministic and plausible, without a database.

A small generated set (60 customers, 130 projects) is enough for most checks; the demo
set's own figures are checked once, by the command against the database."""

import datetime as dt
import random
import re
from collections import Counter, defaultdict
from decimal import Decimal
from functools import cache

from salesdesk.customers.choices import ProjectStatus
from salesdesk.demo.generator import USERS, Numbering, demo_customers, generate
from salesdesk.demo.history import generate_history
from salesdesk.demo.ledger_records import (
    CEMENT,
    NEVER,
    PRODUCTS,
    PROMPT,
    STOPPED,
    Keys,
    floor_of,
    history_start,
    ledger_projects,
)
from salesdesk.lib.dates import month_end

AS_OF = dt.date(2026, 6, 30)
MANAGERS = {user.username for user in USERS if user.role == "manager"}


def customers(seed=7):
    return list(generate(seed=seed, as_of=AS_OF, customers=60, projects=130))


def history(seed=7, as_of=AS_OF, **kwargs):
    projects = ledger_projects(generate(seed=seed, as_of=as_of, customers=60, projects=130))
    return generate_history(seed=seed, as_of=as_of, projects=projects, **kwargs)


@cache
def small():
    """One small history shared by the read-only checks below."""
    return history()


@cache
def projects():
    return {p.code: p for p in ledger_projects(customers())}


def by_project(records):
    grouped = defaultdict(list)
    for record in records:
        grouped[record.project].append(record)
    return grouped


def test_it_gives_the_same_history_for_the_same_seed_and_date():
    assert history() == small()


def test_it_gives_another_history_for_another_seed():
    assert history(seed=8).payments != small().payments


def test_it_does_not_depend_on_the_global_random_state_or_the_project_order():
    random.seed(1)
    projects_ = ledger_projects(customers())
    first = generate_history(seed=7, as_of=AS_OF, projects=projects_)
    random.seed(2)
    assert generate_history(seed=7, as_of=AS_OF, projects=reversed(projects_)) == first


def test_it_leaves_the_demo_customers_as_they_were():
    # The history draws from a stream of its own: the demo's names and codes stay put.
    first = next(demo_customers(AS_OF))
    assert (first.code, first.name, first.owner) == (
        "C000001",
        "北京亿坤建工股份有限公司",
        "sales1",
    )


def test_it_covers_the_24_months_up_to_the_as_of_date():
    h = small()
    assert h.start == history_start(AS_OF) == dt.date(2024, 7, 1)
    dates = [r.date for r in (*h.deliveries, *h.invoices, *h.payments, *h.expenses)]
    assert min(dates) >= h.start
    assert max(dates) <= AS_OF
    assert {d.date.strftime("%Y-%m") for d in h.deliveries} >= {"2024-07", "2026-06"}
    assert {f.effective_from for f in h.floor_prices} == {h.start}


def test_it_delivers_on_working_days_within_the_projects_active_time():
    for code, deliveries in by_project(small().deliveries).items():
        project = projects()[code]
        for delivery in deliveries:
            assert delivery.date.weekday() < 5
            assert delivery.plant == project.plant
            assert project.started_on <= delivery.date
            if project.status == ProjectStatus.COMPLETED:
                assert delivery.date <= project.completed_on
        per_month = Counter(d.date.replace(day=1) for d in deliveries)
        assert max(per_month.values()) <= 22


def test_it_numbers_deliveries_per_year_in_date_order():
    deliveries = small().deliveries
    tickets = [d.ticket for d in deliveries]
    assert len(set(tickets)) == len(tickets)
    assert tickets[0] == "D2024-000001"
    assert all(re.fullmatch(r"D20\d\d-\d{6}", ticket) for ticket in tickets)
    assert [d.date for d in deliveries] == sorted(d.date for d in deliveries)
    first_of_2025 = next(d for d in deliveries if d.date.year == 2025)
    assert first_of_2025.ticket == "D2025-000001"


def test_it_sells_concrete_mortar_and_cement_at_plausible_prices_and_quantities():
    deliveries = small().deliveries
    assert {d.product for d in deliveries} >= {"C25 商品混凝土", "C30 商品混凝土", "C35 商品混凝土",
                                               "C40 商品混凝土", "M10 预拌砂浆", "P.O 42.5 水泥"}  # fmt: skip
    for d in deliveries:
        assert d.amount == (d.quantity * d.unit_price).quantize(Decimal("0.01"))
        if d.product == CEMENT.name:
            assert d.unit == "t" and 8 <= d.quantity <= 60
        else:
            assert d.unit == "m3" and 8 <= d.quantity <= 300
        if d.product.startswith("C") and d.floor_price is None:
            assert 375 <= d.unit_price <= 525


def test_it_sells_one_or_two_percent_below_floor_most_older_ones_approved():
    h = small()
    below = {d.ticket: d for d in h.deliveries if d.floor_price is not None}
    assert 0.005 * len(h.deliveries) < len(below) < 0.03 * len(h.deliveries)
    products = {product.name: product for product in PRODUCTS}
    for d in below.values():
        assert d.unit_price < d.floor_price == floor_of(products[d.product], d.plant)
    approved = {a.ticket: a for a in h.approvals}
    assert set(approved) < set(below)
    assert 0.5 * len(below) < len(approved)
    for ticket, approval in approved.items():
        assert approval.approved_by in MANAGERS
        assert re.search(r"[\u4e00-\u9fff]", approval.reason)
        assert below[ticket].date <= approval.on <= AS_OF


def test_it_bills_each_month_of_deliveries_on_a_statement_at_the_month_end():
    h = small()
    totals = defaultdict(Decimal)
    for d in h.deliveries:
        if month_end(d.date) <= AS_OF:
            totals[(d.project, month_end(d.date))] += d.amount
    assert {(i.project, i.date): i.amount for i in h.invoices} == totals
    for invoice in h.invoices:
        terms = projects()[invoice.project].payment_terms_days
        assert invoice.due_date == invoice.date + dt.timedelta(days=terms)
        assert invoice.number == f"INV-{invoice.date:%Y-%m}-{invoice.project}"


def test_it_keys_payments_and_expenses_per_day():
    h = small()
    references = [p.reference for p in h.payments] + [e.reference for e in h.expenses]
    assert len(set(references)) == len(references)
    for p in h.payments:
        prefix = "HP" if p.method == "bill" else "BK"
        assert re.fullmatch(rf"{prefix}{p.date:%Y%m%d}-\d{{4}}", p.reference)
    assert all(re.fullmatch(rf"EX{e.date:%Y%m%d}-\d{{4}}", e.reference) for e in h.expenses)
    methods = Counter(p.method for p in h.payments)
    assert methods["bank"] > 2 * methods["bill"] > 0


def test_it_keys_records_from_numberings_for_synth():
    keys = Keys(
        tickets=Numbering("SD", 41, 9),
        payments=Numbering("SBK", 1, 9),
        expenses=Numbering("SEX", 7, 9),
    )
    h = history(keys=keys, months=3)
    assert h.deliveries[0].ticket == "SD000000041"
    assert h.payments[0].reference == "SBK000000001"
    assert h.expenses[0].reference == "SEX000000007"
    assert h.start == dt.date(2026, 4, 1)


def test_it_mixes_payer_profiles_with_a_few_who_stopped_or_never_paid():
    h = small()
    profiles = Counter(h.profiles.values())
    assert profiles[PROMPT] > 10 and profiles["late"] > 10
    assert 1 <= profiles[STOPPED] + profiles[NEVER] <= 4
    payments = by_project(h.payments)
    owing = {c for c, profile in h.profiles.items() if profile in (STOPPED, NEVER)}
    for code, project in projects().items():
        if project.customer in owing:
            last = max((p.date for p in payments[code]), default=None)
            # Nothing paid in the last six months at least.
            assert last is None or last <= AS_OF - dt.timedelta(days=183)


def test_it_collects_most_completed_projects_in_full():
    h = small()
    billed, paid = Counter(), Counter()
    for invoice in h.invoices:
        billed[invoice.project] += invoice.amount
    for payment in h.payments:
        paid[payment.project] += payment.amount
    for offset in h.offsets:
        if offset.status == "posted":
            paid[offset.project] += offset.appraised_value
    done = [
        code for code, p in projects().items()
        if p.status == ProjectStatus.COMPLETED and billed[code]
        and p.completed_on <= AS_OF - dt.timedelta(days=300)
        and h.profiles[p.customer] not in (STOPPED, NEVER)
    ]  # fmt: skip
    assert done
    assert sum(1 for code in done if paid[code] >= billed[code]) >= 0.9 * len(done)
    assert sum(paid.values()) < sum(billed.values())
    # A few completed projects paid slightly more than billed: unapplied credit.
    assert 2 <= len(h.overpaid) <= 3
    assert all(0 < paid[code] - billed[code] <= 10_000 for code in h.overpaid)
    assert {code for code in billed if paid[code] > billed[code]} == set(h.overpaid)


def test_it_claims_expenses_per_salesperson_and_month_mostly_on_their_projects():
    h = small()
    per_month = Counter((e.salesperson, e.date.replace(day=1)) for e in h.expenses)
    assert set(per_month.values()) <= set(range(2, 9))
    assert {e.category for e in h.expenses} >= {"招待费", "差旅费", "交通费"}
    assert all(200 <= e.amount <= 5000 for e in h.expenses)
    with_project = [e for e in h.expenses if e.project]
    assert len(with_project) > 0.7 * len(h.expenses)
    assert all(projects()[e.project].owner == e.salesperson for e in with_project)


def test_it_plans_asset_offsets_in_several_states():
    offsets = small().offsets
    assert {o.status for o in offsets} >= {"posted", "appraised"}
    for offset in offsets:
        assert offset.claimed_value > 0 and offset.items
        assert offset.applicant == projects()[offset.project].owner
        if offset.appraised_value is not None:
            assert offset.applied_on < offset.appraised_on <= AS_OF
            assert offset.appraised_value <= offset.claimed_value
