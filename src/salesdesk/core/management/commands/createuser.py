import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from salesdesk.core.choices import Role
from salesdesk.core.errors import ServiceError
from salesdesk.core.models import Plant, User
from salesdesk.core.services import user_upsert


class Command(BaseCommand):
    help = "Create or update a user with roles (comma-separated: " + ", ".join(Role.values) + ")."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="")
        parser.add_argument("--roles", required=True, help="e.g. sales or manager,sales")
        parser.add_argument("--manager", help="username of the user's manager")
        parser.add_argument("--plant", help="plant code")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="omit to be asked")

    def handle(self, *args, username, name, roles, manager, plant, email, password, **options):
        manager_user = None
        if manager:
            manager_user = User.objects.filter(username=manager).first()
            if manager_user is None:
                raise CommandError(f"--manager: no user {manager!r}")
        plant_obj = None
        if plant:
            plant_obj = Plant.objects.filter(code=plant).first()
            if plant_obj is None:
                raise CommandError(f"--plant: no plant {plant!r}")
        if password is None:
            password = getpass.getpass("Password: ")
        try:
            user, _changed = user_upsert(
                username=username,
                name=name or username,
                roles=[r.strip() for r in roles.split(",") if r.strip()],
                manager=manager_user,
                plant=plant_obj,
                email=email,
                password=password or None,
            )
        except (ServiceError, ValidationError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{user.username}: {', '.join(sorted(user.roles))}")
