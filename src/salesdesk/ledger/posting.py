"""What every posted money record goes through: who may post and reverse, amounts and
dates checked, insertion once by the natural key (the same key with other content is a
Conflict), and what other apps do once a payment is in (hooks they register)."""

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from salesdesk.core.choices import Role
from salesdesk.core.errors import Conflict
from salesdesk.core.inputs import decimal_of
from salesdesk.core.models import User
from salesdesk.core.policy import policy_as_of
from salesdesk.core.services import PermissionDenied, audit_record
from salesdesk.customers.models import Project
from salesdesk.ledger.models import Delivery, Expense, Invoice, Payment

POSTERS = {
    Delivery: (Role.SUPPLY, Role.FINANCE, Role.ADMIN),
    Invoice: (Role.FINANCE, Role.ADMIN),
    Payment: (Role.FINANCE, Role.ADMIN),
    Expense: (Role.FINANCE, Role.ADMIN),
}
REVERSERS = (Role.FINANCE, Role.ADMIN)
# SQLite keeps decimals as doubles (15 exact significant digits): amounts stay below
# 10^13 with their 2 places, quantities below 10^12 with their 3.
MONEY_LIMIT = Decimal(10) ** 13
QUANTITY_LIMIT = Decimal(10) ** 12


def _require_role(actor: User | None, roles, message: str) -> None:
    if actor is not None and not (actor.is_superuser or actor.has_role(*roles)):
        raise PermissionDenied(message)


def _require_visible(actor: User | None, project: Project) -> None:
    if actor is not None and not Project.objects.visible_to(actor).filter(pk=project.pk).exists():
        raise Project.DoesNotExist


def money(
    value, field: str, *, places: int = 2, positive: bool = True, limit: Decimal = MONEY_LIMIT
) -> Decimal:
    """A Decimal with at most `places` places, > 0 (or ≥ 0); ValidationError naming `field`."""
    amount = decimal_of(value, field, places=places)
    if abs(amount) >= limit:
        raise ValidationError({field: _("%(value)s is too large.") % {"value": value}})
    if positive and amount <= 0:
        raise ValidationError({field: _("Must be greater than zero.")})
    if not positive and amount < 0:
        raise ValidationError({field: _("Cannot be negative.")})
    return amount


@dataclass(frozen=True)
class RecordDates:
    """The dates a money record may carry (DOMAIN §5): from the company's start (policy) to
    today. The edge that knows the day passes `today`; without it only the start is checked
    (history loaded by the demo generator). Due dates are not record dates: they may be later.
    """

    today: dt.date | None = None
    start: dt.date | None = None

    @classmethod
    def on(cls, today: dt.date | None) -> "RecordDates":
        """The window as of `today`, the start read once (for a batch of records)."""
        if today is None:
            return cls()
        return cls(today, policy_as_of(today)["company.start_date"])

    def check(self, day: dt.date, field: str = "date") -> dt.date:
        if self.today is not None and day > self.today:
            raise ValidationError(
                {field: _("The %(field)s %(day)s is after today (%(today)s): a money record cannot be dated in the future.")
                 % {"field": field, "day": day.isoformat(), "today": self.today.isoformat()}}
            )  # fmt: skip
        start = self.start or policy_as_of(self.today or day)["company.start_date"]
        if day < start:
            raise ValidationError(
                {field: _("The %(field)s %(day)s is before the company's start (%(start)s).")
                 % {"field": field, "day": day.isoformat(), "start": start.isoformat()}}
            )  # fmt: skip
        return day


def _post_once(model, key_field: str, key: str, values: Mapping, actor: User | None):
    """Insert the record unless its key exists. Returns (record, created).

    Two concurrent posts of one key both end here: the loser's insert fails on the UNIQUE
    constraint, and it then finds the winner's record and compares it like any repeat.
    """
    key = key.strip()
    if not key:
        raise ValidationError({key_field: _("A key is required.")})
    existing = model.objects.filter(**{key_field: key}).first()
    if existing is None:
        try:
            with transaction.atomic():
                record = model.objects.create(**{key_field: key}, **values, posted_by=actor)
        except IntegrityError:
            existing = model.objects.filter(**{key_field: key}).first()
            if existing is None:
                raise
        else:
            audit_record(actor=actor, action="post", obj=record, changes=_describe(values))
            return record, True
    differences = differing_fields(existing, values)
    if differences:
        raise Conflict(
            _("%(model)s %(key)s is already posted with different %(fields)s.")
            % {"model": model._meta.verbose_name, "key": key, "fields": ", ".join(differences)}
        )
    return existing, False


def differing_fields(record, values: Mapping) -> list[str]:
    """Names of the fields whose stored value differs from `values`."""
    differences = []
    for field, value in values.items():
        stored = getattr(record, f"{field}_id") if hasattr(value, "pk") else getattr(record, field)
        wanted = value.pk if hasattr(value, "pk") else value
        if isinstance(stored, Decimal) and wanted is not None:
            wanted = Decimal(wanted)
        if stored != wanted:
            differences.append(field)
    return differences


def _describe(values: Mapping) -> dict:
    return {field: [None, str(value)] for field, value in values.items()}


# What higher layers do when cash comes in (collections releases a supply hold the moment
# the customer's overdue amount reaches zero); they register at start-up, so the ledger
# never imports them.
_PAYMENT_HOOKS: dict[str, Callable[[Payment, dt.date], None]] = {}


def register_payment_hook(name: str, hook: Callable[[Payment, dt.date], None]) -> None:
    """`hook(payment, up_to)` runs after each new payment, `up_to` the later of its date and
    today (when the edge told today)."""
    _PAYMENT_HOOKS[name] = hook


def _after_payment(payment: Payment, today: dt.date | None) -> None:
    up_to = max(payment.date, today) if today else payment.date
    for hook in _PAYMENT_HOOKS.values():
        hook(payment, up_to)
