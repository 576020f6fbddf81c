"""Collections writes made by people: task sign-off, letters sent by hand, hold
overrides, sending a project to legal recovery. The daily cycle is in cycle.py."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesdesk.collections.choices import LegalReason, TaskStatus
from salesdesk.collections.cycle import cycle_catch_up, letter_states
from salesdesk.collections.measures import unsettled_due_before
from salesdesk.collections.models import CollectionTask, DunningLetter, HoldOverride, LegalCase
from salesdesk.collections.selectors import holds_in_force
from salesdesk.core.access import Action, require
from salesdesk.core.choices import Role
from salesdesk.core.models import User
from salesdesk.core.policy import policy_as_of
from salesdesk.core.services import audit_record
from salesdesk.customers.choices import ProjectStatus
from salesdesk.customers.models import Project

# The department a task is signed for, and the action that signing is.
SIGN_AS = {Role.MARKETING: Action.TASK_SIGN_MARKETING, Role.FINANCE: Action.TASK_SIGN_FINANCE}


# Task sign-off -----------------------------------------------------------------------


@transaction.atomic
def tasks_sign(*, actor: User, task_ids: list[int], as_role: str, at: dt.datetime) -> int:
    """Sign drafts as marketing or as finance, at the moment `at`. Two sign-offs by two
    different people issue a task; nobody signs a task of their own; a draft whose month
    has ended has lapsed and is not signed. Returns how many were signed."""
    if as_role not in SIGN_AS:
        raise ValidationError(_("Tasks are signed by marketing or by finance."))
    require(actor, SIGN_AS[as_role], _("You do not sign for this department."))
    field = "marketing" if as_role == Role.MARKETING else "finance"
    other = "finance" if field == "marketing" else "marketing"
    tasks = list(
        CollectionTask.objects.select_for_update()
        .filter(pk__in=task_ids, status=TaskStatus.DRAFT)
        .select_related("project")
    )
    signed = []
    for task in tasks:
        if getattr(task, f"{field}_signed_by_id") is not None:
            continue
        if task.salesperson_id == actor.pk:
            raise ValidationError(
                _("You cannot sign your own task (%(project)s).") % {"project": task.project.code}
            )
        if getattr(task, f"{other}_signed_by_id") == actor.pk:
            raise ValidationError(
                _("Task %(project)s needs a second person: you signed it already.")
                % {"project": task.project.code}
            )
        setattr(task, f"{field}_signed_by", actor)
        setattr(task, f"{field}_signed_at", at)
        if getattr(task, f"{other}_signed_by_id") is not None:
            task.status = TaskStatus.ISSUED
        signed.append(task)
    CollectionTask.objects.bulk_update(
        signed, [f"{field}_signed_by", f"{field}_signed_at", "status"], batch_size=2000
    )
    if signed:
        months = sorted({f"{t.month:%Y-%m}" for t in signed})
        audit_record(
            actor=actor, action=f"tasks_sign_{field}", obj=signed[0].project,
            changes={"tasks": [None, len(signed)], "months": [None, ", ".join(months)]},
        )  # fmt: skip
    return len(signed)


# Letters sent by hand ----------------------------------------------------------------


@transaction.atomic
def letter_send_now(*, actor: User, project: Project, on: dt.date | None = None) -> DunningLetter:
    """A manager sends the next letter of the project's sequence today, ahead of the
    cycle. It counts in the same sequence; after the last letter comes the hold."""
    require(actor, Action.LETTER_SEND, _("Only a sales manager may send a letter by hand."))
    on = on or dt.date.today()
    cycle_catch_up(up_to=on - dt.timedelta(days=1))
    project = Project.objects.select_for_update().get(pk=project.pk)  # its status now
    if project.status not in (ProjectStatus.ACTIVE, ProjectStatus.COMPLETED):
        raise ValidationError(_("The project is with the legal office; it gets no letters."))
    overdue = unsettled_due_before(on, {"overdue": on}, [project.pk]).get(project.pk, {})
    amount = overdue.get("overdue")
    if not amount:
        raise ValidationError(_("Nothing of this project is overdue."))
    state = letter_states([project.pk], on).get(project.pk)
    if state is not None and state.last.issued_on == on:
        raise ValidationError(_("This project already had a letter today."))
    last_number = policy_as_of(on)["collections.letter_max"]
    if state is not None and state.current and state.last.number >= last_number:
        raise ValidationError(
            _("The last letter of this sequence was sent; the supply hold comes next.")
        )
    if state is None:
        number, sequence = 1, 1
    else:
        number, sequence = state.next_number(), state.next_sequence()
    letter = DunningLetter.objects.create(
        project=project,
        sequence=sequence,
        number=number,
        issued_on=on,
        amount=amount,
        issued_by=actor,
    )
    audit_record(
        actor=actor, action="letter", obj=project, changes={"letter": [None, f"#{number} {amount}"]}
    )
    return letter


# Supply holds ------------------------------------------------------------------------


@transaction.atomic
def hold_override_grant(*, actor: User, project: Project, reason: str) -> HoldOverride:
    """Let one delivery to a held customer's project through, with a written reason."""
    require(actor, Action.HOLD_OVERRIDE, _("Only a supervisor may override a supply hold."))
    if not reason.strip():
        raise ValidationError({"reason": _("An override needs a written reason.")})
    hold = holds_in_force([project.customer_id], dt.date.today()).get(project.customer_id)
    if hold is None:
        raise ValidationError(_("The customer is not on supply hold."))
    override = HoldOverride.objects.create(
        hold=hold, project=project, granted_by=actor, reason=reason.strip()
    )
    audit_record(actor=actor, action="hold_override", obj=project, reason=reason,
                 changes={"hold": [str(hold.since), "override for one delivery"]})  # fmt: skip
    return override


def unused_override(project: Project) -> HoldOverride | None:
    return (
        HoldOverride.objects.select_for_update()
        .filter(project=project, delivery__isnull=True, hold__released_on__isnull=True)
        .order_by("granted_at")
        .first()
    )


# Legal recovery ----------------------------------------------------------------------


@transaction.atomic
def project_send_to_legal(
    *, actor: User, project: Project, note: str, on: dt.date | None = None
) -> LegalCase:
    """A manager hands a project to the legal / debt-recovery office."""
    require(
        actor, Action.LEGAL_REFER, _("Only a sales manager may send a project to legal recovery.")
    )
    if not note.strip():
        raise ValidationError({"note": _("Say why the project goes to legal recovery.")})
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.status not in (ProjectStatus.ACTIVE, ProjectStatus.COMPLETED):
        raise ValidationError(_("The project is already with the legal office or written off."))
    on = on or dt.date.today()
    overdue = (
        unsettled_due_before(on, {"overdue": on}, [project.pk]).get(project.pk, {}).get("overdue")
    )
    case = LegalCase.objects.create(
        project=project, opened_on=on, reason=LegalReason.MANAGER, note=note.strip(),
        overdue=overdue or 0, opened_by=actor, previous_status=project.status,
    )  # fmt: skip
    audit_record(actor=actor, action="legal_open", obj=project, reason=note,
                 changes={"status": [project.status, ProjectStatus.LEGAL]})  # fmt: skip
    project.status = ProjectStatus.LEGAL
    project.save(update_fields=["status", "updated_at"])
    return case
