import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from salesdesk.customers.models import Customer, Project
from salesdesk.demo.generator import CustomerData, Numbering, generate
from salesdesk.demo.history import HistoryGenerator
from salesdesk.demo.ledger_records import Keys, floor_prices, ledger_projects
from salesdesk.demo.loader import (
    Counts,
    HistoryCounts,
    floor_prices_set,
    history_load,
    load,
    next_number,
    staff_ensure,
    taken_credit_codes,
    taken_names,
)
from salesdesk.demo.management.commands.demo import past_date
from salesdesk.ledger.models import Delivery, Expense, Payment

# Synthetic codes have their own prefixes, so they never take the C/P numbers that the
# archive services hand out, and a second run continues after the first.
CUSTOMER_PREFIX = "S"
PROJECT_PREFIX = "SP"
TICKET_PREFIX = "SD"
PAYMENT_PREFIX = "SBK"
EXPENSE_PREFIX = "SEX"
# Customers per transaction when ledger history comes along: a chunk's history is held
# in memory (some 150 deliveries per project and year).
HISTORY_CHUNK = 500


class Command(BaseCommand):
    help = (
        "Add generated customers, contacts and projects for benchmarks, with the demo "
        "users and plants. Example: salesdesk synth --customers 100000 --projects 200000"
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, required=True, help="customers to add")
        projects = parser.add_mutually_exclusive_group()
        projects.add_argument(
            "--projects-per-customer",
            type=float,
            default=2.0,
            help="projects per customer on average (default 2)",
        )
        projects.add_argument("--projects", type=int, help="projects to add in all")
        parser.add_argument(
            "--contacts-per-customer", type=int, help="contacts per customer (default 2 to 5)"
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--as-of", type=past_date, help="the data's today, YYYY-MM-DD (default today)"
        )
        parser.add_argument(
            "--ledger-months",
            type=int,
            default=0,
            help="also generate this many months of deliveries, statements, payments and "
            "expenses up to today for the new projects (default 0: none)",
        )

    def handle(self, *args, customers, projects_per_customer, projects, contacts_per_customer,
               seed, as_of, ledger_months, **options):  # fmt: skip
        # The generated users get the published demo password: never in production.
        if not settings.DEMO_LOGIN_ALLOWED:
            raise CommandError("Synthetic data is not allowed here (SALESDESK_ENV=production).")
        if customers < 0 or (projects is not None and projects < 0) or projects_per_customer < 0:
            raise CommandError("Counts cannot be negative.")
        if contacts_per_customer is not None and contacts_per_customer < 1:
            raise CommandError("--contacts-per-customer must be at least 1.")
        if ledger_months < 0:
            raise CommandError("--ledger-months cannot be negative.")
        if projects is None:
            projects = round(customers * projects_per_customer)
        today = timezone.localdate()
        self.as_of = as_of or today
        if self.as_of > today:
            raise CommandError(f"--as-of {self.as_of} is in the future; data ends today at most.")

        self.started = time.monotonic()
        with transaction.atomic():
            staff = staff_ensure(password=settings.DEMO_PASSWORD, update=False)
        customer_numbering = Numbering(CUSTOMER_PREFIX, next_number(Customer, CUSTOMER_PREFIX), 7)
        project_numbering = Numbering(PROJECT_PREFIX, next_number(Project, PROJECT_PREFIX), 7)
        self.stdout.write(
            f"Generating {customers:,} customers and {projects:,} projects (seed {seed}), "
            f"codes from {customer_numbering.code(0)} and {project_numbering.code(0)}."
        )
        if settings.DEBUG:
            # With DEBUG on, Django re-quotes every SQL parameter into its query log.
            self.stdout.write("DEBUG is on, which slows this down; SALESDESK_DEBUG=0 is faster.")
        generated = generate(
            seed=seed,
            as_of=self.as_of,
            customers=customers,
            projects=projects,
            contacts_per_customer=contacts_per_customer,
            customer_numbering=customer_numbering,
            project_numbering=project_numbering,
            taken_names=taken_names(),
            taken_credit_codes=taken_credit_codes(),
        )
        self.history = HistoryCounts()
        each_chunk = self._history_loader(seed, staff, ledger_months) if ledger_months else None
        counts = load(
            generated,
            staff=staff,
            progress=self._progress,
            each_chunk=each_chunk,
            **({"chunk_size": HISTORY_CHUNK} if each_chunk else {}),
        )
        elapsed = time.monotonic() - self.started
        history = self.history
        rows = counts.customers + counts.contacts + counts.projects
        rows += history.deliveries + history.invoices + history.payments + history.expenses
        self.stdout.write(
            f"Added {counts.customers:,} customers, {counts.contacts:,} contacts and "
            f"{counts.projects:,} projects in {elapsed:.1f} s "
            f"({rows / max(elapsed, 0.001):,.0f} rows/s)."
        )
        if ledger_months:
            self.stdout.write(
                f"Ledger history of {ledger_months} months: {history.deliveries:,} deliveries "
                f"({history.below_floor:,} below floor), {history.invoices:,} statements, "
                f"{history.payments:,} payments, {history.expenses:,} expenses; billed "
                f"{history.billed:,.2f}, collected {history.collected:,.2f}."
            )

    def _history_loader(self, seed: int, staff, months: int):
        """The per-chunk history of the new projects. Keys get prefixes of their own and
        continue after the stored ones; floor prices are set only for products without."""
        keys = Keys(
            tickets=Numbering(TICKET_PREFIX, next_number(Delivery, TICKET_PREFIX, "ticket"), 9),
            payments=Numbering(
                PAYMENT_PREFIX, next_number(Payment, PAYMENT_PREFIX, "reference"), 9
            ),
            expenses=Numbering(
                EXPENSE_PREFIX, next_number(Expense, EXPENSE_PREFIX, "reference"), 9
            ),
        )
        generator = HistoryGenerator(
            seed=seed, as_of=self.as_of, months=months, keys=keys, asset_offsets=False
        )
        with transaction.atomic():
            floor_prices_set(floor_prices(generator.start), staff=staff, missing_only=True)

        def each_chunk(customers: list[CustomerData], projects: list[Project]) -> None:
            history = generator.history(ledger_projects(customers))
            stored = {project.code: project for project in projects}
            self.history.add(history_load(history, staff=staff, projects=stored))

        return each_chunk

    def _progress(self, counts: Counts) -> None:
        self.stdout.write(
            f"  {counts.customers:>10,} customers {counts.contacts:>10,} contacts "
            f"{counts.projects:>10,} projects  {time.monotonic() - self.started:7.1f} s"
        )
