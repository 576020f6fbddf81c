"""Writes to the pipeline. The UI, the API and the importer all come through here.

Every service is keyword-only, atomic, validates its input (ValidationError naming the
field), checks the actor (PermissionDenied), and writes an audit entry for a change.
`actor=None` is the system (an import run by an administrator from the command line).
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from salesdesk.core.access import assignable_owners
from salesdesk.core.errors import PermissionDenied
from salesdesk.core.models import User
from salesdesk.core.services import audit_record, insert_once
from salesdesk.customers.choices import CustomerStatus
from salesdesk.customers.models import Customer
from salesdesk.pipeline import access
from salesdesk.pipeline.choices import (
    CLOSED_STAGES,
    ContactLevel,
    Stage,
)
from salesdesk.pipeline.models import FabProduct, Opportunity, OpportunityTouch
from salesdesk.pipeline.scoring import ScoreRule
from salesdesk.pipeline.values import (
    DETAIL_FIELDS,
    Outcome,
    clean_factors,
    clean_values,
    closing_reason_checked,
    stage_checked,
)

# Checks ------------------------------------------------------------------------------


def _require_open(opportunity: Opportunity) -> None:
    if not opportunity.is_open:
        raise ValidationError(
            {"stage": _("The opportunity is %(stage)s; reopen it first.")
             % {"stage": opportunity.get_stage_display()}}
        )  # fmt: skip


def _require_assignable(actor: User | None, owner: User) -> None:
    if actor is not None and not assignable_owners(actor).filter(pk=owner.pk).exists():
        raise ValidationError(
            {"owner": _("You cannot assign opportunities to %(user)s.") % {"user": owner}}
        )


def _lock(opportunity: Opportunity) -> Opportunity:
    """Lock the row until the transaction ends (PostgreSQL) and reread it, so a change
    is checked against what is stored, not against what the caller read earlier."""
    list(Opportunity.objects.select_for_update().filter(pk=opportunity.pk).values_list("pk"))
    opportunity.refresh_from_db()
    return opportunity


# Values ------------------------------------------------------------------------------


def _next_code() -> str:
    last = (
        Opportunity.objects.filter(code__regex=r"^O[0-9]+$")
        .order_by(Length("code").desc(), "-code")
        .values_list("code", flat=True)
        .first()
    )
    return f"O{(int(last[1:]) if last else 0) + 1:06d}"


def _plain(value):
    if isinstance(value, dt.date | Decimal):
        return str(value)
    return value


# Opportunities -----------------------------------------------------------------------


@transaction.atomic
def opportunity_create(
    *,
    actor: User | None,
    customer: Customer,
    name: str,
    code: str = "",
    owner: User | None = None,
    source: str = "",
    stage: str = Stage.LEAD,
    value=None,
    expected_close: dt.date | None = None,
    competitors: str = "",
    purchase_criteria: str = "",
    spec_in_tender: bool = False,
    products: Iterable[FabProduct] = (),
    reason: str = "",
    on: dt.date | None = None,
) -> Opportunity:
    """Open an opportunity at a customer. The owner defaults to the customer's owner,
    the lead source to the customer's, a blank code to the next free `O` number."""
    access.require_create(actor)
    if customer.status == CustomerStatus.BLACKLISTED:
        raise ValidationError({"customer": _("The customer is blacklisted.")})
    owner = owner or customer.owner
    _require_assignable(actor, owner)
    values = clean_values(
        {
            "name": name, "source": source or customer.source, "value": value,
            "expected_close": expected_close, "competitors": competitors,
            "purchase_criteria": purchase_criteria, "spec_in_tender": spec_in_tender,
        }
    )  # fmt: skip
    stage = stage_checked(stage)
    reason = closing_reason_checked(stage, reason)
    code = (code or "").strip() or _next_code()
    if len(code) > 30:
        raise ValidationError({"code": _("At most 30 characters.")})
    opportunity = Opportunity(code=code, customer=customer, owner=owner, stage=stage, **values)
    if stage in CLOSED_STAGES:
        opportunity.closed_on = on or dt.date.today()
        opportunity.closed_reason = reason
    insert_once(opportunity, "code", _("Opportunity code %(code)s is taken.") % {"code": code})
    products = list(products)
    if products:
        opportunity.products.set(products)
    audit_record(
        actor=actor,
        action="create",
        obj=opportunity,
        changes={
            "code": [None, code], "customer": [None, customer.code],
            "owner": [None, owner.username], "stage": [None, stage],
            **{field: [None, _plain(v)] for field, v in values.items() if v not in ("", None, False)},
            **({"products": [None, ", ".join(p.name for p in products)]} if products else {}),
        },
        reason=reason,
    )  # fmt: skip
    return opportunity


@transaction.atomic
def opportunity_update(*, actor: User | None, opportunity: Opportunity, **values) -> dict:
    """Change the details of an opportunity: name, source, value, expected close,
    competitors, purchase criteria, spec in tender, products, and (managers and
    administrators) the owner. The stage changes through `opportunity_set_stage`."""
    allowed = {*DETAIL_FIELDS, "owner", "products"}
    unknown = set(values) - allowed
    if unknown:
        raise ValidationError({field: _("Not a field you can change here.") for field in unknown})
    current = _lock(opportunity)
    access.require_edit(actor, current)
    owner = values.pop("owner", None)
    products = values.pop("products", None)
    values = clean_values(values)
    changes = {field: [_plain(a), _plain(b)] for field, (a, b) in _pairs(current, values)}
    if owner is not None and owner.pk != current.owner_id:
        if actor is not None and not access.can_change_owner(actor):
            raise PermissionDenied(_("Only a manager or an administrator may reassign."))
        _require_assignable(actor, owner)
        changes["owner"] = [current.owner.username, owner.username]
        current.owner = owner
    for field, value in values.items():
        setattr(current, field, value)
    if products is not None:
        products = list(products)
        before = sorted(current.products.values_list("name", flat=True))
        after = sorted(p.name for p in products)
        if before != after:
            current.products.set(products)
            changes["products"] = [", ".join(before), ", ".join(after)]
    if changes:
        current.save()
        audit_record(actor=actor, action="update", obj=current, changes=changes)
    return changes


def _pairs(instance, values: Mapping):
    for field, new in values.items():
        old = getattr(instance, field)
        if old != new:
            yield field, (old, new)


@transaction.atomic
def opportunity_qualify(
    *,
    actor: User | None,
    opportunity: Opportunity,
    need: bool | None,
    budget: bool | None,
    decision_maker_known: bool | None,
    need_evidence: str = "",
    budget_evidence: str = "",
    decision_maker_evidence: str = "",
) -> dict:
    """Record the three checks of a qualified customer (合格客户), each yes, no or not
    known yet, with the evidence."""
    current = _lock(opportunity)
    access.require_edit(actor, current)
    values = clean_values(
        {
            "need": need, "need_evidence": need_evidence, "budget": budget,
            "budget_evidence": budget_evidence, "decision_maker_known": decision_maker_known,
            "decision_maker_evidence": decision_maker_evidence,
        }
    )  # fmt: skip
    return _save_section(actor, current, values, "qualify")


@transaction.atomic
def opportunity_assess(
    *,
    actor: User | None,
    opportunity: Opportunity,
    is_real: bool | None,
    can_win: bool | None,
    worth_winning: bool | None,
    is_real_notes: str = "",
    can_win_notes: str = "",
    worth_winning_notes: str = "",
    resources: str = "",
    next_steps: str = "",
) -> dict:
    """Answer the four questions: is it real, can we win, is it worth winning, and
    what will winning take (resources, next steps)."""
    current = _lock(opportunity)
    access.require_edit(actor, current)
    values = clean_values(
        {
            "is_real": is_real, "is_real_notes": is_real_notes, "can_win": can_win,
            "can_win_notes": can_win_notes, "worth_winning": worth_winning,
            "worth_winning_notes": worth_winning_notes, "resources": resources,
            "next_steps": next_steps,
        }
    )  # fmt: skip
    return _save_section(actor, current, values, "assess")


@transaction.atomic
def opportunity_score(
    *,
    actor: User | None,
    opportunity: Opportunity,
    factors: Mapping,
    notes: str | None = None,
    on: dt.date | None = None,
) -> dict:
    """Fill in the risk-assessment form: factors {1..7 or "f1".."f7": 1-5 or None}.
    Factors not given keep their value. The audit entry carries the score before and
    after, with the policy of `on` (today)."""
    current = _lock(opportunity)
    access.require_edit(actor, current)
    values = clean_factors(factors)
    if notes is not None:
        values["risk_notes"] = notes.strip()
    rule = ScoreRule.as_of_date(on)
    before = current.evaluate(rule)
    changes = _changes(current, values)
    if not changes:
        return {}
    for field, value in values.items():
        setattr(current, field, value)
    after = current.evaluate(rule)
    current.scored_on = (on or dt.date.today()) if after.complete else None
    current.save()
    if before.published != after.published:
        changes["score"] = [_plain(before.published), _plain(after.published)]
    audit_record(actor=actor, action="score", obj=current, changes=changes)
    return changes


def _changes(instance, values: Mapping) -> dict:
    return {field: [_plain(old), _plain(new)] for field, (old, new) in _pairs(instance, values)}


def _save_section(actor, current, values, action) -> dict:
    changes = _changes(current, values)
    if changes:
        for field, value in values.items():
            setattr(current, field, value)
        current.save()
        audit_record(actor=actor, action=action, obj=current, changes=changes)
    return changes


@transaction.atomic
def opportunity_set_stage(
    *,
    actor: User | None,
    opportunity: Opportunity,
    stage: str,
    reason: str = "",
    on: dt.date | None = None,
) -> bool:
    """Move an opportunity to a stage. Won, lost and abandoned close it and need a
    reason; moving a closed one to an open stage reopens it. Returns whether it moved."""
    current = _lock(opportunity)
    access.require_edit(actor, current)
    stage = stage_checked(stage)
    reason = closing_reason_checked(stage, reason)
    if stage == current.stage:
        return False
    changes = {"stage": [current.stage, stage]}
    if stage in CLOSED_STAGES:
        current.closed_on = on or dt.date.today()
        current.closed_reason = reason
        changes["closed_on"] = [None, str(current.closed_on)]
    elif not current.is_open:
        changes["closed_on"] = [str(current.closed_on), None]
        current.closed_on, current.closed_reason = None, ""
    current.stage = stage
    current.save()
    audit_record(actor=actor, action="set_stage", obj=current, changes=changes, reason=reason)
    return True


def opportunity_abandon(
    *, actor: User | None, opportunity: Opportunity, reason: str, on: dt.date | None = None
) -> bool:
    """Give up an opportunity (typically one that failed screening), with the reason."""
    return opportunity_set_stage(
        actor=actor, opportunity=opportunity, stage=Stage.ABANDONED, reason=reason, on=on
    )


@transaction.atomic
def opportunity_reduce(
    *, actor: User | None, opportunity: Opportunity, reason: str = "", on: dt.date | None = None
) -> None:
    """Put an opportunity that failed screening on reduced contact (降低接触级别): its
    owner is then reminded of a minimal touch every policy `risk.reduced_contact_days`."""
    current = _lock(opportunity)
    access.require_edit(actor, current)
    _require_open(current)
    on = on or dt.date.today()
    if current.contact_level == ContactLevel.REDUCED:
        raise ValidationError(_("The opportunity is already on reduced contact."))
    evaluation = current.evaluate(ScoreRule.as_of_date(on))
    if not evaluation.failed:
        raise ValidationError(
            _(
                "Only an opportunity whose risk form scores below the passing score can be put on reduced contact."
            )
        )
    current.contact_level = ContactLevel.REDUCED
    current.reduced_on = on
    current.reduced_reason = (reason or "").strip()
    current.save()
    audit_record(
        actor=actor, action="reduce_contact", obj=current,
        changes={"contact_level": [ContactLevel.NORMAL, ContactLevel.REDUCED],
                 "reduced_on": [None, str(on)]},
        reason=current.reduced_reason,
    )  # fmt: skip


@transaction.atomic
def opportunity_resume(*, actor: User | None, opportunity: Opportunity, reason: str = "") -> None:
    """Back to normal contact: things changed, the opportunity is worked again."""
    current = _lock(opportunity)
    access.require_edit(actor, current)
    if current.contact_level != ContactLevel.REDUCED:
        raise ValidationError(_("The opportunity is not on reduced contact."))
    current.contact_level = ContactLevel.NORMAL
    current.save()
    audit_record(
        actor=actor, action="resume_contact", obj=current,
        changes={"contact_level": [ContactLevel.REDUCED, ContactLevel.NORMAL]},
        reason=(reason or "").strip(),
    )  # fmt: skip


@transaction.atomic
def opportunity_touch(
    *, actor: User | None, opportunity: Opportunity, date: dt.date | None = None, note: str = ""
) -> OpportunityTouch:
    """Record a minimal touch (a call, a message, a short visit). For an opportunity on
    reduced contact the next touch falls due `risk.reduced_contact_days` after it."""
    current = _lock(opportunity)
    access.require_edit(actor, current)
    _require_open(current)
    date = date or dt.date.today()
    if date > dt.date.today():
        raise ValidationError({"date": _("A touch cannot be in the future.")})
    touch = OpportunityTouch.objects.create(
        opportunity=current, date=date, note=(note or "").strip(), recorded_by=actor
    )
    audit_record(
        actor=actor, action="touch", obj=current, changes={"touch": [None, str(date)]},
        reason=touch.note,
    )  # fmt: skip
    return touch


# The importer's entry point ----------------------------------------------------------


def _yes_no(value) -> bool | None:
    return None if value is None else bool(value)


@transaction.atomic
def opportunity_upsert(
    *,
    actor: User | None,
    code: str,
    customer: Customer,
    name: str,
    owner: User | None = None,
    value=None,
    expected_close: dt.date | None = None,
    stage: str | None = None,
    source: str = "",
    need: bool | None = None,
    budget: bool | None = None,
    decision_maker_known: bool | None = None,
    factors: Mapping[int, int] | None = None,
    reason: str = "",
) -> tuple[Opportunity, Outcome]:
    """Create or update the opportunity `code` from one row of the `opportunities` sheet
    (FORMATS.md). On update, a column left empty (None, "") keeps the stored value, so
    re-importing the same row changes nothing. Closing stages need a reason; an import
    without one records "Recorded by import"."""
    code = (code or "").strip()
    if not code:
        raise ValidationError({"code": _("An opportunity needs a code.")})
    factor_values = clean_factors(factors or {})
    if stage is not None and stage != "":
        stage_checked(stage)
    else:
        stage = None
    if stage in CLOSED_STAGES and not (reason or "").strip():
        reason = _("Recorded by import")
    existing = Opportunity.objects.filter(code=code).select_related("owner", "customer").first()
    if existing is None:
        opportunity = opportunity_create(
            actor=actor, customer=customer, code=code, name=name, owner=owner, source=source,
            stage=stage or Stage.LEAD, value=value, expected_close=expected_close, reason=reason,
        )  # fmt: skip
        qualification = {
            "need": need,
            "budget": budget,
            "decision_maker_known": decision_maker_known,
        }
        if any(v is not None for v in qualification.values()):
            opportunity_qualify(actor=actor, opportunity=opportunity, **qualification)
        if any(v is not None for v in factor_values.values()):
            opportunity_score(actor=actor, opportunity=opportunity, factors=factor_values)
        return opportunity, "created"

    if existing.customer_id != customer.pk:
        raise ValidationError(
            {"customer": _("Opportunity %(code)s belongs to customer %(customer)s.")
             % {"code": code, "customer": existing.customer.code}}
        )  # fmt: skip
    changed = False
    details = {"name": name, "value": value, "expected_close": expected_close, "source": source}
    details = {k: v for k, v in details.items() if v not in (None, "")}
    if owner is not None and owner.pk != existing.owner_id:
        details["owner"] = owner
    changed |= bool(opportunity_update(actor=actor, opportunity=existing, **details))
    qualification = {
        "need": _yes_no(need) if need is not None else existing.need,
        "budget": _yes_no(budget) if budget is not None else existing.budget,
        "decision_maker_known": _yes_no(decision_maker_known)
        if decision_maker_known is not None
        else existing.decision_maker_known,
    }
    if any(getattr(existing, k) != v for k, v in qualification.items()):
        changed |= bool(
            opportunity_qualify(
                actor=actor, opportunity=existing, **qualification,
                need_evidence=existing.need_evidence,
                budget_evidence=existing.budget_evidence,
                decision_maker_evidence=existing.decision_maker_evidence,
            )
        )  # fmt: skip
    given = {k: v for k, v in factor_values.items() if v is not None}
    if given:
        changed |= bool(opportunity_score(actor=actor, opportunity=existing, factors=given))
    if stage is not None and stage != existing.stage:
        changed |= opportunity_set_stage(
            actor=actor, opportunity=existing, stage=stage, reason=reason
        )
    return existing, "updated" if changed else "unchanged"
