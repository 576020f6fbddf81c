import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from salesdesk.core.inputs import date_arg
from salesdesk.customers.models import Customer, Project
from salesdesk.ledger.gate import order_gate
from salesdesk.lib.money import parse_amount

EXIT_BLOCKED = 3


class Command(BaseCommand):
    help = "May we deliver? Prints `allowed` (exit 0) or `blocked: <reason>` (exit 3)."

    def add_arguments(self, parser):
        parser.add_argument("customer", help="customer code")
        parser.add_argument("--project", help="project code")
        parser.add_argument("--as-of", type=date_arg, help="YYYY-MM-DD (default today)")
        parser.add_argument("--amount", default="0", help="value of the delivery asked about")

    def handle(self, *args, customer, project, as_of, amount, **options):
        customer_obj = Customer.objects.filter(code=customer).first()
        if customer_obj is None:
            raise CommandError(f"no customer {customer!r}", returncode=2)
        project_obj = None
        if project:
            project_obj = Project.objects.filter(code=project).first()
            if project_obj is None:
                raise CommandError(f"no project {project!r}", returncode=2)
        try:
            amount_value = parse_amount(amount)
        except ValueError as exc:
            raise CommandError(f"--amount: {amount!r} is not a number", returncode=2) from exc
        try:
            verdict = order_gate(
                customer=customer_obj,
                project=project_obj,
                as_of=as_of or timezone.localdate(),
                amount=amount_value,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages), returncode=2) from exc
        self.stdout.write(verdict.line())
        if not verdict.allowed:
            sys.exit(EXIT_BLOCKED)
