import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from salesdesk.core.errors import PermissionDenied
from salesdesk.core.inputs import date_arg
from salesdesk.core.models import User
from salesdesk.core.policy import PolicyError, policy_as_of
from salesdesk.core.services import (
    policy_from_toml,
    policy_to_toml,
    policy_update,
)


class Command(BaseCommand):
    help = "Export, import or show the company policy (one TOML file)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write the policy in force to FILE.toml")
        export.add_argument("file")
        export.add_argument("--as-of", type=date_arg)
        imp = sub.add_parser("import", help="validate FILE.toml and apply it")
        imp.add_argument("file")
        imp.add_argument("--effective-from", type=date_arg,
                         help="overrides effective_from in the file")  # fmt: skip
        imp.add_argument("--as-user", default=None, help="administrator recorded as the author")
        imp.add_argument("--reason", default="")
        imp.add_argument("--dry-run", action="store_true")
        show = sub.add_parser("show", help="print the policy in force")
        show.add_argument("--as-of", type=date_arg)
        show.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_export(self, file, as_of, **options):
        as_of = as_of or dt.date.today()
        Path(file).write_text(policy_to_toml(as_of), encoding="utf-8")
        self.stdout.write(f"policy in force on {as_of} written to {file}")

    def handle_show(self, as_of, format, **options):
        policy = policy_as_of(as_of)
        from salesdesk.core.policy import SETTINGS

        values = {s.key: policy.text(s.key) for s in SETTINGS}
        if format == "json":
            self.stdout.write(
                json.dumps(
                    {"as_of": policy.as_of.isoformat(), "values": values},
                    ensure_ascii=False,
                    indent=2,
                )
            )
        else:
            for key, value in values.items():
                self.stdout.write(f"{key} = {value}")

    def handle_import(self, file, effective_from, as_user, reason, dry_run, **options):
        actor = None
        if as_user:
            actor = User.objects.filter(username=as_user).first()
            if actor is None:
                raise CommandError(f"--as-user: no user {as_user!r}")
        try:
            text = Path(file).read_text(encoding="utf-8")
            file_date, values = policy_from_toml(text)
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from exc
        except PolicyError as exc:
            raise CommandError(f"{file}: {exc}") from exc
        effective = effective_from or file_date
        if effective is None:
            raise CommandError(
                f"{file}: no effective_from; give one in the file or --effective-from"
            )
        from django.db import transaction

        try:
            with transaction.atomic():
                changes = policy_update(
                    values=values,
                    effective_from=effective,
                    actor=actor,
                    reason=reason or f"import {Path(file).name}",
                )
                if dry_run:
                    transaction.set_rollback(True)
        except (PolicyError, PermissionDenied) as exc:
            raise CommandError(f"{file}: {exc}") from exc
        if not changes:
            self.stdout.write("no changes: the file matches the policy in force")
            return
        verb = "would change" if dry_run else "changed"
        for key, (old, new) in changes.items():
            self.stdout.write(f"{verb} {key}: {old} -> {new} from {effective}")
