"""`salesdesk import PATH [--dry-run] [--as-user USERNAME]`: load a workbook.

Exit codes: 0 imported (or a valid dry run), 2 the workbook has errors and nothing was
written, 1 the command itself could not run (an unknown --as-user, ...).
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from salesdesk.core.models import User
from salesdesk.imports.progress import TerminalProgress
from salesdesk.imports.readers import ReaderError, open_workbook
from salesdesk.imports.runner import import_workbook

EXIT_INVALID = 2


class Command(BaseCommand):
    help = (
        "Import a workbook: an .xlsx file with one sheet per table, or a folder of "
        "<sheet>.csv files. All or nothing. See docs/import.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="an .xlsx file, a folder of CSV files, or a .zip of them")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and report; never write"
        )
        parser.add_argument(
            "--as-user", metavar="USERNAME", help="the user the import acts as (default: system)"
        )

    def handle(self, *args, path, dry_run, as_user, **options):
        actor = None
        if as_user:
            actor = User.objects.filter(username=as_user, is_active=True).first()
            if actor is None:
                raise CommandError(f"--as-user: no active user {as_user!r}")
        try:
            workbook = open_workbook(path)
        except ReaderError as exc:
            self.stderr.write(str(exc))
            raise CommandError(
                "import failed: the workbook cannot be read; nothing was written",
                returncode=EXIT_INVALID,
            ) from exc
        progress = TerminalProgress(sys.stderr) if self.stderr.isatty() else None
        try:
            result = import_workbook(
                workbook,
                today=timezone.localdate(),
                actor=actor,
                dry_run=dry_run,
                source=Path(path).name,
                progress=progress,
            )
        finally:
            workbook.close()
        for warning in result.warnings:
            self.stderr.write(str(warning), style_func=self.style.WARNING)
        for problem in result.problems:
            self.stderr.write(str(problem))
        if not result.ok:
            raise CommandError(result.outcome_line(), returncode=EXIT_INVALID)
        for line in result.summary_lines():
            self.stdout.write(line)
        self.stdout.write(result.outcome_line())
