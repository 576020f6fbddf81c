import datetime as dt

from django.core.management.base import BaseCommand

from salesdesk.collections.cycle import cycle_run
from salesdesk.core.inputs import date_arg


class Command(BaseCommand):
    help = (
        "The daily collections cycle for one day: dunning letters, supply holds and their "
        "release, legal recovery, next month's task drafts, last month's assessment. "
        "Idempotent: run it again for the same day and nothing changes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=date_arg, help="YYYY-MM-DD (default today)")
        parser.add_argument(
            "--dry-run", action="store_true", help="show what it would do, write nothing"
        )

    def handle(self, *args, as_of, dry_run, **options):
        report = cycle_run(as_of=as_of or dt.date.today(), dry_run=dry_run)
        for line in report.lines():
            self.stdout.write(line)
