from django.core.management.base import BaseCommand
from django.db import transaction

from salesdesk.customers.claims.services import name_keys_refresh


class Command(BaseCommand):
    help = (
        "Recompute every customer's search key and duplicate-check keys, after a change "
        "to the name-folding rules (lib/names.py). Safe to re-run."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            changed = name_keys_refresh()
        self.stdout.write(f"{changed} customers' name keys recomputed")
