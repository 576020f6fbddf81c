from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from salesdesk.customers.models import Customer
from salesdesk.demo.generator import DEMO_CUSTOMERS, DEMO_PROJECTS, USERS, demo_customers
from salesdesk.demo.loader import Staff, load, staff_ensure

URL = "http://127.0.0.1:8000"


class Command(BaseCommand):
    help = (
        f"Load the demo data set ({DEMO_CUSTOMERS} customers, {DEMO_PROJECTS} projects, "
        "3 plants and a user for every role). Safe to run again."
    )

    def handle(self, *args, **options):
        # The demo users share a published password: never in production.
        if not settings.DEMO_LOGIN_ALLOWED:
            raise CommandError("Demo data is not allowed here (SALESDESK_ENV=production).")
        with transaction.atomic():
            staff = staff_ensure(password=settings.DEMO_PASSWORD, update=True)
            self.stdout.write(f"{len(USERS)} demo users and their plants are in place.")
            self._load_customers(staff)
        self._print_login()

    def _load_customers(self, staff: Staff):
        """Demo customers go only into an empty archive, so a second run changes nothing
        and a real archive is never mixed with invented companies."""
        customers = demo_customers(as_of=timezone.localdate())
        existing = Customer.objects.count()
        if existing:
            first = next(customers)
            if Customer.objects.filter(code=first.code, name=first.name).exists():
                self.stdout.write("Demo data already loaded: customers and projects skipped.")
            else:
                self.stdout.write(
                    f"The archive already has {existing} customers; demo customers are only "
                    "loaded into an empty archive (`salesdesk synth` adds generated ones)."
                )
            return
        counts = load(customers, staff=staff)
        self.stdout.write(
            f"Loaded {counts.customers} customers, {counts.contacts} contacts "
            f"and {counts.projects} projects."
        )

    def _print_login(self):
        self.stdout.write("")
        self.stdout.write(f"Start the server with `salesdesk serve` and open {URL}")
        self.stdout.write(f'Sign in with password "{settings.DEMO_PASSWORD}" as:')
        for user in USERS:
            team = f", team of {user.manager}" if user.manager else ""
            self.stdout.write(f"  {user.username:<10} {user.name}  ({user.role}{team})")
