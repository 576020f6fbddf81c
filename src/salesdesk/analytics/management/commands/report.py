import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError

from salesdesk.analytics import reports
from salesdesk.core import reporting
from salesdesk.core.inputs import date_arg, month_arg


class Command(BaseCommand):
    help = "Print a report (aging, ...) as JSON, CSV or XLSX. See docs/reports.md."

    def add_arguments(self, parser):
        parser.add_argument("name", help=", ".join(sorted(reports.REGISTRY)))
        parser.add_argument("--as-of", type=date_arg, help="YYYY-MM-DD (default today)")
        parser.add_argument("--month", type=month_arg, help="YYYY-MM, for monthly reports")
        parser.add_argument("--format", choices=["json", "csv", "xlsx"], default="json")
        parser.add_argument("--output", "-o", help="write to this file instead of standard output")

    def handle(self, *args, name, as_of, month, format, output, **options):
        try:
            build = reports.builder(name)
        except reporting.ReportError as exc:
            raise CommandError(str(exc)) from exc
        kwargs = {"as_of": as_of or dt.date.today()}
        if month:
            kwargs["month"] = month
        try:
            report = build(**kwargs)
        except (reporting.ReportError, TypeError) as exc:
            raise CommandError(f"report {name}: {exc}") from exc
        if format == "xlsx":
            data = reporting.to_xlsx(report)
            if output:
                with open(output, "wb") as handle:
                    handle.write(data)
            elif sys.stdout.isatty():
                raise CommandError("xlsx is binary: give --output FILE.xlsx")
            else:
                sys.stdout.buffer.write(data)
            return
        text = reporting.to_json(report) if format == "json" else reporting.to_csv(report)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        else:
            self.stdout.write(text, ending="" if text.endswith("\n") else "\n")
