"""The asset-offset workflow (以物抵债, DOMAIN §5): sales applies, finance appraises, supply
accepts the goods (the appraised value is posted as a payment) or either rejects."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesdesk.core.choices import Role
from salesdesk.core.models import User
from salesdesk.core.services import audit_record
from salesdesk.customers.models import Project
from salesdesk.ledger.choices import OffsetStatus, OffsetStep, PaymentMethod
from salesdesk.ledger.models import AssetOffset, AssetOffsetStep, Payment
from salesdesk.ledger.posting import (
    RecordDates,
    _after_payment,
    _post_once,
    _require_role,
    _require_visible,
    money,
)


def _offset_step(offset: AssetOffset, step: str, actor: User, value=None, note: str = "") -> None:
    AssetOffsetStep.objects.create(offset=offset, step=step, actor=actor, value=value, note=note)
    audit_record(actor=actor, action=f"offset_{step}", obj=offset.project, reason=note,
                 changes={"asset_offset": [None, f"#{offset.pk} {step} {value or ''}".strip()]})  # fmt: skip


@transaction.atomic
def offset_apply(*, actor: User, project: Project, items: str, claimed_value) -> AssetOffset:
    """Sales applies to settle debt with goods or assets."""
    _require_role(
        actor,
        (Role.SALES, Role.MANAGER, Role.ADMIN),
        _("Only sales may apply for an asset offset."),
    )
    _require_visible(actor, project)
    if not items.strip():
        raise ValidationError({"items": _("Describe the goods or assets offered.")})
    claimed = money(claimed_value, "claimed_value")
    offset = AssetOffset.objects.create(project=project, items=items.strip(), claimed_value=claimed)
    _offset_step(offset, OffsetStep.APPLY, actor, claimed, items.strip())
    return offset


def _locked_offset(offset: AssetOffset) -> AssetOffset:
    # Lock the row so two people acting on one offset cannot both move it.
    return AssetOffset.objects.select_for_update().select_related("project").get(pk=offset.pk)


@transaction.atomic
def offset_appraise(
    *, actor: User, offset: AssetOffset, appraised_value, note: str = ""
) -> AssetOffset:
    """Finance sets the value the goods are worth to us."""
    _require_role(
        actor, (Role.FINANCE, Role.ADMIN), _("Only finance may appraise an asset offset.")
    )
    offset = _locked_offset(offset)
    if offset.status != OffsetStatus.APPLIED:
        raise ValidationError(_("This offset is not waiting for an appraisal."))
    offset.appraised_value = money(appraised_value, "appraised_value")
    offset.status = OffsetStatus.APPRAISED
    offset.save(update_fields=["appraised_value", "status", "updated_at"])
    _offset_step(offset, OffsetStep.APPRAISE, actor, offset.appraised_value, note)
    return offset


@transaction.atomic
def offset_accept(
    *, actor: User, offset: AssetOffset, date: dt.date, note: str = "",
    today: dt.date | None = None,
) -> Payment:  # fmt: skip
    """Supply takes delivery of the goods; a payment of method "offset" at the appraised
    value is posted on `date`."""
    _require_role(actor, (Role.SUPPLY, Role.ADMIN), _("Only supply may accept offset goods."))
    RecordDates.on(today).check(date)
    offset = _locked_offset(offset)
    if offset.status != OffsetStatus.APPRAISED:
        raise ValidationError(_("This offset has not been appraised."))
    payment, _created = _post_once(
        Payment, "reference", f"OFFSET-{offset.pk}",
        {"project": offset.project, "date": date, "amount": offset.appraised_value,
         "method": PaymentMethod.OFFSET},
        actor,
    )  # fmt: skip
    _after_payment(payment, today)
    offset.payment = payment
    offset.status = OffsetStatus.POSTED
    offset.save(update_fields=["payment", "status", "updated_at"])
    _offset_step(offset, OffsetStep.ACCEPT, actor, offset.appraised_value, note)
    return payment


@transaction.atomic
def offset_reject(*, actor: User, offset: AssetOffset, reason: str) -> AssetOffset:
    """Finance rejects before appraisal, supply before acceptance; either with a reason."""
    offset = _locked_offset(offset)
    step_roles = {OffsetStatus.APPLIED: Role.FINANCE, OffsetStatus.APPRAISED: Role.SUPPLY}
    if offset.status not in step_roles:
        raise ValidationError(_("This offset is already closed."))
    _require_role(
        actor, (step_roles[offset.status], Role.ADMIN), _("It is not your step to reject.")
    )
    if not reason.strip():
        raise ValidationError({"reason": _("A rejection needs a reason.")})
    offset.status = OffsetStatus.REJECTED
    offset.save(update_fields=["status", "updated_at"])
    _offset_step(offset, OffsetStep.REJECT, actor, None, reason.strip())
    return offset
