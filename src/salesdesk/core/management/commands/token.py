import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from salesdesk.core.models import ApiToken, User
from salesdesk.core.services import token_create, token_revoke, tokens_revoke_all


class Command(BaseCommand):
    help = (
        "Manage personal API tokens: `token create USERNAME` prints a new token, "
        "`token list USERNAME` lists a user's tokens, `token revoke ID` or "
        "`token revoke --user USERNAME` revokes one token or all of a user's."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it")
        create.add_argument("username")
        create.add_argument("--name", default="cli")
        listing = sub.add_parser("list", help="list a user's tokens, newest first")
        listing.add_argument("username")
        listing.add_argument("--format", choices=["text", "json"], default="text")
        revoke = sub.add_parser("revoke", help="revoke one token, or all of a user's")
        which = revoke.add_mutually_exclusive_group(required=True)
        which.add_argument("id", nargs="?", type=int, help="the token's id (see `token list`)")
        which.add_argument("--user", help="revoke every token of this user")

    def handle(self, *args, action, **options):
        now = timezone.now()
        getattr(self, f"handle_{action}")(now=now, **options)

    def _user(self, username: str, *, active: bool) -> User:
        users = User.objects.filter(username=username)
        user = (users.filter(is_active=True) if active else users).first()
        if user is None:
            raise CommandError(f"no {'active ' if active else ''}user {username!r}")
        return user

    def handle_create(self, *, now, username, name, **options):
        _token, key = token_create(user=self._user(username, active=True), name=name, now=now)
        self.stdout.write(key)

    def handle_list(self, *, now, username, format, **options):
        tokens = ApiToken.objects.filter(user=self._user(username, active=False))
        rows = [
            {
                "id": token.pk,
                "prefix": token.prefix,
                "name": token.name,
                "created_at": token.created_at.isoformat(timespec="seconds"),
                "expires_at": token.expires_at.isoformat(timespec="seconds"),
                "last_used_at": token.last_used_at.isoformat(timespec="seconds")
                if token.last_used_at
                else None,
                "state": token.state(now),
            }
            for token in tokens
        ]
        if format == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            self.stdout.write(
                f"{row['id']}\t{row['prefix']}…\t{row['state']}\texpires {row['expires_at']}"
                f"\t{row['name']}"
            )

    def handle_revoke(self, *, now, id, user, **options):
        if user:
            count = tokens_revoke_all(
                user=self._user(user, active=False), actor=None, now=now, reason="command line"
            )
            self.stdout.write(f"{count} token(s) of {user} revoked")
            return
        token = ApiToken.objects.select_related("user").filter(pk=id).first()
        if token is None:
            raise CommandError(f"no token {id}")
        if token_revoke(token=token, actor=None, now=now, reason="command line"):
            self.stdout.write(f"token {id} ({token.prefix}…) of {token.user.username} revoked")
        else:
            self.stdout.write(f"token {id} was revoked already")
