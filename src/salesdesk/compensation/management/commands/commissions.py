import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from salesdesk.compensation.services import month_finalise
from salesdesk.compensation.statements import month_statements
from salesdesk.core.inputs import date_arg, month_arg
from salesdesk.core.models import User
from salesdesk.lib.dates import parse_month


class Command(BaseCommand):
    help = (
        "Commission statements of a month, one summary line per salesperson; with "
        "--finalise, freeze them (once; finalising again changes nothing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", type=month_arg, required=True, help="YYYY-MM")
        parser.add_argument("--finalise", action="store_true", help="freeze the month")
        parser.add_argument("--as-of", type=date_arg, help="today, YYYY-MM-DD (default today)")

    def handle(self, *args, month, finalise, as_of, **options):
        first = parse_month(month)
        today = as_of or dt.date.today()
        if finalise:
            try:
                result = month_finalise(actor=None, month=first, today=today)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            verb = "finalised" if result.created else "already finalised"
            self.stdout.write(f"{month} {verb}: {result.statements} statements")
        statements = month_statements(first)
        names = dict(User.objects.filter(pk__in=list(statements)).values_list("pk", "username"))
        for statement in sorted(statements.values(), key=lambda s: names[s.salesperson_id]):
            totals = statement.totals
            self.stdout.write(
                f"{month} {names[statement.salesperson_id]} {statement.status}: "
                f"lines {len(statement.lines)}, collected {totals['collected']:.2f}, "
                f"earned {totals['earned']:.2f}, held back {totals['held_back']:.2f}, "
                f"released {totals['released']:.2f}, payable {totals['payable']:.2f}"
            )
