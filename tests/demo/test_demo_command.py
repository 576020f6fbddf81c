"""`salesdesk demo` against the test database, loaded once for this module (it takes
seconds): every test here starts from the freshly loaded demo data set."""

import datetime as dt
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F, Sum
from django.utils import timezone

from salesdesk.core.choices import Role
from salesdesk.core.models import AuditEntry, Plant, User
from salesdesk.customers.claims.access import can_decide
from salesdesk.customers.claims.selectors import ClaimState, claim_state
from salesdesk.customers.models import (
    ClaimDispute,
    Contact,
    Customer,
    CustomerTierChange,
    Project,
    ProspectClaim,
)
from salesdesk.demo.activity_loader import stored_accounts
from salesdesk.demo.claims import REGISTRATIONS
from salesdesk.demo.generator import DEMO_CUSTOMERS, DEMO_SEED
from salesdesk.demo.pipeline import generate_pipeline
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
from salesdesk.lib.dates import month_start
from salesdesk.pipeline.choices import CLOSED_STAGES, ContactLevel
from salesdesk.pipeline.models import FabLine, FabProduct, Opportunity, OpportunityTouch
from salesdesk.pipeline.selectors import Context, evaluated
from salesdesk.visits.models import Commitment, Visit
from salesdesk.visits.selectors import compliance

# The module loads its data once: its tests share one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("demo_command")


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
            FloorPrice.objects.order_by("product__name", "plant__code", "effective_from").values_list(
                "product__name", "plant__code", "price", "effective_from"
            )
        ),
        PriceApproval.objects.count(),
        sorted(AssetOffset.objects.values_list("project__code", "status")),
        sorted(Customer.objects.values_list("code", "tier", "status")),
        CustomerTierChange.objects.count(),
        sorted(FabLine.objects.values_list("product__name", "position", "feature")),
        sorted(ProspectClaim.objects.values_list("customer__code", "claimant__username",
                                                 "registered_on", "status")),
        sorted(ClaimDispute.objects.values_list("customer__code", "challenger__username",
                                                "status")),
        sorted(Opportunity.objects.values_list(
            "code", "customer__code", "owner__username", "stage", "value", "expected_close",
            "f1", "f2", "f3", "f4", "f5", "f6", "f7", "contact_level", "closed_on")),
        OpportunityTouch.objects.count(),
        sorted(Visit.objects.values_list(
            "customer__code", "salesperson__username", "date", "outcome", "manager_involved")),
        # Sorted by the database: open commitments have no done_on, which Python can't sort.
        list(Commitment.objects.order_by("visit__date", "what", "due", "done_on", "pk")
             .values_list("visit__date", "what", "due", "done_on")),
        AuditEntry.objects.count(),
    )  # fmt: skip


def test_it_loads_the_demo_data_set(db, demo):
    assert Customer.objects.count() == DEMO_CUSTOMERS + REGISTRATIONS
    assert Customer.objects.filter(code__lte="C000300").count() == 300
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
    assert customer.search_key
    assert not Project.objects.exclude(owner=F("customer__owner")).exists()
    assert not Customer.objects.filter(status="blacklisted", projects__isnull=False).exists()


def test_it_leaves_the_same_data_on_a_second_run(db, demo):
    before = snapshot()

    output = run("demo")

    assert "already loaded" in output and "demo history skipped" in output
    assert "tiering skipped" in output
    assert "skipped: FAB lines, registrations, opportunities, visits" in output
    assert snapshot() == before


def test_it_adds_synthetic_data_next_to_the_demo_without_clashes(db, demo):
    demo_snapshot = snapshot()
    deliveries = Delivery.objects.count()

    # The demo's own seed would redraw the demo's names and credit codes if it could.
    output = run(
        "synth", "--customers", "40", "--projects", "90", "--seed", "20260101",
        "--ledger-months", "2",
    )  # fmt: skip

    assert Customer.objects.count() == 340 + REGISTRATIONS
    assert Project.objects.count() == 690
    assert Customer.objects.filter(code__startswith="S").count() == 40
    assert Project.objects.filter(code__startswith="SP").count() == 90
    names = list(Customer.objects.values_list("name", flat=True))
    assert len(set(names)) == len(names)
    # Some prospects were registered without their credit code.
    credit_codes = list(
        Customer.objects.exclude(credit_code="").values_list("credit_code", flat=True)
    )
    assert len(set(credit_codes)) == len(credit_codes)
    assert User.objects.count() == 13
    assert set(demo_snapshot[0]) <= set(snapshot()[0])
    assert "Added 40 customers" in output
    added = Delivery.objects.filter(project__code__startswith="SP")
    assert added.count() == Delivery.objects.count() - deliveries > 0
    assert not added.exclude(ticket__startswith="SD").exists()
    # The demo's floor prices stay as they were.
    assert snapshot()[5] == demo_snapshot[5]


# The evaluation history -----------------------------------------------------------------


def test_it_tiers_the_active_customers_two_three_five(db, demo):
    tiers = Counter(Customer.objects.filter(status="active").values_list("tier", flat=True))
    active = sum(tiers.values())
    assert tiers["strategic"] == round(0.2 * active) and tiers["key"] == round(0.3 * active)
    assert not Customer.objects.exclude(status="active").exclude(tier="").exists()
    assert CustomerTierChange.objects.count() == active
    assert f"Tiered {active} active customers" in demo


def test_it_records_fab_lines_for_every_product(db, demo):
    products = {p.name: p.lines.count() for p in FabProduct.objects.all()}
    assert set(Delivery.objects.values_list("product__name", flat=True).distinct()) == set(products)
    assert all(3 <= lines <= 5 for lines in products.values())
    line = FabLine.objects.get(product__name="C25 商品混凝土", position=0)
    assert "聚羧酸" in line.feature and line.advantage and line.benefit


def test_it_loads_about_120_opportunities_over_every_stage(db, demo):
    stages = Counter(Opportunity.objects.values_list("stage", flat=True))
    assert sum(stages.values()) == 120
    assert set(stages) == {
        "lead",
        "qualified",
        "proposal",
        "negotiation",
        "won",
        "lost",
        "abandoned",
    }
    assert 15 <= stages["won"] <= 25 and stages["abandoned"] >= 5
    owners = set(Opportunity.objects.values_list("owner__username", flat=True))
    assert owners == {f"sales{n}" for n in range(1, 7)}
    assert not Opportunity.objects.exclude(customer__status__in=["active", "prospect"]).exists()
    assert not Opportunity.objects.exclude(owner=F("customer__owner")).exists()
    values = Opportunity.objects.values_list("value", flat=True)
    assert all(Decimal(200_000) <= value <= Decimal(8_000_000) for value in values)
    closed = Opportunity.objects.filter(stage__in=CLOSED_STAGES)
    assert not closed.filter(closed_reason="").exists()
    assert not closed.filter(closed_on__isnull=True).exists()
    assert Opportunity.objects.filter(spec_in_tender=True).exists()
    today = timezone.localdate()
    soon = Opportunity.objects.filter(expected_close__range=(today, today + dt.timedelta(days=90)))
    assert soon.exists() and Opportunity.objects.filter(expected_close__lt=today).exists()
    assert Opportunity.objects.filter(expected_close__gt=today + dt.timedelta(days=90)).exists()
    assert "120 opportunities" in demo


def test_it_scores_four_in_five_with_a_mix_of_classes(db, demo):
    context = Context.as_of(timezone.localdate())
    rows = list(evaluated(Opportunity.objects.all(), context).values_list(
        "stage", "pipeline_class", "risk_points", "scored_on"))  # fmt: skip
    complete = [row for row in rows if row[2] is not None]
    assert 0.75 <= len(complete) / len(rows) <= 0.9
    assert all(row[3] is not None for row in complete)
    open_classes = Counter(row[1] for row in complete if row[0] not in CLOSED_STAGES)
    assert all(open_classes[klass] >= 3 for klass in "ABCD")
    failing = [row for row in complete if row[1] is None]
    assert 15 <= len(failing) <= 35
    assert Opportunity.objects.exclude(need_evidence="").count() >= 90
    answered = Opportunity.objects.filter(is_real__isnull=False).count()
    assert answered >= 0.7 * len(rows)


def test_it_puts_about_ten_failed_ones_on_reduced_contact(db, demo):
    context = Context.as_of(timezone.localdate())
    reduced = list(
        evaluated(Opportunity.objects.filter(contact_level=ContactLevel.REDUCED), context)
    )
    assert len(reduced) == 10
    assert all(o.is_open and o.risk_points is not None and not o.risk_passed for o in reduced)
    due = [o for o in reduced if o.touch_due(context.touch_days, o.last_touch) <= context.date]
    assert 1 <= len(due) <= 6
    assert OpportunityTouch.objects.exists()
    assert not OpportunityTouch.objects.filter(date__gt=timezone.localdate()).exists()


def test_won_opportunities_came_mostly_by_referral_or_tender(db, demo):
    good = ("customer_referral", "friend_referral", "tender")
    won = Opportunity.objects.filter(stage="won")
    failed = Opportunity.objects.filter(stage__in=["lost", "abandoned"])
    won_share = won.filter(source__in=good).count() / won.count()
    failed_share = failed.filter(source__in=good).count() / failed.count()
    assert won_share > 0.5 and won_share > failed_share + 0.2


def test_it_stores_the_opportunities_as_generated(db, demo):
    generated = generate_pipeline(
        seed=DEMO_SEED, as_of=timezone.localdate(), customers=stored_accounts()
    )
    stored = {o.code: o for o in Opportunity.objects.select_related("customer")}
    assert len(generated) == len(stored)
    for data in generated:
        opportunity = stored[data.code]
        assert (opportunity.customer.code, opportunity.name, opportunity.stage) == (
            data.customer, data.name, data.stage,
        )  # fmt: skip
        assert {n: getattr(opportunity, f"f{n}") for n in data.factors} == data.factors
        assert timezone.localtime(opportunity.created_at).date() == data.created_at.date()
    entries = AuditEntry.objects.filter(object_type="pipeline.opportunity")
    assert entries.filter(actor__username__startswith="sales").count() == entries.count()
    first = Opportunity.objects.get(code="O000001")
    assert timezone.localtime(
        entries.filter(object_id=str(first.pk)).order_by("at").first().at
    ) == (timezone.localtime(first.created_at))


def test_it_logs_six_months_of_visits_by_every_salesperson(db, demo):
    today = timezone.localdate()
    visits = Visit.objects.all()
    assert 1000 <= visits.count() <= 2000
    assert set(visits.values_list("salesperson__username", flat=True)) == {
        f"sales{n}" for n in range(1, 7)
    }
    assert not visits.filter(date__gt=today).exists()
    assert not visits.exclude(salesperson=F("customer__owner")).exists()
    outcomes = Counter(visits.values_list("outcome", flat=True))
    big = Counter(visits.filter(customer__tier="strategic").values_list("outcome", flat=True))
    assert (big["order"] + big["no_sale"]) / sum(big.values()) < 0.1
    assert outcomes["advance"] == Commitment.objects.count()
    assert outcomes["continuation"] > outcomes["order"] + outcomes["no_sale"]
    assert not Visit.contacts.through.objects.exclude(
        contact__customer_id=F("visit__customer_id")).exists()  # fmt: skip
    strategic = visits.filter(customer__tier="strategic", customer__status="active")
    assert strategic.filter(satisfaction__isnull=False).count() > 0.8 * strategic.count()
    assert 0 < strategic.filter(manager_involved=True).count() < strategic.count()
    assert (
        not visits.exclude(customer__tier="strategic").filter(satisfaction__isnull=False).exists()
    )


def test_it_tracks_commitments_mostly_kept_some_open_a_few_overdue(db, demo):
    today = timezone.localdate()
    commitments = Commitment.objects.all()
    done = commitments.filter(done_on__isnull=False)
    overdue = commitments.filter(done_on__isnull=True, due__lt=today)
    open_ = commitments.filter(done_on__isnull=True, due__gte=today)
    assert done.count() > 0.8 * commitments.count()
    assert 3 <= overdue.count() <= 40 and open_.exists()
    assert not done.filter(done_on__lt=F("visit__date")).exists()
    assert not done.filter(done_on__gt=today).exists()
    assert not done.exclude(done_by=F("visit__salesperson")).exists()
    assert AuditEntry.objects.filter(action="commitment_done").count() == done.count()


def test_visit_compliance_is_imperfect_but_far_from_zero(db, demo):
    today = timezone.localdate()
    admin = User.objects.get(username="admin")
    for months_back in (1, 2, 3):
        report = compliance(admin, month_start(today, -months_back), today=today)
        assert report.due > 50
        assert Decimal("0.5") <= report.ratio <= Decimal("0.95")
        ratios = [row.ratio for row in report.rows]
        assert min(ratios) < 1
    assert "visit compliance in" in demo


def test_it_registers_prospects_with_a_few_expiring(db, demo):
    today = timezone.localdate()
    claims = ProspectClaim.objects.select_related("customer", "claimant")
    states = Counter(claim_state(claim, today) for claim in claims)
    assert claims.values("customer").distinct().count() == REGISTRATIONS
    assert states[ClaimState.PROTECTED] >= 10
    assert 2 <= states[ClaimState.EXPIRING] <= 5
    assert states[ClaimState.EXPIRED] == 2 and states[ClaimState.ENDED] == 2
    assert {c.claimant.username for c in claims} == {f"sales{n}" for n in range(1, 7)}
    assert all(c.customer.status == "prospect" for c in claims)
    assert all(c.customer.owner_id == c.claimant_id for c in claims if c.status == "active")
    assert Contact.objects.filter(customer__claims__isnull=False).exists()


def test_it_leaves_one_dispute_open_for_a_manager_and_two_decided(db, demo):
    disputes = {d.status: d for d in ClaimDispute.objects.select_related("challenger", "owner")}
    assert set(disputes) == {"open", "kept", "reassigned"}
    managers = User.objects.filter(role_set__role="manager")
    assert any(can_decide(manager, disputes["open"]) for manager in managers)
    assert disputes["kept"].decided_by.has_role("manager")
    assert disputes["kept"].customer.status == "active"
    moved = disputes["reassigned"]
    assert moved.customer.owner_id == moved.challenger_id
    assert all(d.decided_at for d in (disputes["kept"], moved))


def test_it_loads_only_the_parts_whose_tables_are_empty(db, demo):
    visits = sorted(Visit.objects.values_list("customer__code", "date", "outcome"))
    opportunities = Opportunity.objects.count()
    Visit.objects.all().delete()

    output = run("demo")

    assert "skipped: FAB lines, registrations, opportunities." in output
    assert "visits since" in output
    assert sorted(Visit.objects.values_list("customer__code", "date", "outcome")) == visits
    assert Opportunity.objects.count() == opportunities
