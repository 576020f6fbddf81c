"""Writes for users, tokens, policy and the audit log."""

import datetime as dt
import secrets
import tomllib
from collections.abc import Iterable, Mapping
from decimal import Decimal

import tomli_w
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.utils import timezone

from salesdesk.core.choices import Role
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


class ServiceError(ValueError):
    """A business rule refused the write; the message is shown to the user."""


class PermissionDenied(DjangoPermissionDenied):
    """The acting user may not do this: a 403 in the UI and the API."""


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


@transaction.atomic
def token_create(*, user: User, name: str = "", actor: User | None = None) -> tuple[ApiToken, str]:
    """Create a personal API token. Returns the record and the token, shown only now."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:10], key_hash=ApiToken.hash_key(key)
    )
    audit_record(
        actor=actor or user,
        action="token_create",
        obj=user,
        changes={"token": [None, token.prefix]},
    )
    return token, key


def token_authenticate(key: str) -> User | None:
    """The active user owning this token, or None."""
    if not key.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Write at most once a minute so a busy integration does not write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: User) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="token_revoke",
            obj=token.user,
            changes={"token": [token.prefix, None]},
        )


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
