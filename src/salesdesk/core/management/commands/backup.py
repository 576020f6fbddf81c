from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from salesdesk.core.backup import BackupError, backup, database_description


class Command(BaseCommand):
    help = (
        "Write a complete backup of the database to FILE (SQLite: a database file; "
        "PostgreSQL: a pg_dump custom-format archive)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file, **options):
        try:
            backup(file)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        size = file.stat().st_size
        self.stdout.write(f"{database_description()} backed up to {file} ({size:,} bytes)")
