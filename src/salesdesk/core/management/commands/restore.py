from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from salesdesk.core.backup import BackupError, database_description, restore


class Command(BaseCommand):
    help = (
        "Replace the whole database with a backup written by `salesdesk backup`. "
        "Stop the application first; run `salesdesk migrate` after restoring an older backup."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--yes", "--no-input", dest="yes", action="store_true",
            help="do not ask for confirmation",
        )  # fmt: skip

    def handle(self, *args, file, yes, **options):
        target = database_description()
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        if not yes and not self._confirmed(target, file):
            raise CommandError("Restore cancelled; nothing was changed.")
        try:
            restore(file)
        except BackupError as exc:
            raise CommandError(f"{exc}\nNothing was changed.") from exc
        self.stdout.write(f"{target} restored from {file}")

    def _confirmed(self, target: str, file: Path) -> bool:
        self.stdout.write(f"This replaces every record in the {target} with the backup {file}.")
        try:
            answer = input("Type yes to continue: ")
        except EOFError:
            return False
        return answer.strip().lower() == "yes"
