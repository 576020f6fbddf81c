"""Visit pages: the log, logging and editing a visit, commitments, compliance.

Views parse input, call a service or selector, render. A visit or commitment outside
the user's scope is a 404; an action the user's role may not take is a 403.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from salesdesk.core.access import assignable_owners, deny_unless, get_visible_or_404
from salesdesk.core.errors import Conflict
from salesdesk.core.forms import add_service_errors
from salesdesk.core.pagination import PAGE_SIZES, page_size_of, paginate, query_without
from salesdesk.customers.models import Customer
from salesdesk.customers.panels import Fragment
from salesdesk.lib.dates import month_end, month_or_none, month_start, next_month
from salesdesk.visits import selectors, services
from salesdesk.visits.choices import CommitmentState, Outcome
from salesdesk.visits.filters import NOT_DONE
from salesdesk.visits.forms import (
    CommitmentDoneForm,
    ComplianceForm,
    CustomerChoiceForm,
    VisitForm,
)
from salesdesk.visits.models import Visit


def _show_warnings(request, visit: Visit) -> None:
    for warning in visit.warnings():
        messages.warning(request, warning)


# The log ------------------------------------------------------------------------------


@login_required
def visit_list(request):
    filterset, queryset = selectors.visit_list(request.user, request.GET)
    page = _page(queryset, request)
    filterset.form.fields["salesperson"].queryset = assignable_owners(request.user).order_by(
        "username"
    )
    context = {
        "filter": filterset,
        "page": page,
        "query_without_page": query_without(request.GET, "page"),
        "can_log": services.can_log_visits(request.user),
        "outcomes": Outcome.choices,
        "page_sizes": PAGE_SIZES,
    }
    template = "visits/_visit_table.html" if request.htmx else "visits/visit_list.html"
    return render(request, template, context)


def _page(queryset, request):
    return paginate(queryset, request.GET.get("page"), page_size_of(request.GET))


@login_required
def visit_detail(request, pk):
    visit = get_visible_or_404(selectors.visit_details(), request.user, pk=pk)
    commitment = getattr(visit, "commitment", None)
    today = timezone.localdate()
    context = {
        "visit": visit,
        "commitment": commitment,
        "commitment_state": commitment.state(today) if commitment else None,
        "days_overdue": commitment.days_overdue(today) if commitment else 0,
        "can_edit": _can_edit(request.user, visit),
        "can_track": commitment is not None
        and services.can_track_commitment(request.user, commitment),
        "done_form": CommitmentDoneForm(),
        "warnings": visit.warnings(),
        "audit": selectors.visit_audit(visit),
        "customer_visible": Customer.objects.visible_to(request.user)
        .filter(pk=visit.customer_id)
        .exists(),
    }
    return render(request, "visits/visit_detail.html", context)


def _can_edit(user, visit: Visit) -> bool:
    return (
        services.can_log_visits(user)
        and assignable_owners(user).filter(pk=visit.salesperson_id).exists()
    )


# Logging and editing ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def visit_create(request):
    deny_unless(services.can_log_visits(request.user))
    code = request.GET.get("customer", "").strip()
    if not code:
        chooser = CustomerChoiceForm(actor=request.user)
        return render(request, "visits/visit_choose_customer.html", {"form": chooser})
    customer = get_visible_or_404(Customer.objects, request.user, code=code)
    form = VisitForm(request.POST or None, actor=request.user, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.visit_record(
                actor=request.user, customer=customer, **form.service_values()
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Visit at %(name)s logged.") % {"name": customer.name})
            _show_warnings(request, visit)
            return redirect("visit_detail", pk=visit.pk)
    return render(
        request,
        "visits/visit_form.html",
        {"form": form, "customer": customer, "duplicate": _duplicate(form)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def visit_edit(request, pk):
    visit = get_visible_or_404(selectors.visit_details(), request.user, pk=pk)
    deny_unless(_can_edit(request.user, visit))
    form = VisitForm(
        request.POST or None,
        initial=VisitForm.initial_for(visit),
        actor=request.user,
        customer=visit.customer,
        visit=visit,
    )
    if request.method == "POST" and form.is_valid():
        try:
            changes = services.visit_update(
                actor=request.user, visit=visit, **form.service_values()
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if changes:
                messages.success(request, _("Visit saved."))
            else:
                messages.info(request, _("Nothing changed."))
            visit = selectors.visit_get(request.user, visit.pk)
            _show_warnings(request, visit)
            return redirect("visit_detail", pk=visit.pk)
    return render(
        request,
        "visits/visit_form.html",
        {"form": form, "customer": visit.customer, "visit": visit, "duplicate": _duplicate(form)},
    )


def _add_errors(form: VisitForm, exc: ValidationError) -> None:
    """A missing commitment is the commitment fieldset's error, not the whole form's."""
    if hasattr(exc, "error_dict") and "commitment" in exc.error_dict:
        errors = dict(exc.error_dict)
        errors.setdefault("commitment_what", []).extend(errors.pop("commitment"))
        exc = ValidationError(errors)
    add_service_errors(form, exc)


def _duplicate(form):
    """The visit a duplicate (customer, salesperson, date) points to, for a link."""
    for error in form.errors.as_data().get("date", []):
        if error.code == "duplicate":
            return error.params
    return None


# Commitments --------------------------------------------------------------------------


@login_required
def commitment_list(request):
    params = request.GET.copy()
    if "state" not in params:
        params["state"] = NOT_DONE
    filterset, queryset = selectors.commitment_list(request.user, params)
    filterset.form.fields["salesperson"].queryset = assignable_owners(request.user).order_by(
        "username"
    )
    page = _page(queryset, request)
    today = timezone.localdate()
    rows = [(c, c.state(today), c.days_overdue(today)) for c in page.items]
    context = {
        "filter": filterset,
        "state": params["state"],
        "states": [(NOT_DONE, _("Not done")), *CommitmentState.choices, ("", _("All"))],
        "page": page,
        "rows": rows,
        "query_without_page": query_without(request.GET, "page"),
        "query_without_state": query_without(request.GET, "state", "page"),
        "can_track": services.can_log_visits(request.user),
        "done_form": CommitmentDoneForm(),
        "today": today,
    }
    return render(request, "visits/commitments.html", context)


@login_required
@require_POST
def commitment_done(request, pk):
    try:
        commitment = selectors.commitment_get(request.user, pk)
    except ObjectDoesNotExist:
        raise Http404 from None
    form = CommitmentDoneForm(request.POST)
    back = request.POST.get("next") or reverse("visit_detail", args=[commitment.visit_id])
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("visit_detail", args=[commitment.visit_id])
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(back)
    try:
        services.commitment_complete(
            actor=request.user,
            commitment=commitment,
            done_on=form.cleaned_data["done_on"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Commitment marked done: %(what)s") % {"what": commitment.what})
    return redirect(back)


# Compliance ---------------------------------------------------------------------------


@login_required
def compliance(request):
    today = timezone.localdate()
    form = ComplianceForm(request.GET or None, actor=request.user)
    month = salesperson = None
    if form.is_valid():
        month = month_or_none(form.cleaned_data["month"])
        if form.cleaned_data["month"] and month is None:
            messages.error(request, _("Write the month as YYYY-MM."))
        salesperson = form.cleaned_data["salesperson"]
    current = month_start(today)
    month = min(month or current, current)
    report = selectors.compliance(request.user, month, today=today, salesperson=salesperson)
    mix, mix_total = selectors.outcome_mix(
        request.user, month, month_end(month), salesperson=salesperson
    )
    people: dict[str, dict] = {}
    for row in report.rows:
        people.setdefault(row.salesperson.username, {"label": str(row.salesperson)})[
            "compliance"
        ] = row
    for row in mix:
        people.setdefault(row.username, {"label": row.label})["mix"] = row
    context = {
        "form": form,
        "report": report,
        "month": month,
        "previous": month_start(month - dt.timedelta(days=1)),
        "following": next_month(month) if month < current else None,
        "current": current,
        "salesperson": salesperson,
        "people": [people[username] for username in sorted(people)],
        "mix_total": mix_total,
        "outcomes": Outcome.choices,
    }
    return render(request, "visits/compliance.html", context)


# The customer page's section ----------------------------------------------------------


def customer_panel(request, customer: Customer) -> list[Fragment]:
    """The visits section of the customer page (customers/panels.py)."""
    context = customer_visits_context(request, customer)
    return [Fragment("sections", "visits/_customer_visits.html", context)]


def customer_visits_context(request, customer: Customer) -> dict:
    """What templates/visits/_customer_visits.html needs on the customer page."""
    today = timezone.localdate()
    return {
        "customer_visits": selectors.customer_visits(request.user, customer),
        "customer_visit_frequency": selectors.customer_frequency(customer, today),
        "can_log_visit": services.can_log_visits(request.user),
    }
