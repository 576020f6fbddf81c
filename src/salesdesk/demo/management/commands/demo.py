import argparse
import datetime as dt
import time
from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from salesdesk.core.policy import policy_as_of
from salesdesk.customers.choices import Tier
from salesdesk.customers.claims.selectors import EXPIRING_SOON_DAYS, ClaimState, claim_state
from salesdesk.customers.models import ClaimDispute, Customer, ProspectClaim
from salesdesk.demo.accounts import FAB
from salesdesk.demo.activity_loader import (
    claims_are_empty,
    claims_load,
    fab_load,
    pipeline_load,
    stored_accounts,
    tiering_ensure,
    visit_rules,
    visits_load,
)
from salesdesk.demo.claims import generate_claims
from salesdesk.demo.compensation import load_compensation
from salesdesk.demo.generator import (
    DEMO_CUSTOMERS,
    DEMO_PROJECTS,
    DEMO_SEED,
    USERS,
    Numbering,
    demo_customers,
)
from salesdesk.demo.history import generate_history
from salesdesk.demo.ledger_records import HISTORY_MONTHS, PROFILES
from salesdesk.demo.loader import (
    HistoryCounts,
    Staff,
    floor_prices_set,
    ledger_is_empty,
    ledger_projects_stored,
    load,
    staff_ensure,
    stored_projects,
)
from salesdesk.demo.pipeline import generate_pipeline
from salesdesk.demo.replay import (
    GO_LIVE_MONTHS,
    ReplayCounts,
    collections_replay,
    history_load_with_holds,
)
from salesdesk.demo.visits import VISIT_MONTHS, generate_visits
from salesdesk.lib.dates import date_in_range, month_start
from salesdesk.pipeline.choices import CLOSED_STAGES, ContactLevel, Stage
from salesdesk.pipeline.models import FabLine, FabProduct, Opportunity
from salesdesk.pipeline.selectors import Context, evaluated
from salesdesk.visits.choices import Outcome
from salesdesk.visits.models import Commitment, Visit
from salesdesk.visits.selectors import compliance

URL = "http://127.0.0.1:8000"


class Command(BaseCommand):
    help = (
        f"Load the demo data set ({DEMO_CUSTOMERS} customers, {DEMO_PROJECTS} projects, "
        f"3 plants, a user for every role, {HISTORY_MONTHS} months of deliveries, "
        "statements, payments and expenses up to today, customer tiers, FAB lines, "
        f"prospect registrations, opportunities and {VISIT_MONTHS} months of visits, and "
        f"the collections cycle run every day of the last {GO_LIVE_MONTHS} months: letters, "
        "holds, legal cases, signed and assessed tasks). Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of", type=past_date, help="the demo's today, YYYY-MM-DD (default today)"
        )

    def handle(self, *args, as_of, **options):
        # The demo users share a published password: never in production.
        if not settings.DEMO_LOGIN_ALLOWED:
            raise CommandError("Demo data is not allowed here (SALESDESK_ENV=production).")
        today = timezone.localdate()
        as_of = as_of or today
        if as_of > today:
            raise CommandError(f"--as-of {as_of} is in the future; the demo ends today at most.")
        self.as_of = as_of
        started = time.monotonic()
        with transaction.atomic():
            staff = staff_ensure(password=settings.DEMO_PASSWORD, update=True)
            self.stdout.write(f"{len(USERS)} demo users and their plants are in place.")
            if self._load_customers(staff):
                self._load_history(staff)
                # Before the evaluation history, which reads the projects' statuses.
                self._replay_collections(staff)
                self._load_compensation()
                self._load_evaluation(staff)
        self.stdout.write(f"Done in {time.monotonic() - started:.1f} s.")
        self._print_login()

    def _load_customers(self, staff: Staff) -> bool:
        """Demo customers go only into an empty archive, so a second run changes nothing
        and a real archive is never mixed with invented companies. True when the archive
        holds the demo customers (loaded now or before)."""
        customers = demo_customers(as_of=self.as_of)
        existing = Customer.objects.count()
        if existing:
            first = next(customers)
            if Customer.objects.filter(code=first.code, name=first.name).exists():
                self.stdout.write("Demo data already loaded: customers and projects skipped.")
                return True
            self.stdout.write(
                f"The archive already has {existing} customers; demo customers are only "
                "loaded into an empty archive (`salesdesk synth` adds generated ones)."
            )
            return False
        counts = load(customers, staff=staff)
        self.stdout.write(
            f"Loaded {counts.customers} customers, {counts.contacts} contacts "
            f"and {counts.projects} projects."
        )
        return True

    def _load_history(self, staff: Staff) -> None:
        """The ledger history goes only into an empty ledger, for the demo projects as
        stored (an archive loaded before the history existed gets one too)."""
        if not ledger_is_empty():
            self.stdout.write("The ledger already has records: demo history skipped.")
            return
        as_of = self.as_of
        codes = [Numbering("P").code(n) for n in range(DEMO_PROJECTS)]
        projects = stored_projects(codes)
        history = generate_history(
            seed=DEMO_SEED, as_of=as_of, projects=ledger_projects_stored(projects.values())
        )
        floor_prices_set(history.floor_prices, staff=staff, missing_only=False)
        counts = history_load_with_holds(history, staff=staff, projects=projects, as_of=as_of)
        profiles = history.profiles
        mix = ", ".join(
            f"{sum(1 for p in profiles.values() if p == kind)} {kind}" for kind in PROFILES
        )
        self.stdout.write(
            f"Loaded {HISTORY_MONTHS} months of ledger history ({history.start} to {as_of}):\n"
            f"  {counts.deliveries:,} deliveries ({counts.below_floor:,} below floor price, "
            f"{counts.approved:,} of them approved), {len(history.floor_prices)} floor prices\n"
            f"  {counts.invoices:,} monthly statements, billed {counts.billed:,.2f}\n"
            f"  {counts.payments:,} payments and {counts.offsets} asset offsets, collected "
            f"{counts.collected:,.2f} ({_ratio(counts)})\n"
            f"  {counts.expenses:,} expenses\n"
            f"  payers by customer: {mix}; {len(history.overpaid)} projects overpaid"
        )

    def _load_evaluation(self, staff: Staff) -> None:
        """Tiers, FAB lines, registrations and disputes, opportunities and visits: each
        part only into empty tables, so a second run changes nothing and an archive loaded
        before the evaluation history existed gets one too."""
        as_of = self.as_of
        tiers = tiering_ensure(as_of)
        if tiers is None:
            self.stdout.write("Customers are tiered already: tiering skipped.")
        else:
            mix = ", ".join(f"{tiers[tier]} {tier}" for tier in Tier.values)
            self.stdout.write(
                f"Tiered {sum(tiers.values())} active customers as of {as_of}: {mix}."
            )
        lines, skipped = [], []
        if fab_load(FAB, staff=staff, on=as_of - dt.timedelta(days=200)):
            lines.append(
                f"{FabProduct.objects.count()} FAB products with {FabLine.objects.count()} lines"
            )
        else:
            skipped.append("FAB lines")
        if claims_are_empty():
            claims = generate_claims(
                seed=DEMO_SEED, as_of=as_of, customers=stored_accounts(),
                taken_credit_codes=Customer.objects.exclude(credit_code="").values_list(
                    "credit_code", flat=True),
                protection_days=policy_as_of(as_of)["claims.protection_days"],
            )  # fmt: skip
            claims_load(claims, staff=staff)
            lines.append(_claims_summary(as_of))
        else:
            skipped.append("registrations")
        customers = stored_accounts()
        opportunities = generate_pipeline(seed=DEMO_SEED, as_of=as_of, customers=customers)
        if not Opportunity.objects.exists():
            pipeline_load(opportunities, staff=staff)
            lines.append(_pipeline_summary(as_of))
        else:
            skipped.append("opportunities")
        if not Visit.objects.exists():
            visits = generate_visits(
                seed=DEMO_SEED, as_of=as_of, customers=customers, opportunities=opportunities,
                rules=visit_rules(as_of),
            )  # fmt: skip
            visits_load(visits, staff=staff, as_of=as_of)
            lines += _visits_summary(as_of, staff)
        else:
            skipped.append("visits")
        if lines:
            self.stdout.write(
                "Loaded the evaluation history:\n" + "\n".join(f"  {line}" for line in lines)
            )
        if skipped:
            self.stdout.write(f"Already recorded, skipped: {', '.join(skipped)}.")

    def _replay_collections(self, staff: Staff) -> None:
        """The daily cycle from go-live (or its last run) to the as-of date."""
        counts = collections_replay(staff=staff, as_of=self.as_of)
        if not counts.days:
            self.stdout.write(f"The collections cycle has run up to {self.as_of} already.")
            return
        self.stdout.write(_replay_summary(counts, self.as_of))

    def _load_compensation(self) -> None:
        """Finalised commission statements for the months before the as-of month, and
        expense advances at every step of their workflow."""
        counts = load_compensation(as_of=self.as_of)
        months = ", ".join(f"{month:%Y-%m}" for month in counts.finalised) or "none"
        self.stdout.write(
            f"Commission months finalised: {months}; expense advances: {counts.advances}, "
            f"written off: {counts.written_off}."
        )

    def _print_login(self):
        self.stdout.write("")
        self.stdout.write(f"Start the server with `salesdesk serve` and open {URL}")
        self.stdout.write(f'Sign in with password "{settings.DEMO_PASSWORD}" as:')
        for user in USERS:
            team = f", team of {user.manager}" if user.manager else ""
            self.stdout.write(f"  {user.username:<10} {user.name}  ({user.role}{team})")


def past_date(text: str) -> dt.date:
    """A YYYY-MM-DD argument within the accepted range of dates."""
    try:
        return date_in_range(dt.date.fromisoformat(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from exc


def _replay_summary(counts: ReplayCounts, as_of: dt.date) -> str:
    totals = counts.totals
    months = ", ".join(f"{month:%Y-%m}" for month in counts.signed_months)
    return (
        f"Ran the collections cycle every day from {counts.first} to {as_of} "
        f"({counts.days} days):\n"
        f"  {totals['letters']:,} dunning letters, {totals['holds_placed']} supply holds placed "
        f"and {totals['holds_released']} released, {totals['legal_opened']} projects sent "
        f"to legal recovery\n"
        f"  {totals['tasks_drafted']:,} collection tasks drafted, {totals['tasks_assessed']:,} "
        f"assessed, {totals['tasks_lapsed']} lapsed; signed by marketing and finance: "
        f"{months or 'none'}"
    )


def _ratio(counts: HistoryCounts) -> str:
    return f"{counts.collected / counts.billed:.1%}" if counts.billed else "nothing billed"


def _claims_summary(as_of: dt.date) -> str:
    states = Counter(claim_state(claim, as_of) for claim in ProspectClaim.objects.all())
    disputes = Counter(ClaimDispute.objects.values_list("status", flat=True))
    expiring = states[ClaimState.EXPIRING]
    return (
        f"{ProspectClaim.objects.count()} prospect registrations: "
        f"{states[ClaimState.PROTECTED] + expiring} protected ({expiring} expiring within "
        f"{EXPIRING_SOON_DAYS} days), {states[ClaimState.EXPIRED]} expired, "
        f"{states[ClaimState.ENDED]} released or ended; {sum(disputes.values())} disputes "
        f"({', '.join(f'{n} {status}' for status, n in sorted(disputes.items()))})"
    )


def _pipeline_summary(as_of: dt.date) -> str:
    context = Context.as_of(as_of)
    rows = evaluated(Opportunity.objects.all(), context).values_list(
        "stage", "pipeline_class", "risk_points", "contact_level", "reduced_on", "last_touch"
    )
    stages, classes = Counter(), Counter()
    failed = reduced = due = incomplete = 0
    for stage, klass, points, level, reduced_on, last_touch in rows:
        stages[stage] += 1
        if stage in CLOSED_STAGES:
            continue
        if klass:
            classes[klass] += 1
        elif points is None:
            incomplete += 1
        else:
            failed += 1
        if level == ContactLevel.REDUCED:
            reduced += 1
            start = max(d for d in (reduced_on, last_touch) if d is not None)
            due += start + dt.timedelta(days=context.touch_days) <= as_of
    open_count = sum(n for stage, n in stages.items() if stage not in CLOSED_STAGES)
    return (
        f"{sum(stages.values())} opportunities: {open_count} open ("
        + ", ".join(f"{klass} {classes[klass]}" for klass in "ABCD")
        + f"; {failed} failed screening, {reduced} of them on reduced contact, {due} with a "
        f"touch due; {incomplete} risk forms incomplete), {stages[Stage.WON]} won, "
        f"{stages[Stage.LOST]} lost, {stages[Stage.ABANDONED]} abandoned"
    )


def _visits_summary(as_of: dt.date, staff: Staff) -> list[str]:
    outcomes = Counter(Visit.objects.values_list("outcome", flat=True))
    total = sum(outcomes.values())
    decided = outcomes[Outcome.ORDER] + outcomes[Outcome.NO_SALE]
    commitments = Commitment.objects.aggregate(
        all=Count("pk"),
        done=Count("pk", filter=Q(done_on__isnull=False)),
        overdue=Count("pk", filter=Q(done_on__isnull=True, due__lt=as_of)),
    )
    month = month_start(as_of, -1)
    report = compliance(staff.users["admin"], month, today=as_of)
    share = f"{report.ratio:.1%}" if report.ratio is not None else "nothing due"
    return [
        f"{total:,} visits since {month_start(as_of, 1 - VISIT_MONTHS)}: "
        f"{outcomes[Outcome.ADVANCE]:,} advances ({outcomes[Outcome.ADVANCE] / max(total, 1):.1%}), "
        f"{decided} orders or no sales ({decided / max(total, 1):.1%}); "
        f"{commitments['all']:,} commitments, {commitments['done']:,} kept, "
        f"{commitments['overdue']} overdue",
        f"visit compliance in {month:%B %Y}: {share} ({report.met} of {report.due} "
        "customers due met their tier's frequency)",
    ]
