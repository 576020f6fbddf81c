"""Users and roles, plants, personal API tokens, the audit log and policy values."""

import hashlib

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from salesdesk.core.choices import COMPANY_WIDE_ROLES, Role


class TimeStamped(models.Model):
    """Creation and last-change timestamps, shared by every business model."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class Plant(TimeStamped):
    """A production site (搅拌站): deliveries come from a plant."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("plant")
        verbose_name_plural = _("plants")

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A person who signs in. Roles are in UserRole; a user may hold several."""

    name = models.CharField(_("full name"), max_length=100, blank=True)
    manager = models.ForeignKey(
        "self",
        verbose_name=_("manager"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="team_members",
    )
    plant = models.ForeignKey(
        Plant, verbose_name=_("plant"), on_delete=models.PROTECT, null=True, blank=True
    )

    objects = UserManager()

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.name or self.username

    @cached_property
    def roles(self) -> frozenset[str]:
        return frozenset(self.role_set.values_list("role", flat=True))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or Role.ADMIN in self.roles

    @property
    def sees_company(self) -> bool:
        """True for roles that see every customer and project (DOMAIN §1)."""
        return self.is_superuser or bool(self.roles & COMPANY_WIDE_ROLES)


class UserRole(models.Model):
    """One role held by one user."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="role_set"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("user role")
        verbose_name_plural = _("user roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="user_role_unique"),
        ]

    def __str__(self):
        return f"{self.user} {self.role}"


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    # Set when the token is created, from the policy's tokens.expiry_days then in force.
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def state(self, now) -> str:
        """ "active", "expired" or "revoked" at the moment `now`."""
        if self.revoked_at is not None:
            return "revoked"
        return "active" if now < self.expires_at else "expired"


class AuditEntry(models.Model):
    """Who changed what and when. Written by services, never edited."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User, verbose_name=_("actor"), on_delete=models.PROTECT, null=True, blank=True
    )
    action = models.CharField(_("action"), max_length=50)
    object_type = models.CharField(_("object type"), max_length=50)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["object_type", "object_id", "-at"], name="audit_object_idx"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_repr}"


class PolicyValue(models.Model):
    """One policy value, effective from a date until the next value of the same key.

    The value is stored as text in the form the registry (core/policy.py) parses, so a
    decimal keeps its exact digits. A change adds a row effective from its date; a second
    change for the same date replaces that date's value. Both are in the audit log.
    """

    key = models.CharField(_("key"), max_length=80)
    value = models.TextField(_("value"))
    effective_from = models.DateField(_("effective from"))
    set_by = models.ForeignKey(
        User, verbose_name=_("set by"), on_delete=models.PROTECT, null=True, blank=True
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["key", "-effective_from"]
        verbose_name = _("policy value")
        verbose_name_plural = _("policy values")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "effective_from"], name="policy_value_key_date_unique"
            ),
        ]

    def __str__(self):
        return f"{self.key}={self.value} from {self.effective_from}"
