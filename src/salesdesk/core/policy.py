"""Company policy: every tunable number of DOMAIN.md, with its default.

The registry below is the single list of policy keys. Values live in PolicyValue rows,
each effective from a date, so a statement for a past month reads the policy that was in
force then (`policy_as_of`). Defaults are written to the database after migrate.
"""

import contextlib
import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from salesdesk.lib.dates import date_in_range
from salesdesk.lib.money import parse_amount

# The date the seeded defaults take effect: before any record a company could import.
DEFAULTS_EFFECTIVE_FROM = dt.date(2000, 1, 1)


class Kind(StrEnum):
    DECIMAL = "decimal"
    INTEGER = "integer"
    TEXT = "text"
    INT_LIST = "int_list"  # "30,60,90"
    BANDS = "bands"  # "100:0, 80:0.5" -> threshold: points, highest threshold first
    PERIOD = "period"  # "month" or "quarter"
    DATE = "date"  # "2000-01-01"


class PolicyError(ValueError):
    """A policy value that cannot be accepted; the message names the key."""


@dataclass(frozen=True)
class Setting:
    key: str
    kind: Kind
    default: str
    label: Promise
    minimum: Decimal | None = None
    maximum: Decimal | None = None

    @property
    def section(self) -> str:
        return self.key.rsplit(".", 1)[0]

    def parse(self, raw) -> object:
        """Turn text (or a TOML scalar) into the typed value, or raise PolicyError."""
        text = str(raw).strip()
        try:
            value = _PARSERS[self.kind](text)
        except (ValueError, InvalidOperation) as exc:
            raise PolicyError(f"{self.key}: {raw!r} is not a valid {self.kind} value") from exc
        for number in _numbers_of(self.kind, value):
            if self.minimum is not None and number < self.minimum:
                raise PolicyError(f"{self.key}: {number} is below the minimum {self.minimum}")
            if self.maximum is not None and number > self.maximum:
                raise PolicyError(f"{self.key}: {number} is above the maximum {self.maximum}")
        return value

    def format(self, value) -> str:
        """The canonical text of a typed value (what is stored)."""
        if self.kind == Kind.INT_LIST:
            return ",".join(str(v) for v in value)
        if self.kind == Kind.BANDS:
            return ", ".join(f"{threshold}:{points}" for threshold, points in value)
        return str(value)


# Shares and weights may need more places than money; the text is still a plain decimal.
_POLICY_PLACES = 12


def _parse_decimal(text: str) -> Decimal:
    return parse_amount(text, places=_POLICY_PLACES)


def _parse_integer(text: str) -> int:
    value = parse_amount(text, places=_POLICY_PLACES)
    if value != value.to_integral_value():
        raise ValueError(text)
    return int(value)


def _parse_int_list(text: str) -> tuple[int, ...]:
    values = tuple(_parse_integer(part) for part in text.split(",") if part.strip())
    if not values or list(values) != sorted(set(values)):
        raise ValueError(text)
    return values


def _parse_bands(text: str) -> tuple[tuple[Decimal, Decimal], ...]:
    bands = []
    for part in text.split(","):
        if not part.strip():
            continue
        threshold, points = part.split(":")
        bands.append((_parse_decimal(threshold.strip()), _parse_decimal(points.strip())))
    thresholds = [threshold for threshold, _points in bands]
    if not bands or thresholds != sorted(set(thresholds), reverse=True):
        raise ValueError(text)
    return tuple(bands)


def _parse_period(text: str) -> str:
    if text not in {"month", "quarter"}:
        raise ValueError(text)
    return text


def _parse_text(text: str) -> str:
    return text


def _parse_date(text: str) -> dt.date:
    return date_in_range(dt.date.fromisoformat(text))


_PARSERS = {
    Kind.DECIMAL: _parse_decimal,
    Kind.INTEGER: _parse_integer,
    Kind.TEXT: _parse_text,
    Kind.INT_LIST: _parse_int_list,
    Kind.BANDS: _parse_bands,
    Kind.PERIOD: _parse_period,
    Kind.DATE: _parse_date,
}


def _numbers_of(kind: Kind, value) -> Iterable[Decimal]:
    if kind in (Kind.DECIMAL, Kind.INTEGER):
        yield Decimal(value)
    elif kind == Kind.INT_LIST:
        yield from (Decimal(v) for v in value)
    elif kind == Kind.BANDS:
        for _threshold, points in value:
            yield points


D = Decimal
_PCT = {"minimum": D(0), "maximum": D(100)}
_NONNEG = {"minimum": D(0)}
_DAYS = {"minimum": D(0), "maximum": D(3650)}

SETTINGS: tuple[Setting, ...] = (
    # Tiering (DOMAIN §2)
    Setting("tiering.share_strategic", Kind.INTEGER, "2", _("Tier ratio: strategic share"), **_NONNEG),
    Setting("tiering.share_key", Kind.INTEGER, "3", _("Tier ratio: key share"), **_NONNEG),
    Setting("tiering.share_general", Kind.INTEGER, "5", _("Tier ratio: general share"), **_NONNEG),
    Setting("tiering.weight_business", Kind.DECIMAL, "0.4", _("Tier score weight: business score"), **_NONNEG),
    Setting("tiering.weight_rating", Kind.DECIMAL, "0.3", _("Tier score weight: credit rating"), **_NONNEG),
    Setting("tiering.weight_scale", Kind.DECIMAL, "0.3", _("Tier score weight: scale"), **_NONNEG),
    # Tier policy (DOMAIN §2)
    Setting("tier.strategic.discount_pct", Kind.DECIMAL, "3", _("Strategic: price discount (%)"), **_PCT),
    Setting("tier.strategic.credit_limit", Kind.DECIMAL, "5000000.00", _("Strategic: credit limit"), **_NONNEG),
    Setting("tier.strategic.payment_terms_days", Kind.INTEGER, "90", _("Strategic: payment terms (days)"), **_DAYS),
    Setting("tier.strategic.visits_required", Kind.INTEGER, "2", _("Strategic: visits required per period"), **_NONNEG),
    Setting("tier.strategic.visit_period", Kind.PERIOD, "month", _("Strategic: visit period")),
    Setting("tier.key.discount_pct", Kind.DECIMAL, "2", _("Key: price discount (%)"), **_PCT),
    Setting("tier.key.credit_limit", Kind.DECIMAL, "2000000.00", _("Key: credit limit"), **_NONNEG),
    Setting("tier.key.payment_terms_days", Kind.INTEGER, "60", _("Key: payment terms (days)"), **_DAYS),
    Setting("tier.key.visits_required", Kind.INTEGER, "1", _("Key: visits required per period"), **_NONNEG),
    Setting("tier.key.visit_period", Kind.PERIOD, "month", _("Key: visit period")),
    Setting("tier.general.discount_pct", Kind.DECIMAL, "0", _("General: price discount (%)"), **_PCT),
    Setting("tier.general.credit_limit", Kind.DECIMAL, "500000.00", _("General: credit limit"), **_NONNEG),
    Setting("tier.general.payment_terms_days", Kind.INTEGER, "30", _("General: payment terms (days)"), **_DAYS),
    Setting("tier.general.visits_required", Kind.INTEGER, "1", _("General: visits required per period"), **_NONNEG),
    Setting("tier.general.visit_period", Kind.PERIOD, "quarter", _("General: visit period")),
    # Customer evaluation (DOMAIN §3)
    *(
        Setting(f"risk.weight_f{n}", Kind.DECIMAL, "1", label, **_NONNEG)
        for n, label in enumerate(
            (
                _("Risk factor weight: customer scale and budget"),
                _("Risk factor weight: customer funding and credit"),
                _("Risk factor weight: fit of our offer to the need"),
                _("Risk factor weight: customer's relationship with competitors"),
                _("Risk factor weight: our position against competitors"),
                _("Risk factor weight: profitability"),
                _("Risk factor weight: other business it opens"),
            ),
            start=1,
        )
    ),
    Setting("risk.pass_score", Kind.DECIMAL, "60", _("Risk form: passing score"), **_PCT),
    Setting("risk.class_a_score", Kind.DECIMAL, "75", _("Pipeline class A/B: minimum score"), **_PCT),
    Setting("risk.close_window_days", Kind.INTEGER, "90", _("Pipeline class A/C: close within (days)"), **_DAYS),
    Setting("risk.reduced_contact_days", Kind.INTEGER, "90", _("Reduced contact: touch every (days)"), **_DAYS),
    # Claim protection (DOMAIN §9)
    Setting("claims.protection_days", Kind.INTEGER, "90", _("Prospect registration protects for (days)"), **_DAYS),
    # Receivables (DOMAIN §5)
    Setting("company.start_date", Kind.DATE, "2000-01-01", _("Company start: the earliest date of a money record")),
    Setting("aging.bounds", Kind.INT_LIST, "30,60,90,180,365", _("Aging bucket upper bounds (days past due)")),
    # Collections (DOMAIN §6)
    Setting("collections.task_draft_day", Kind.INTEGER, "25", _("Collection tasks: draft next month from day"), minimum=D(1), maximum=D(28)),
    Setting("collections.letter_first_after_days", Kind.INTEGER, "30", _("Letter 1: days past due"), **_DAYS),
    Setting("collections.letter_interval_days", Kind.INTEGER, "15", _("Letters: days between letters"), minimum=D(1), maximum=D(365)),
    Setting("collections.letter_max", Kind.INTEGER, "3", _("Letters: number before supply hold"), minimum=D(1), maximum=D(10)),
    Setting("collections.hold_after_days", Kind.INTEGER, "15", _("Supply hold: days after the last letter"), **_DAYS),
    Setting("collections.legal_after_days", Kind.INTEGER, "180", _("Legal recovery: days overdue"), **_DAYS),
    Setting("letterhead.company_name_zh", Kind.TEXT, "示例建材集团有限公司", _("Letterhead: company name (Chinese)")),
    Setting("letterhead.company_name_en", Kind.TEXT, "Example Building Materials Group Co., Ltd.", _("Letterhead: company name (English)")),
    Setting("letterhead.address", Kind.TEXT, "", _("Letterhead: address")),
    Setting("letterhead.phone", Kind.TEXT, "", _("Letterhead: telephone")),
    # Compensation (DOMAIN §7)
    Setting("commission.base_rate_strategic", Kind.DECIMAL, "1.5", _("Commission base rate: strategic (%)"), **_PCT),
    Setting("commission.base_rate_key", Kind.DECIMAL, "2.0", _("Commission base rate: key (%)"), **_PCT),
    Setting("commission.base_rate_general", Kind.DECIMAL, "2.5", _("Commission base rate: general (%)"), **_PCT),
    Setting("commission.penalty_bands", Kind.BANDS, "100:0, 80:0.5, 50:1.0, 0:1.5", _("Penalty points by task completion (% at least: points)"), **_NONNEG),
    Setting("commission.legal_penalty_points", Kind.DECIMAL, "3", _("Penalty points on cash from projects in legal recovery"), minimum=D(0), maximum=D(5)),
    Setting("commission.old_debt_bands", Kind.BANDS, "365:1.0, 181:0.5", _("Old-debt bonus points (days overdue more than: points)"), **_NONNEG),
    Setting("commission.holdback_pct", Kind.DECIMAL, "30", _("Commission held back until 100% collected (%)"), **_PCT),
    Setting("advances.cap_pct", Kind.DECIMAL, "1", _("Expense advances cap (percent of billed amount × collection ratio)"), **_PCT),
    # Balanced scorecard (DOMAIN §8)
    Setting("scorecard.weight_volume", Kind.DECIMAL, "1", _("Scorecard weight: volume"), **_NONNEG),
    Setting("scorecard.weight_collection", Kind.DECIMAL, "1", _("Scorecard weight: collection completion"), **_NONNEG),
    Setting("scorecard.weight_new_customers", Kind.DECIMAL, "1", _("Scorecard weight: new customers"), **_NONNEG),
    Setting("scorecard.weight_price_discipline", Kind.DECIMAL, "1", _("Scorecard weight: price discipline"), **_NONNEG),
    Setting("scorecard.weight_expense_rate", Kind.DECIMAL, "1", _("Scorecard weight: expense rate"), **_NONNEG),
    Setting("scorecard.weight_visit_compliance", Kind.DECIMAL, "1", _("Scorecard weight: visit compliance"), **_NONNEG),
    # API tokens (docs/api.md)
    Setting("tokens.expiry_days", Kind.INTEGER, "90", _("API tokens: valid for (days)"), minimum=D(1), maximum=D(3650)),
)  # fmt: skip

REGISTRY: dict[str, Setting] = {setting.key: setting for setting in SETTINGS}


def setting(key: str) -> Setting:
    try:
        return REGISTRY[key]
    except KeyError:
        raise PolicyError(f"{key}: unknown policy key") from None


class Policy:
    """The policy values in force on one date, typed. `policy["risk.pass_score"]`."""

    def __init__(self, as_of: dt.date, raw: dict[str, str]):
        self.as_of = as_of
        self._values = {key: REGISTRY[key].parse(text) for key, text in raw.items()}

    def __getitem__(self, key: str):
        if key not in self._values:
            return setting(key).parse(setting(key).default)
        return self._values[key]

    def text(self, key: str) -> str:
        return setting(key).format(self[key])


# The policies read during the current request, by date: a page reads the policy from
# several selectors, and one query per request is enough. Set only between a request's
# start and finish (see CoreConfig.ready), per thread; outside requests (commands, tests
# calling selectors) every call reads the database.
_request = threading.local()


def policy_request_started(**_kwargs) -> None:
    _request.policies = {}


def policy_request_finished(**_kwargs) -> None:
    _request.policies = None


def policy_forget() -> None:
    """After a policy change, the rest of the request reads the new values."""
    if getattr(_request, "policies", None) is not None:
        _request.policies = {}


def policy_as_of(as_of: dt.date | None = None) -> Policy:
    """The policy in force on `as_of` (today when omitted), in one query (once per request)."""
    as_of = as_of or dt.date.today()
    memo = getattr(_request, "policies", None)
    if memo is not None and as_of in memo:
        return memo[as_of]
    policy = _policy_load(as_of)
    if memo is not None:
        memo[as_of] = policy
    return policy


def _policy_load(as_of: dt.date) -> Policy:
    from salesdesk.core.models import PolicyValue

    raw: dict[str, str] = {}
    rows = (
        PolicyValue.objects.filter(effective_from__lte=as_of, key__in=REGISTRY.keys())
        .order_by("key", "-effective_from")
        .values_list("key", "value")
    )
    for key, value in rows:
        raw.setdefault(key, value)
    return Policy(as_of, raw)


def seed_defaults(using: str = "default") -> int:
    """Store the default of every key that has no value yet. Returns how many were added."""
    from salesdesk.core.models import PolicyValue

    present = set(PolicyValue.objects.using(using).values_list("key", flat=True).distinct())
    missing = [
        PolicyValue(
            key=s.key, value=s.format(s.parse(s.default)), effective_from=DEFAULTS_EFFECTIVE_FROM
        )
        for s in SETTINGS
        if s.key not in present
    ]
    PolicyValue.objects.using(using).bulk_create(missing)
    return len(missing)


def seed_defaults_after_migrate(sender, using="default", plan=None, **kwargs):
    from django.db.utils import OperationalError, ProgrammingError

    # Migrating backwards past the policy table leaves nothing to seed.
    with contextlib.suppress(OperationalError, ProgrammingError):
        seed_defaults(using)
