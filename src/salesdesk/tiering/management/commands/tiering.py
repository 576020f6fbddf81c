import datetime as dt

from django.core.management.base import BaseCommand

from salesdesk.core.inputs import date_arg
from salesdesk.core.policy import policy_as_of
from salesdesk.tiering.ranking import propose, quotas
from salesdesk.tiering.selectors import tiering_rows
from salesdesk.tiering.services import tiering_apply


class Command(BaseCommand):
    help = "Preview (default) or apply the 2:3:5 tiering of active customers as of a date."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=date_arg, help="YYYY-MM-DD (default today)")
        parser.add_argument("--apply", action="store_true", help="write the proposed tiers")

    def handle(self, *args, as_of, apply, **options):
        as_of = as_of or dt.date.today()
        policy = policy_as_of(as_of)
        proposals = propose(tiering_rows(as_of), policy)
        places = quotas(len(proposals), policy)
        self.stdout.write(
            f"tiering as of {as_of}: {len(proposals)} active customers; places "
            + ", ".join(f"{tier} {count}" for tier, count in places.items())
        )
        changes = [p for p in proposals if p.changes]
        for p in changes:
            self.stdout.write(
                f"{p.row.code}  score {p.score_1dp}  rank {p.rank}  "
                f"{p.row.tier or '-'} -> {p.proposed}"
            )
        if apply:
            tiering_apply(actor=None, as_of=as_of)
            self.stdout.write(f"applied: {len(changes)} customers changed tier")
        else:
            self.stdout.write(f"preview: {len(changes)} customers would change tier (use --apply)")
