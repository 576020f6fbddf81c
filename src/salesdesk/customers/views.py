"""Customer archive pages. Views parse input, call a service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salesdesk.core.access import assignable_owners, can_edit_archive, can_reassign_owner
from salesdesk.core.errors import PermissionDenied
from salesdesk.core.forms import add_service_errors
from salesdesk.core.pagination import paginate
from salesdesk.core.policy import policy_as_of
from salesdesk.customers import selectors, services
from salesdesk.customers.forms import ContactForm, CustomerForm, ProjectForm, ReassignForm, TierForm
from salesdesk.customers.models import Contact
from salesdesk.customers.panels import panels_for

PAGE_SIZES = (25, 50, 100)


def _page_size(request) -> int:
    try:
        size = int(request.GET.get("page_size", 50))
    except ValueError:
        size = 50
    return size if size in PAGE_SIZES else 50


def _customer_or_404(request, code):
    try:
        return selectors.customer_get(request.user, code)
    except ObjectDoesNotExist:
        raise Http404 from None


def _project_or_404(request, code):
    try:
        return selectors.project_get(request.user, code)
    except ObjectDoesNotExist:
        raise Http404 from None


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not do this."))


def _query_without(request, *names) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


@login_required
def customer_list(request):
    filterset, queryset = selectors.customer_list(request.user, request.GET)
    page = paginate(queryset, request.GET.get("page"), _page_size(request))
    # Offer only the owners whose records the user can see.
    filterset.form.fields["owner"].queryset = assignable_owners(request.user).order_by("username")
    context = {
        "filter": filterset,
        "page": page,
        "query_without_page": _query_without(request, "page"),
        "query_without_sort": _query_without(request, "sort", "page"),
        "sort": request.GET.get("sort", ""),
        "can_create": can_edit_archive(request.user),
        "page_sizes": PAGE_SIZES,
    }
    template = "customers/_customer_table.html" if request.htmx else "customers/customer_list.html"
    return render(request, template, context)


@login_required
def customer_detail(request, code):
    customer = _customer_or_404(request, code)
    tier = customer.tier or "general"
    policy = policy_as_of()
    context = {
        "customer": customer,
        "contacts": selectors.customer_contacts(customer),
        "has_decision_maker": selectors.customer_has_decision_maker(customer),
        "projects": selectors.customer_projects(request.user, customer),
        "owner_changes": customer.owner_changes.select_related(
            "from_owner", "to_owner", "changed_by"
        )[:20],
        "tier_changes": customer.tier_changes.select_related("changed_by")[:20],
        "audit": selectors.customer_audit(request.user, customer),
        "tier_policy": {
            "discount_pct": policy[f"tier.{tier}.discount_pct"],
            "credit_limit": policy[f"tier.{tier}.credit_limit"],
            "payment_terms_days": policy[f"tier.{tier}.payment_terms_days"],
            "visits_required": policy[f"tier.{tier}.visits_required"],
            "visit_period": policy[f"tier.{tier}.visit_period"],
        },
        "can_edit": can_edit_archive(request.user),
        "can_reassign": can_reassign_owner(request.user),
        "can_set_tier": request.user.is_admin or request.user.has_role("manager"),
        "panels": panels_for("customer", request, customer),
    }
    return render(request, "customers/customer_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def customer_create(request):
    _require(can_edit_archive(request.user))
    form = CustomerForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        code = values.pop("code")
        try:
            customer = services.customer_create(
                actor=request.user, code=code, **_blank_none(values)
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
            return redirect("customer_detail", code=customer.code)
    return render(
        request, "customers/customer_form.html", {"form": form, "duplicate": _duplicate(form)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(request, code):
    customer = _customer_or_404(request, code)
    _require(can_edit_archive(request.user))
    form = CustomerForm(request.POST or None, instance=customer, actor=request.user)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        values.pop("code")
        values.pop("owner")
        customer.refresh_from_db()
        try:
            services.customer_update(actor=request.user, customer=customer, **_blank_none(values))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Customer %(name)s saved.") % {"name": customer.name})
            return redirect("customer_detail", code=customer.code)
    return render(
        request,
        "customers/customer_form.html",
        {"form": form, "customer": customer, "duplicate": _duplicate(form)},
    )


def _blank_none(values: dict) -> dict:
    """Choice fields left empty come back as ''; the model stores '' for 'not set'."""
    return {
        k: ("" if v is None and k in ("source", "credit_rating") else v) for k, v in values.items()
    }


def _duplicate(form):
    """The existing customer a duplicate credit code points to, for a link in the form."""
    for error in form.errors.as_data().get("credit_code", []):
        if error.code == "duplicate":
            return error.params
    return None


@login_required
@require_http_methods(["GET", "POST"])
def customer_reassign(request, code):
    customer = _customer_or_404(request, code)
    _require(can_reassign_owner(request.user))
    form = ReassignForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_reassign(
                actor=request.user,
                customer=customer,
                owner=form.cleaned_data["owner"],
                reason=form.cleaned_data["reason"],
                with_projects=form.cleaned_data["with_projects"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Customer reassigned to %(user)s.") % {"user": form.cleaned_data["owner"]},
            )
            if selectors.customer_queryset(request.user).filter(pk=customer.pk).exists():
                return redirect("customer_detail", code=customer.code)
            return redirect("customer_list")
    return render(request, "customers/customer_reassign.html", {"form": form, "customer": customer})


@login_required
@require_http_methods(["GET", "POST"])
def customer_tier(request, code):
    customer = _customer_or_404(request, code)
    _require(request.user.is_admin or request.user.has_role("manager"))
    initial = {
        "tier": customer.tier,
        "locked": customer.tier_locked,
        "reason": customer.tier_lock_reason,
    }
    form = TierForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_set_tier(actor=request.user, customer=customer, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Tier saved."))
            return redirect("customer_detail", code=customer.code)
    return render(request, "customers/customer_tier.html", {"form": form, "customer": customer})


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request, code, contact_id=None):
    customer = _customer_or_404(request, code)
    _require(can_edit_archive(request.user))
    contact = None
    if contact_id is not None:
        contact = Contact.objects.filter(customer=customer, pk=contact_id).first()
        if contact is None:
            raise Http404
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        try:
            if contact is None:
                services.contact_upsert(actor=request.user, customer=customer, **values)
            else:
                services.contact_update(
                    actor=request.user, contact=Contact.objects.get(pk=contact.pk), **values
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Contact %(name)s saved.") % {"name": values["name"]})
            return redirect(reverse("customer_detail", args=[customer.code]) + "#contacts")
    return render(
        request,
        "customers/contact_form.html",
        {"form": form, "customer": customer, "contact": contact},
    )


@login_required
def project_list(request):
    filterset, queryset = selectors.project_list(request.user, request.GET)
    page = paginate(queryset, request.GET.get("page"), _page_size(request))
    # Offer only the owners whose records the user can see.
    filterset.form.fields["owner"].queryset = assignable_owners(request.user).order_by("username")
    context = {
        "filter": filterset,
        "page": page,
        "query_without_page": _query_without(request, "page"),
        "query_without_sort": _query_without(request, "sort", "page"),
        "sort": request.GET.get("sort", ""),
        "page_sizes": PAGE_SIZES,
    }
    template = "customers/_project_table.html" if request.htmx else "customers/project_list.html"
    return render(request, template, context)


@login_required
def project_detail(request, code):
    project = _project_or_404(request, code)
    customer_visible = (
        selectors.customer_queryset(request.user).filter(pk=project.customer_id).exists()
    )
    context = {
        "project": project,
        "customer_visible": customer_visible,
        "audit": selectors.project_audit(project),
        "can_edit": can_edit_archive(request.user),
        "panels": panels_for("project", request, project),
    }
    return render(request, "customers/project_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request, code):
    customer = _customer_or_404(request, code)
    _require(can_edit_archive(request.user))
    form = ProjectForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        try:
            project = services.project_create(
                actor=request.user,
                customer=customer,
                code=values.pop("code"),
                name=values.pop("name"),
                owner=values.pop("owner"),
                plant=values.pop("plant"),
                payment_terms_days=values.pop("payment_terms_days"),
                **values,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Project %(code)s created.") % {"code": project.code})
            return redirect("project_detail", code=project.code)
    return render(request, "customers/project_form.html", {"form": form, "customer": customer})


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request, code):
    project = _project_or_404(request, code)
    _require(can_edit_archive(request.user))
    form = ProjectForm(request.POST or None, instance=project, actor=request.user)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        values.pop("code")
        if values.get("owner") is None:
            values.pop("owner")
        if values.get("payment_terms_days") is None:
            values.pop("payment_terms_days")
        project.refresh_from_db()
        try:
            services.project_update(actor=request.user, project=project, **values)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Project %(code)s saved.") % {"code": project.code})
            return redirect("project_detail", code=project.code)
    return render(
        request,
        "customers/project_form.html",
        {"form": form, "project": project, "customer": project.customer},
    )
