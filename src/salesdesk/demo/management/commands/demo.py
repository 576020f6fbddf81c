import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from salesdesk.customers.models import Customer
from salesdesk.demo.generator import (
    DEMO_CUSTOMERS,
    DEMO_PROJECTS,
    DEMO_SEED,
    USERS,
    Numbering,
    demo_customers,
)
from salesdesk.demo.history import HISTORY_MONTHS, PROFILES, generate_history
from salesdesk.demo.loader import (
    HistoryCounts,
    Staff,
    floor_prices_set,
    history_load,
    ledger_is_empty,
    ledger_projects_stored,
    load,
    staff_ensure,
    stored_projects,
)

URL = "http://127.0.0.1:8000"


class Command(BaseCommand):
    help = (
        f"Load the demo data set ({DEMO_CUSTOMERS} customers, {DEMO_PROJECTS} projects, "
        f"3 plants, a user for every role, and {HISTORY_MONTHS} months of deliveries, "
        "statements, payments and expenses up to today). Safe to run again."
    )

    def handle(self, *args, **options):
        # The demo users share a published password: never in production.
        if not settings.DEMO_LOGIN_ALLOWED:
            raise CommandError("Demo data is not allowed here (SALESDESK_ENV=production).")
        started = time.monotonic()
        with transaction.atomic():
            staff = staff_ensure(password=settings.DEMO_PASSWORD, update=True)
            self.stdout.write(f"{len(USERS)} demo users and their plants are in place.")
            if self._load_customers(staff):
                self._load_history(staff)
        self.stdout.write(f"Done in {time.monotonic() - started:.1f} s.")
        self._print_login()

    def _load_customers(self, staff: Staff) -> bool:
        """Demo customers go only into an empty archive, so a second run changes nothing
        and a real archive is never mixed with invented companies. True when the archive
        holds the demo customers (loaded now or before)."""
        customers = demo_customers(as_of=timezone.localdate())
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
        as_of = timezone.localdate()
        codes = [Numbering("P").code(n) for n in range(DEMO_PROJECTS)]
        projects = stored_projects(codes)
        history = generate_history(
            seed=DEMO_SEED, as_of=as_of, projects=ledger_projects_stored(projects.values())
        )
        floor_prices_set(history.floor_prices, staff=staff, missing_only=False)
        counts = history_load(history, staff=staff, projects=projects)
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

    def _print_login(self):
        self.stdout.write("")
        self.stdout.write(f"Start the server with `salesdesk serve` and open {URL}")
        self.stdout.write(f'Sign in with password "{settings.DEMO_PASSWORD}" as:')
        for user in USERS:
            team = f", team of {user.manager}" if user.manager else ""
            self.stdout.write(f"  {user.username:<10} {user.name}  ({user.role}{team})")


def _ratio(counts: HistoryCounts) -> str:
    return f"{counts.collected / counts.billed:.1%}" if counts.billed else "nothing billed"
