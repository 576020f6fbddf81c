import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from salesdesk.customers.models import Customer, Project
from salesdesk.demo.generator import Numbering, generate
from salesdesk.demo.loader import (
    Counts,
    load,
    next_number,
    staff_ensure,
    taken_credit_codes,
    taken_names,
)

# Synthetic codes have their own prefixes, so they never take the C/P numbers that the
# archive services hand out, and a second run continues after the first.
CUSTOMER_PREFIX = "S"
PROJECT_PREFIX = "SP"


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

    def handle(self, *args, customers, projects_per_customer, projects, contacts_per_customer,
               seed, **options):  # fmt: skip
        # The generated users get the published demo password: never in production.
        if not settings.DEMO_LOGIN_ALLOWED:
            raise CommandError("Synthetic data is not allowed here (SALESDESK_ENV=production).")
        if customers < 0 or (projects is not None and projects < 0) or projects_per_customer < 0:
            raise CommandError("Counts cannot be negative.")
        if contacts_per_customer is not None and contacts_per_customer < 1:
            raise CommandError("--contacts-per-customer must be at least 1.")
        if projects is None:
            projects = round(customers * projects_per_customer)

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
            as_of=timezone.localdate(),
            customers=customers,
            projects=projects,
            contacts_per_customer=contacts_per_customer,
            customer_numbering=customer_numbering,
            project_numbering=project_numbering,
            taken_names=taken_names(),
            taken_credit_codes=taken_credit_codes(),
        )
        counts = load(generated, staff=staff, progress=self._progress)
        elapsed = time.monotonic() - self.started
        rows = counts.customers + counts.contacts + counts.projects
        self.stdout.write(
            f"Added {counts.customers:,} customers, {counts.contacts:,} contacts and "
            f"{counts.projects:,} projects in {elapsed:.1f} s "
            f"({rows / max(elapsed, 0.001):,.0f} rows/s)."
        )

    def _progress(self, counts: Counts) -> None:
        self.stdout.write(
            f"  {counts.customers:>10,} customers {counts.contacts:>10,} contacts "
            f"{counts.projects:>10,} projects  {time.monotonic() - self.started:7.1f} s"
        )
