"""Ledger pages: the project ledger (shown on the project page), posting and reversing
records, asset offsets, statements, aging, floor prices and prices below floor.

Views parse input, call a service or selector, render. A record outside the user's scope
is a 404; a step the user's role may not take is a 403 (the services enforce both too).
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salesdesk.core.choices import Role
from salesdesk.core.errors import Conflict, PermissionDenied
from salesdesk.core.forms import add_service_errors, require_valid
from salesdesk.core.pagination import paginate
from salesdesk.core.reporting import to_csv, to_json, to_xlsx
from salesdesk.customers.panels import Fragment
from salesdesk.ledger import selectors, services
from salesdesk.ledger.choices import OffsetStatus
from salesdesk.ledger.forms import (
    AgingFilterForm,
    ApprovalForm,
    AsOfForm,
    BelowFloorFilterForm,
    DeliveryForm,
    FloorPriceForm,
    InvoiceForm,
    OffsetAcceptForm,
    OffsetApplyForm,
    OffsetAppraiseForm,
    OffsetRejectForm,
    OverrideForm,
    PaymentForm,
    ProductForm,
    ReversalForm,
    StatementForm,
)
from salesdesk.ledger.gate import order_gate
from salesdesk.ledger.models import AssetOffset, Delivery, Invoice, Payment, Product
from salesdesk.ledger.statement import statement_build, statement_pdf, statement_xlsx

PRICE_APPROVERS = (Role.MANAGER, Role.ADMIN)
FLOOR_SETTERS = (Role.MANAGER, Role.ADMIN)
OFFSET_APPLICANTS = (Role.SALES, Role.MANAGER, Role.ADMIN)
OFFSET_APPRAISERS = (Role.FINANCE, Role.ADMIN)
OFFSET_ACCEPTORS = (Role.SUPPLY, Role.ADMIN)
# Who rejects an offset depends on the step it waits for (DOMAIN §5).
OFFSET_REJECTERS = {
    OffsetStatus.APPLIED: (Role.FINANCE, Role.ADMIN),
    OffsetStatus.APPRAISED: (Role.SUPPLY, Role.ADMIN),
}
REVERSIBLE = {"deliveries": Delivery, "invoices": Invoice, "payments": Payment}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORTS = {
    # The byte-order mark makes Excel read the UTF-8 (Chinese names) correctly.
    "csv": (lambda report: "\ufeff" + to_csv(report), "text/csv; charset=utf-8"),
    "xlsx": (to_xlsx, XLSX),
    "json": (to_json, "application/json; charset=utf-8"),
}


def _can(user, roles) -> bool:
    return user.is_superuser or user.has_role(*roles)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not do this."))


def _project_or_404(request, code):
    try:
        return selectors.project_get(request.user, code)
    except ObjectDoesNotExist:
        raise Http404 from None


def _back(project, anchor: str = "ledger"):
    return redirect(reverse("project_detail", args=[project.code]) + f"#{anchor}")


def _form_page(request, *, project, form, title, anchor, record=None, offset=None, gate=None):
    """A form on a page of its own: where a post from the project page lands when it has
    errors, and what works without the project page at all."""
    context = {
        "gate": gate,
        "hold": gate.subject("hold") if gate else None,
        "project": project,
        "form": form,
        "title": title,
        "record": record,
        "offset": offset,
        "back": reverse("project_detail", args=[project.code]) + f"#{anchor}",
    }
    return render(request, "ledger/record_form.html", context)


def _posted_message(request, created: bool, what: str, key: str) -> None:
    if created:
        messages.success(request, _("%(what)s %(key)s posted.") % {"what": what, "key": key})
    else:
        messages.info(
            request, _("%(what)s %(key)s was already posted; nothing changed.")
            % {"what": what, "key": key},
        )  # fmt: skip


# The project ledger -----------------------------------------------------------------


def offset_actions(user, offset: AssetOffset) -> list[str]:
    """The workflow steps `user` may take on `offset` now."""
    if offset.status == OffsetStatus.APPLIED and _can(user, OFFSET_APPRAISERS):
        return ["appraise", "reject"]
    if offset.status == OffsetStatus.APPRAISED and _can(user, OFFSET_ACCEPTORS):
        return ["accept", "reject"]
    return []


def project_ledger_context(request, project) -> dict:
    """What the ledger part of the project page needs (`ledger/_project_ledger.html`)."""
    user = request.user
    as_of_form = AsOfForm(request.GET or None)
    as_of = as_of_form.as_of_date()
    ledger = selectors.project_ledger(project, as_of)
    for offset in ledger.offsets:
        offset.user_actions = offset_actions(user, offset)
    can = {
        "post_delivery": _can(user, services.POSTERS[Delivery]),
        "post_invoice": _can(user, services.POSTERS[Invoice]),
        "post_payment": _can(user, services.POSTERS[Payment]),
        "reverse": _can(user, services.REVERSERS),
        "approve_price": _can(user, PRICE_APPROVERS),
        "apply_offset": _can(user, OFFSET_APPLICANTS),
    }
    return {
        "ledger": ledger,
        "as_of_form": as_of_form,
        "is_today": as_of == dt.date.today(),
        "today": dt.date.today(),
        "gate": order_gate(customer=project.customer, project=project, as_of=as_of),
        "gate_override_form": OverrideForm(prefix="gate")
        if _can(user, services.SUPERVISORS)
        else None,
        "can": can,
        "delivery_form": DeliveryForm(prefix="delivery", can_approve=can["approve_price"])
        if can["post_delivery"]
        else None,
        "invoice_form": InvoiceForm(prefix="invoice") if can["post_invoice"] else None,
        "payment_form": PaymentForm(prefix="payment") if can["post_payment"] else None,
        "offset_form": OffsetApplyForm(prefix="offset") if can["apply_offset"] else None,
    }


def project_panel(request, project) -> list[Fragment]:
    """The receivables of the project page (customers/panels.py)."""
    context = project_ledger_context(request, project)
    return [Fragment("sections", "ledger/_project_ledger.html", context)]


def customer_panel(request, customer) -> list[Fragment]:
    """The first order among the customer page's facts (customers/panels.py)."""
    first = selectors.customer_first_delivery(customer)
    return [Fragment("facts", "ledger/_customer_facts.html", {"first_delivery": first})]


@login_required
@require_http_methods(["GET", "POST"])
def delivery_post(request, code):
    project = _project_or_404(request, code)
    _require(_can(request.user, services.POSTERS[Delivery]))
    form = DeliveryForm(
        request.POST or None, prefix="delivery", can_approve=_can(request.user, PRICE_APPROVERS)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            delivery, created = services.delivery_post(
                actor=request.user, today=timezone.localdate(), ticket=data["ticket"],
                project=project, date=data["date"],
                plant=data["plant"], product=data["product"], quantity=data["quantity"],
                unit=data["unit"], unit_price=data["unit_price"],
                approval_reason=data.get("approval_reason", ""),
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, str(exc))
        else:
            _posted_message(request, created, _("Delivery"), delivery.ticket)
            if created and delivery.below_floor and not hasattr(delivery, "price_approval"):
                messages.warning(
                    request,
                    _("The price is below the floor price %(floor)s: a manager must approve it.")
                    % {"floor": delivery.floor_price},
                )
            return _back(project, "deliveries")
    gate = order_gate(customer=project.customer, project=project, as_of=timezone.localdate())
    return _form_page(
        request, project=project, form=form, title=_("Post a delivery"), anchor="deliveries",
        gate=gate,
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def invoice_post(request, code):
    project = _project_or_404(request, code)
    _require(_can(request.user, services.POSTERS[Invoice]))
    form = InvoiceForm(request.POST or None, prefix="invoice")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invoice, created = services.invoice_post(
                actor=request.user, today=timezone.localdate(), number=data["number"], project=project, date=data["date"],
                due_date=data["due_date"], amount=data["amount"],
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, str(exc))
        else:
            _posted_message(request, created, _("Invoice"), invoice.number)
            return _back(project, "invoices")
    return _form_page(
        request, project=project, form=form, title=_("Post an invoice"), anchor="invoices"
    )


@login_required
@require_http_methods(["GET", "POST"])
def payment_post(request, code):
    project = _project_or_404(request, code)
    _require(_can(request.user, services.POSTERS[Payment]))
    form = PaymentForm(request.POST or None, prefix="payment")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment, created = services.payment_post(
                actor=request.user, today=timezone.localdate(), reference=data["reference"], project=project,
                date=data["date"], amount=data["amount"], method=data["method"],
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, str(exc))
        else:
            _posted_message(request, created, _("Payment"), payment.reference)
            return _back(project, "payments")
    return _form_page(
        request, project=project, form=form, title=_("Record a payment"), anchor="payments"
    )


@login_required
@require_http_methods(["GET", "POST"])
def record_reverse(request, code, kind, pk):
    project = _project_or_404(request, code)
    model = REVERSIBLE.get(kind)
    record = model.objects.filter(project=project, pk=pk).first() if model else None
    if record is None:
        raise Http404
    _require(_can(request.user, services.REVERSERS))
    form = ReversalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_reverse(
                actor=request.user, record=record, today=timezone.localdate(),
                **form.cleaned_data,
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(record)s reversed.") % {"record": record})
            return _back(project, kind)
    title = _("Reverse %(what)s %(record)s") % {
        "what": model._meta.verbose_name,
        "record": record,
    }
    return _form_page(request, project=project, form=form, title=title, anchor=kind, record=record)


# Asset offsets ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def offset_apply(request, code):
    project = _project_or_404(request, code)
    _require(_can(request.user, OFFSET_APPLICANTS))
    form = OffsetApplyForm(request.POST or None, prefix="offset")
    if request.method == "POST" and form.is_valid():
        try:
            services.offset_apply(actor=request.user, project=project, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Asset offset applied for; finance appraises it next."))
            return _back(project, "offsets")
    return _form_page(
        request, project=project, form=form, title=_("Apply for an asset offset"),
        anchor="offsets",
    )  # fmt: skip


_OFFSET_STEPS = {
    "appraise": (OffsetAppraiseForm, lambda offset: OFFSET_APPRAISERS),
    "accept": (OffsetAcceptForm, lambda offset: OFFSET_ACCEPTORS),
    "reject": (
        OffsetRejectForm,
        lambda offset: OFFSET_REJECTERS.get(offset.status, (Role.FINANCE, Role.SUPPLY, Role.ADMIN)),
    ),
}


@login_required
@require_http_methods(["GET", "POST"])
def offset_step(request, code, pk, step):
    project = _project_or_404(request, code)
    offset = AssetOffset.objects.filter(project=project, pk=pk).first()
    if offset is None or step not in _OFFSET_STEPS:
        raise Http404
    form_class, roles = _OFFSET_STEPS[step]
    _require(_can(request.user, roles(offset)))
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if step == "appraise":
                services.offset_appraise(actor=request.user, offset=offset, **data)
                message = _("Offset appraised; supply accepts the goods next.")
            elif step == "accept":
                payment = services.offset_accept(
                    actor=request.user, offset=offset, today=timezone.localdate(), **data
                )
                message = _("Goods accepted; payment %(reference)s posted.") % {
                    "reference": payment.reference
                }
            else:
                services.offset_reject(actor=request.user, offset=offset, reason=data["reason"])
                message = _("Offset rejected.")
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, message)
            return _back(project, "offsets")
    titles = {
        "appraise": _("Appraise the asset offset"),
        "accept": _("Accept the offset goods"),
        "reject": _("Reject the asset offset"),
    }
    return _form_page(
        request, project=project, form=form, title=titles[step], anchor="offsets", offset=offset
    )


# Statement (对账单) ---------------------------------------------------------------------


def _statement(request, code):
    project = _project_or_404(request, code)
    form = StatementForm.from_query(request.GET)
    date_from, date_to = form.period()
    return form, statement_build(project=project, date_from=date_from, date_to=date_to)


@login_required
def statement(request, code):
    form, built = _statement(request, code)
    query = f"from={built.date_from.isoformat()}&to={built.date_to.isoformat()}"
    return render(
        request, "ledger/statement.html", {"form": form, "statement": built, "query": query}
    )


@login_required
def statement_download(request, code, fmt):
    form, built = _statement(request, code)
    require_valid(form)
    if fmt == "xlsx":
        response = HttpResponse(statement_xlsx(built), content_type=XLSX)
    elif fmt == "pdf":
        response = HttpResponse(statement_pdf(built), content_type="application/pdf")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{built.filename(fmt)}"'
    return response


# Aging ----------------------------------------------------------------------------------


def _aging_report(request):
    form = AgingFilterForm(request.GET or None, user=request.user)
    values = form.values()
    report = selectors.aging(
        request.user, as_of=values["as_of"], owner=values["owner"], tier=values["tier"],
        plant=values["plant"],
    )  # fmt: skip
    return form, report


@login_required
def aging(request):
    form, report = _aging_report(request)
    buckets, rows, totals = selectors.aging_table(report)
    context = {
        "form": form,
        "report": report,
        "buckets": buckets,
        "rows": rows,
        "totals": totals,
        "query": request.GET.urlencode(),
    }
    return render(request, "ledger/aging.html", context)


@login_required
def aging_export(request, fmt):
    if fmt not in EXPORTS:
        raise Http404
    form, report = _aging_report(request)
    require_valid(form)
    render_report, content_type = EXPORTS[fmt]
    response = HttpResponse(render_report(report), content_type=content_type)
    filename = f"aging-{report.as_of.isoformat()}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Floor prices and prices below floor ----------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def floor_prices(request):
    can_set = _can(request.user, FLOOR_SETTERS)
    if request.method == "POST":
        _require(can_set)
    form = FloorPriceForm(request.POST or None) if can_set else None
    if request.method == "POST" and form.is_valid():
        try:
            row = services.floor_price_set(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Floor price of %(product)s set to %(price)s from %(date)s.")
                % {"product": row.product, "price": row.price, "date": row.effective_from},
            )
            return redirect("floor_prices")
    context = {"form": form, "rows": selectors.floor_prices(timezone.localdate())}
    return render(request, "ledger/floor_prices.html", context)


@login_required
def below_floor(request):
    form = BelowFloorFilterForm(request.GET or None)
    state = form.cleaned_data["state"] if form.is_valid() else ""
    deliveries = selectors.below_floor_deliveries(request.user, state=state)
    page = paginate(deliveries, request.GET.get("page"), 50)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query_without_page": params.urlencode(),
        "can_approve": _can(request.user, PRICE_APPROVERS),
        "next": request.get_full_path(),
    }
    return render(request, "ledger/below_floor.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def delivery_approve(request, pk):
    delivery = (
        Delivery.objects.visible_to(request.user)
        .select_related("project", "project__customer", "project__owner", "plant")
        .filter(pk=pk)
        .first()
    )
    if delivery is None:
        raise Http404
    _require(_can(request.user, PRICE_APPROVERS))
    form = ApprovalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.delivery_approve_price(
                actor=request.user, delivery=delivery, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Price of delivery %(ticket)s approved.") % {"ticket": delivery.ticket}
            )
            return redirect(_safe_next(request) or reverse("floor_below"))
    return _form_page(
        request, project=delivery.project, form=form, title=_("Approve a price below floor"),
        anchor="deliveries", record=delivery,
    )  # fmt: skip


def _safe_next(request) -> str | None:
    """A same-site path to return to after a post, if the form named one."""
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else None


# Overrides of the order gate ------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def delivery_override(request, code):
    project = _project_or_404(request, code)
    _require(_can(request.user, services.SUPERVISORS))
    form = OverrideForm(request.POST or None, prefix="gate")
    if request.method == "POST" and form.is_valid():
        try:
            services.delivery_override_grant(
                actor=request.user, project=project, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Override granted: the next delivery to this project may go through.")
            )
            return _back(project, "deliveries")
    gate = order_gate(customer=project.customer, project=project, as_of=timezone.localdate())
    return _form_page(
        request, project=project, form=form, title=_("Let one refused delivery through"),
        anchor="deliveries", gate=gate,
    )  # fmt: skip


# The product catalogue ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def products(request):
    can_edit = _can(request.user, services.CATALOGUE_EDITORS)
    if request.method == "POST":
        _require(can_edit)
    form = ProductForm(request.POST or None) if can_edit else None
    if request.method == "POST" and form.is_valid():
        try:
            product, _created = services.product_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Product %(code)s saved.") % {"code": product.code})
            return redirect("products")
    context = {"form": form, "products": Product.objects.order_by("code"), "can_edit": can_edit}
    return render(request, "ledger/products.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request, code):
    product = Product.objects.filter(code=code).first()
    if product is None:
        raise Http404
    _require(_can(request.user, services.CATALOGUE_EDITORS))
    initial = {"code": product.code, "name": product.name, "unit": product.unit,
               "grade": product.grade}  # fmt: skip
    form = ProductForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        try:
            services.product_update(actor=request.user, product=product, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Product %(code)s saved.") % {"code": product.code})
            return redirect("products")
    return render(request, "ledger/product_form.html", {"form": form, "product": product})
