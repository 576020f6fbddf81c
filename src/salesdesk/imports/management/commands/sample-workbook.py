"""`salesdesk sample-workbook FILE.xlsx`: write a small valid example workbook."""

from django.core.management.base import BaseCommand

from salesdesk.imports.sample import write_sample_workbook


class Command(BaseCommand):
    help = "Write a small example workbook with every supported sheet (see docs/import.md)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="where to write the .xlsx")

    def handle(self, *args, file, **options):
        write_sample_workbook(file)
        self.stdout.write(f"wrote {file}")
