from django.core.management.base import BaseCommand, CommandError

from salesdesk.core.models import User
from salesdesk.core.services import token_create


class Command(BaseCommand):
    help = "Manage personal API tokens. `token create USERNAME` prints a new token."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it")
        create.add_argument("username")
        create.add_argument("--name", default="cli")

    def handle(self, *args, action, username, name, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        _token, key = token_create(user=user, name=name)
        self.stdout.write(key)
