"""Compensation pages: the month's statements, one statement with every input of every
line (and as PDF and xlsx), finalising a month, and expense advances.

A statement or advance outside the user's scope is a 404; an action the role may not
take is a 403 (the services check too)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesdesk.compensation import documents, services
from salesdesk.compensation.forms import AdvanceForm, MonthForm, RejectForm
from salesdesk.compensation.models import Advance
from salesdesk.compensation.selectors import (
    advances_visible,
    band_note,
    open_advances,
    statement_visible,
    statements_visible,
)
from salesdesk.compensation.statements import month_to_finalise
from salesdesk.core.choices import Role
from salesdesk.core.forms import add_service_errors
from salesdesk.core.pagination import paginate
from salesdesk.core.services import PermissionDenied
from salesdesk.customers.choices import ProjectStatus
from salesdesk.customers.models import Project

READERS = (Role.SALES, Role.MANAGER, Role.FINANCE, Role.ADMIN, Role.MARKETING)


def _can(user, roles) -> bool:
    return user.is_superuser or user.has_role(*roles)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not do this."))


@login_required
def statement_list(request):
    _require(_can(request.user, READERS))
    form = MonthForm(request.GET or None)
    today = dt.date.today()
    month = (form.cleaned_data["month"] if form.is_valid() else None) or today.replace(day=1)
    statements = statements_visible(request.user, month)
    ready = month_to_finalise(today)
    return render(
        request,
        "compensation/statements.html",
        {
            "month": month,
            "form": form,
            "statements": statements,
            "previous": (month - dt.timedelta(days=1)).replace(day=1),
            "next": (month + dt.timedelta(days=32)).replace(day=1),
            "can_finalise": _can(request.user, services.FINALISERS) and ready == month,
            "ready": ready,
        },
    )


def _statement(request, statement_id: str):
    _require(_can(request.user, READERS))
    statement = statement_visible(request.user, statement_id)
    if statement is None:
        raise Http404
    return statement


@login_required
def statement_detail(request, statement_id):
    statement = _statement(request, statement_id)
    return render(
        request,
        "compensation/statement.html",
        {
            "s": statement,
            "band_note": band_note(statement),
            "held": sorted(statement.held.items()),
            "advances": open_advances(statement.salesperson_id),
        },
    )


@login_required
def statement_pdf(request, statement_id):
    statement = _statement(request, statement_id)
    pdf = documents.statement_pdf(statement, open_advances(statement.salesperson_id))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{documents.filename(statement, "pdf")}"'
    return response


@login_required
def statement_xlsx(request, statement_id):
    statement = _statement(request, statement_id)
    response = HttpResponse(
        documents.statement_xlsx(statement),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = documents.filename(statement, "xlsx")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def statement_finalise(request):
    _require(_can(request.user, services.FINALISERS))
    form = MonthForm(request.POST)
    if not form.is_valid() or form.cleaned_data["month"] is None:
        raise Http404
    month = form.cleaned_data["month"]
    try:
        result = services.month_finalise(actor=request.user, month=month, today=dt.date.today())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(month)s finalised: %(count)s statements frozen.")
            % {"month": f"{month:%Y-%m}", "count": result.statements},
        )
    return redirect(f"{reverse('commission_statements')}?month={month:%Y-%m}")


# Advances -----------------------------------------------------------------------------


@login_required
def advance_list(request):
    _require(_can(request.user, READERS))
    user = request.user
    can_ask = _can(user, services.ASKERS)
    projects = Project.objects.visible_to(user).exclude(status=ProjectStatus.WRITTEN_OFF)
    form = AdvanceForm(request.POST or None, projects=projects.order_by("code"))
    if request.method == "POST":
        _require(can_ask)
        if form.is_valid():
            try:
                advance, _created = services.advance_request(
                    actor=user, project=form.cleaned_data["project"],
                    amount=form.cleaned_data["amount"], purpose=form.cleaned_data["purpose"],
                    today=dt.date.today(),
                )  # fmt: skip
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Advance of %(amount)s asked.") % {"amount": f"{advance.amount:.2f}"}
                )
                return redirect("advance_list")
    page = paginate(
        advances_visible(user).order_by("-asked_on", "-id"), request.GET.get("page"), 50
    )
    return render(
        request,
        "compensation/advances.html",
        {
            "page": page,
            "form": form if can_ask else None,
            "can_decide": _can(user, services.APPROVERS),
            "can_pay": _can(user, services.PAYERS),
            "reject_form": RejectForm(),
        },
    )


STEPS = {
    "approve": services.advance_approve,
    "reject": services.advance_reject,
    "pay": services.advance_pay,
}


@login_required
@require_POST
def advance_step(request, advance_id, step):
    if step not in STEPS:
        raise Http404
    advance = advances_visible(request.user).filter(pk=advance_id).first()
    if advance is None:
        raise Http404
    extra = {}
    if step == "reject":
        form = RejectForm(request.POST)
        extra["reason"] = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        STEPS[step](actor=request.user, advance=advance, today=dt.date.today(), **extra)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except Advance.DoesNotExist:  # not of the manager's team
        raise Http404 from None
    return redirect("advance_list")
