"""What a pipeline write is given, checked and normalised: the detail fields, money,
risk-form scores, stages and closing reasons (ValidationError naming the field)."""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from salesdesk.core.inputs import decimal_of
from salesdesk.customers.choices import LeadSource
from salesdesk.pipeline.choices import (
    CLOSED_STAGES,
    FACTOR_NUMBERS,
    Stage,
)

Outcome = Literal["created", "updated", "unchanged"]

# Money columns are DecimalField(max_digits=18); SQLite keeps 15 significant digits.
MAX_VALUE = Decimal("10") ** 13
DETAIL_FIELDS = (
    "name", "source", "value", "expected_close", "competitors", "purchase_criteria",
    "spec_in_tender",
)  # fmt: skip
QUALIFICATION_FIELDS = (
    "need", "need_evidence", "budget", "budget_evidence", "decision_maker_known",
    "decision_maker_evidence",
)  # fmt: skip
QUESTION_FIELDS = (
    "is_real", "is_real_notes", "can_win", "can_win_notes", "worth_winning",
    "worth_winning_notes", "resources", "next_steps",
)  # fmt: skip
TEXT_FIELDS = {
    "name", "competitors", "purchase_criteria", "need_evidence", "budget_evidence",
    "decision_maker_evidence", "is_real_notes", "can_win_notes", "worth_winning_notes",
    "resources", "next_steps", "risk_notes",
}  # fmt: skip


def _money(value, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    amount = decimal_of(value, field, places=2)
    if amount < 0:
        raise ValidationError({field: _("The value cannot be negative.")})
    if amount >= MAX_VALUE:
        raise ValidationError({field: _("The value is too large.")})
    return amount.quantize(Decimal("0.01"))


def clean_values(values: Mapping) -> dict:
    """Normalise and validate the detail fields given; raises ValidationError per field."""
    values = dict(values)
    errors = {}
    for field in TEXT_FIELDS & values.keys():
        values[field] = "" if values[field] is None else str(values[field]).strip()
    if "name" in values:
        values["name"] = " ".join(values["name"].split())
        if not values["name"]:
            errors["name"] = _("An opportunity needs a name.")
        elif len(values["name"]) > 200:
            errors["name"] = _("At most 200 characters.")
    if "source" in values:
        values["source"] = values["source"] or ""
        if values["source"] and values["source"] not in LeadSource.values:
            errors["source"] = _("Unknown lead source %(value)s.") % {"value": values["source"]}
    if "value" in values:
        try:
            values["value"] = _money(values["value"], "value")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if "spec_in_tender" in values:
        values["spec_in_tender"] = bool(values["spec_in_tender"])
    if errors:
        raise ValidationError(errors)
    return values


def clean_factors(factors: Mapping) -> dict[str, int | None]:
    """{1: 4, "f2": 3, ...} -> {"f1": 4, "f2": 3}; each 1-5 or None."""
    cleaned, errors = {}, {}
    for key, raw in factors.items():
        number = int(str(key).lstrip("f")) if str(key).lstrip("f").isdigit() else None
        if number not in FACTOR_NUMBERS:
            errors[str(key)] = _("Unknown risk factor.")
            continue
        field = f"f{number}"
        if raw is None or raw == "":
            cleaned[field] = None
            continue
        try:
            score = int(Decimal(str(raw)))
            whole = Decimal(str(raw)) == score
        except (InvalidOperation, ValueError, OverflowError):
            whole, score = False, 0
        if not whole or not 1 <= score <= 5:
            errors[field] = _("A factor is scored 1 to 5.")
        else:
            cleaned[field] = score
    if errors:
        raise ValidationError(errors)
    return cleaned


def stage_checked(stage: str) -> str:
    if stage not in Stage.values:
        raise ValidationError({"stage": _("Unknown stage %(value)s.") % {"value": stage}})
    return stage


def closing_reason_checked(stage: str, reason: str) -> str:
    reason = (reason or "").strip()
    if stage in CLOSED_STAGES and not reason:
        messages = {
            Stage.WON: _("Say why it was won."),
            Stage.LOST: _("Say why it was lost."),
            Stage.ABANDONED: _("Say why it is abandoned."),
        }
        raise ValidationError({"reason": messages[stage]})
    return reason
