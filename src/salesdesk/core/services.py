"""Writes for users, tokens, policy and the audit log."""

import datetime as dt
import secrets
import tomllib
from collections.abc import Iterable, Mapping
from decimal import Decimal

import tomli_w
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesdesk.core.auth import demo_password_refused
from salesdesk.core.choices import Role
from salesdesk.core.errors import KeyTaken, PermissionDenied, ServiceError
from salesdesk.core.models import ApiToken, AuditEntry, Plant, PolicyValue, User, UserRole
from salesdesk.core.policy import (
    REGISTRY,
    SETTINGS,
    Kind,
    PolicyError,
    policy_as_of,
    policy_forget,
    setting,
)


def insert_once(record, key_field: str, message: str) -> None:
    """Insert a new record unless its natural key is taken (KeyTaken naming the field).

    Two requests creating the same key at once both pass the first check; the UNIQUE
    constraint settles it, and the loser gets KeyTaken as if it had come second."""
    model = type(record)
    key = {key_field: getattr(record, key_field)}
    if model.objects.filter(**key).exists():
        raise KeyTaken({key_field: message})
    try:
        with transaction.atomic():
            record.save(force_insert=True)
    except IntegrityError:
        if model.objects.filter(**key).exists():
            raise KeyTaken({key_field: message}) from None
        raise


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj,
    changes: Mapping | None = None,
    reason: str = "",
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=dict(changes or {}),
        reason=reason,
    )


def diff(instance, values: Mapping) -> dict:
    """{field: [old, new]} for the values that differ from the instance's, as text."""
    changes = {}
    for field, new in values.items():
        old = getattr(instance, field)
        if old != new:
            changes[field] = [_plain(old), _plain(new)]
    return changes


def _plain(value):
    if value is None or isinstance(value, bool | int | str):
        return value
    if hasattr(value, "pk"):
        return str(value)
    return str(value)


# Users -------------------------------------------------------------------------------


@transaction.atomic
def plant_upsert(*, code: str, name: str, actor: User | None = None) -> tuple[Plant, bool]:
    plant = Plant.objects.filter(code=code).first()
    if plant is None:
        plant = Plant.objects.create(code=code, name=name)
        audit_record(actor=actor, action="create", obj=plant, changes={"name": [None, name]})
        return plant, True
    if plant.name != name:
        audit_record(actor=actor, action="update", obj=plant, changes={"name": [plant.name, name]})
        plant.name = name
        plant.save(update_fields=["name", "updated_at"])
        return plant, True
    return plant, False


@transaction.atomic
def user_upsert(
    *,
    username: str,
    name: str,
    roles: Iterable[str],
    manager: User | None = None,
    plant: Plant | None = None,
    email: str = "",
    password: str | None = None,
    actor: User | None = None,
) -> tuple[User, bool]:
    """Create or update a user with exactly these roles. Returns (user, changed)."""
    if demo_password_refused(password):
        raise ServiceError(_("the demo password cannot be set here"))
    roles = sorted(set(roles))
    unknown = [role for role in roles if role not in Role.values]
    if unknown:
        raise ServiceError(f"unknown role {', '.join(unknown)}")
    if not roles:
        raise ServiceError("a user needs at least one role")
    values = {"name": name, "manager": manager, "plant": plant, "email": email}
    user = User.objects.filter(username=username).first()
    created = user is None
    if created:
        user = User(username=username, **values)
        user.is_staff = Role.ADMIN in roles
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        changes = {"created": [None, username]}
    else:
        if manager is not None and manager.pk == user.pk:
            raise ServiceError("a user cannot be their own manager")
        changes = diff(user, values)
        for field, value in values.items():
            setattr(user, field, value)
        user.is_staff = Role.ADMIN in roles
        if password:
            user.set_password(password)
        user.save()
    old_roles = sorted(user.role_set.values_list("role", flat=True))
    if old_roles != roles:
        changes["roles"] = [",".join(old_roles), ",".join(roles)]
        user.role_set.exclude(role__in=roles).delete()
        UserRole.objects.bulk_create(
            [UserRole(user=user, role=role) for role in roles if role not in old_roles]
        )
        user.__dict__.pop("roles", None)
    if changes:
        audit_record(
            actor=actor, action="create" if created else "update", obj=user, changes=changes
        )
    return user, bool(changes) or bool(password and not created)


# API tokens --------------------------------------------------------------------------


TOKEN_PREFIX = "sd_"


def token_expiry(now: dt.datetime) -> dt.datetime:
    """When a token created at `now` stops working (policy tokens.expiry_days)."""
    days = policy_as_of(timezone.localdate(now))["tokens.expiry_days"]
    return now + dt.timedelta(days=days)


@transaction.atomic
def token_create(
    *, user: User, now: dt.datetime, name: str = "", actor: User | None = None
) -> tuple[ApiToken, str]:
    """Create a personal API token. Returns the record and the token, shown only now."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[:10],
        key_hash=ApiToken.hash_key(key),
        expires_at=token_expiry(now),
    )
    audit_record(
        actor=actor or user,
        action="token_create",
        obj=user,
        changes={"token": [None, token.prefix]},
    )
    return token, key


def token_authenticate(key: str, *, now: dt.datetime) -> User | None:
    """The active user owning this token, or None when the token is unknown, revoked or
    expired at `now`."""
    if not key.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(
            key_hash=ApiToken.hash_key(key),
            revoked_at__isnull=True,
            expires_at__gt=now,
            user__is_active=True,
        )
        .first()
    )
    if token is None:
        return None
    # Write at most once a minute so a busy integration does not write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def token_may_manage(actor: User, owner: User) -> bool:
    """Who may list and revoke whose tokens: everyone their own; an administrator anyone's."""
    return actor.is_admin or actor.pk == owner.pk


def token_queryset(user: User):
    """The tokens `user` may list and revoke (token_may_manage), as one query."""
    tokens = ApiToken.objects.select_related("user")
    return tokens if user.is_admin else tokens.filter(user=user)


@transaction.atomic
def token_revoke(
    *, token: ApiToken, actor: User | None, now: dt.datetime, reason: str = ""
) -> bool:
    """Revoke one token. False when it was revoked already (nothing changes)."""
    if actor is not None and not token_may_manage(actor, token.user):
        raise PermissionDenied(_("You may revoke only your own tokens."))
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    if updated:
        token.revoked_at = now
        audit_record(
            actor=actor,
            action="token_revoke",
            obj=token.user,
            changes={"token": [token.prefix, None]},
            reason=reason,
        )
    return bool(updated)


@transaction.atomic
def tokens_revoke_all(*, user: User, actor: User | None, now: dt.datetime, reason: str = "") -> int:
    """Revoke every token of `user` still unrevoked. Returns how many were revoked."""
    if actor is not None and not token_may_manage(actor, user):
        raise PermissionDenied(_("You may revoke only your own tokens."))
    tokens = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True))
    ApiToken.objects.filter(pk__in=[token.pk for token in tokens]).update(revoked_at=now)
    if tokens:
        audit_record(
            actor=actor,
            action="token_revoke",
            obj=user,
            changes={"tokens": [[token.prefix for token in tokens], None]},
            reason=reason,
        )
    return len(tokens)


# Policy ------------------------------------------------------------------------------


def _require_admin(actor: User | None) -> None:
    if actor is not None and not actor.is_admin:
        raise PermissionDenied("only an administrator may change the policy")


@transaction.atomic
def policy_update(
    *,
    values: Mapping[str, object],
    effective_from: dt.date,
    actor: User | None,
    reason: str = "",
) -> dict[str, tuple[str, str]]:
    """Set policy values from `effective_from` on. Validates every value before writing any.

    Returns {key: (old text, new text)} for the values that changed; unchanged values
    add nothing. Raises PolicyError listing every invalid value.
    """
    _require_admin(actor)
    errors, parsed = [], {}
    for key, raw in values.items():
        try:
            parsed[key] = setting(key).parse(raw)
        except PolicyError as exc:
            errors.append(str(exc))
    if errors:
        raise PolicyError("; ".join(errors))
    current = policy_as_of(effective_from)
    changes = {}
    for key, value in parsed.items():
        spec = REGISTRY[key]
        # Compare values, not texts: "60.0" for a policy of 60 (a TOML float, a retyped
        # form field) is no change and must not add a row and an audit entry.
        if current[key] != value:
            changes[key] = (current.text(key), spec.format(value))
    for key, (_old, new) in changes.items():
        PolicyValue.objects.update_or_create(
            key=key,
            effective_from=effective_from,
            defaults={"value": new, "set_by": actor, "reason": reason},
        )
    if changes:
        policy_forget()
        marker = PolicyValue.objects.filter(key__in=changes).order_by("-pk").first()
        audit_record(
            actor=actor,
            action="policy_update",
            obj=marker,
            changes={key: [old, new] for key, (old, new) in changes.items()}
            | {"effective_from": [None, effective_from.isoformat()]},
            reason=reason,
        )
    return changes


def policy_to_toml(as_of: dt.date) -> str:
    """Every policy value in force on `as_of`, as one TOML document grouped by section."""
    policy = policy_as_of(as_of)
    document: dict = {"effective_from": as_of}
    for spec in SETTINGS:
        value = policy[spec.key]
        # Decimals as strings keep their exact digits; lists and bands as their text.
        toml_value = value if spec.kind == Kind.INTEGER else spec.format(value)
        table = document
        *sections, leaf = spec.key.split(".")
        for section in sections:
            table = table.setdefault(section, {})
        table[leaf] = toml_value
    header = (
        "# SalesDesk policy. Edit values and import with `salesdesk policy import FILE`.\n"
        "# Changes take effect from `effective_from`; earlier statements are not recomputed.\n"
    )
    return header + tomli_w.dumps(document)


def policy_from_toml(text: str) -> tuple[dt.date | None, dict[str, object]]:
    """Parse a policy TOML document into (effective_from, {key: value}). Validates keys."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"not valid TOML: {exc}") from exc
    effective_from = document.pop("effective_from", None)
    if effective_from is not None and not isinstance(effective_from, dt.date):
        raise PolicyError("effective_from: must be a date like 2026-12-01")
    document.pop("reason", None)
    flat: dict[str, object] = {}

    def walk(prefix: str, table: dict) -> None:
        for name, value in table.items():
            key = f"{prefix}.{name}" if prefix else name
            if isinstance(value, dict):
                walk(key, value)
            elif isinstance(value, float):
                flat[key] = Decimal(repr(value))
            else:
                flat[key] = value

    walk("", document)
    unknown = sorted(key for key in flat if key not in REGISTRY)
    if unknown:
        raise PolicyError("unknown policy keys: " + ", ".join(unknown))
    return effective_from, flat
