"""Pipeline pages: the opportunity list, the kanban by stage, the board by class, lead-source
conversion, the opportunity page with its forms and actions, and the FAB lines.

Views parse input, call a service or selector, render. An opportunity outside the user's
scope is a 404; a change the user may not make is a 403 (the services check too).
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from salesdesk.core.access import assignable_owners, deny_unless, get_visible_or_404
from salesdesk.core.forms import add_service_errors
from salesdesk.core.inputs import query_date
from salesdesk.core.pagination import page_size_of, paginate, query_without
from salesdesk.customers.models import Customer
from salesdesk.pipeline import access, fab, selectors, services
from salesdesk.pipeline.choices import OPEN_STAGES, RISK_FACTORS, ContactLevel, Stage
from salesdesk.pipeline.forms import (
    FabLineFormSet,
    FabProductForm,
    OpportunityForm,
    QualificationForm,
    QuestionsForm,
    ReasonForm,
    RiskForm,
    TouchForm,
)
from salesdesk.pipeline.models import FabLine, FabProduct
from salesdesk.pipeline.scoring import ScoreRule, factors_of
from salesdesk.pipeline.values import QUALIFICATION_FIELDS, QUESTION_FIELDS


def _tabs(active: str) -> list[tuple[str, str, str, bool]]:
    tabs = [
        ("list", gettext_lazy("Opportunities"), "pipeline_list"),
        ("kanban", gettext_lazy("Kanban by stage"), "pipeline_kanban"),
        ("board", gettext_lazy("Board by class"), "pipeline_board"),
        ("conversion", gettext_lazy("Lead sources"), "pipeline_conversion"),
        ("fab", gettext_lazy("FAB messaging"), "pipeline_fab"),
    ]
    return [(key, label, reverse(name), key == active) for key, label, name in tabs]


def _as_of(request) -> dt.date:
    return query_date(request.GET, "as_of") or dt.date.today()


def _filtered(request, params: QueryDict, context: selectors.Context):
    filterset, queryset = selectors.opportunity_list(request.user, params, context)
    # Offer only the owners whose records the user can see.
    filterset.form.fields["owner"].queryset = assignable_owners(request.user).order_by("username")
    return filterset, queryset


def _editable_or_403(request, code):
    opportunity = get_visible_or_404(selectors.opportunity_details(), request.user, code=code)
    deny_unless(access.can_edit(request.user, opportunity))
    return opportunity


def _mark_editable(request, cards) -> None:
    for card in cards:
        card.editable = access.can_edit(request.user, card.opportunity)


def _touches_due_count(request, context) -> int:
    return selectors.touches_due(request.user, context).count()


# Lists and boards --------------------------------------------------------------------


@login_required
def opportunity_list(request):
    context = selectors.Context.as_of(_as_of(request))
    filterset, queryset = _filtered(request, request.GET, context)
    page = paginate(queryset, request.GET.get("page"), page_size_of(request.GET))
    cards = [selectors.Card(o, context) for o in page.items]
    data = {
        "tabs": _tabs("list"),
        "filter": filterset,
        "page": page,
        "cards": cards,
        "as_of": context.date,
        "query_without_page": query_without(request.GET, "page"),
        "can_create": access.can_create(request.user),
        "touches_due": _touches_due_count(request, context),
    }
    template = (
        "pipeline/_opportunity_table.html" if request.htmx else "pipeline/opportunity_list.html"
    )
    return render(request, template, data)


def _kanban_context(request, params: QueryDict) -> dict:
    context = selectors.Context.as_of()
    filterset, queryset = _filtered(request, params, context)
    columns = selectors.kanban(queryset, context)
    _mark_editable(request, [card for column in columns for card in column.cards])
    return {
        "tabs": _tabs("kanban"),
        "filter": filterset,
        "columns": columns,
        "can_create": access.can_create(request.user),
        "as_of": context.date,
        "open_stages": [(s.value, s.label) for s in OPEN_STAGES],
        "board_query": query_without(params, "page"),
        "board_url": reverse("pipeline_kanban") + ("?" + params.urlencode() if params else ""),
    }


@login_required
def kanban(request):
    data = _kanban_context(request, request.GET)
    template = "pipeline/_kanban_board.html" if request.htmx else "pipeline/kanban.html"
    return render(request, template, data)


@login_required
def class_board(request):
    context = selectors.Context.as_of(_as_of(request))
    filterset, queryset = _filtered(request, request.GET, context)
    columns = selectors.class_board(queryset, context)
    _mark_editable(request, [card for column in columns for card in column.cards])
    data = {
        "tabs": _tabs("board"),
        "filter": filterset,
        "columns": columns,
        "as_of": context.date,
        "rule": context.rule,
        "touch_days": context.touch_days,
        "touches_due": _touches_due_count(request, context),
    }
    template = "pipeline/_class_board.html" if request.htmx else "pipeline/class_board.html"
    return render(request, template, data)


def _date_param(request, name) -> dt.date | None:
    return query_date(request.GET, name)


@login_required
def conversion(request):
    date_from, date_to = _date_param(request, "date_from"), _date_param(request, "date_to")
    rows, total = selectors.conversion(request.user, date_from, date_to)
    best = max((r.conversion for r in rows if r.conversion is not None), default=None)
    data = {
        "tabs": _tabs("conversion"),
        "rows": rows,
        "total": total,
        "best": best,
        "date_from": date_from,
        "date_to": date_to,
    }
    return render(request, "pipeline/conversion.html", data)


# One opportunity ---------------------------------------------------------------------


@login_required
def opportunity_detail(request, code):
    context = selectors.Context.as_of()
    opportunity = get_visible_or_404(
        selectors.opportunity_details(context), request.user, code=code
    )
    card = selectors.Card(opportunity, context)
    stakeholders = selectors.stakeholder_map(opportunity, context.date)
    factors = [
        (number, label, getattr(opportunity, f"f{number}"), weight)
        for (number, label, _help), weight in zip(RISK_FACTORS, context.rule.weights, strict=True)
    ]
    data = {
        "opportunity": opportunity,
        "card": card,
        "rule": context.rule,
        "touch_days": context.touch_days,
        "factors": factors,
        "stakeholders": stakeholders,
        "touches": selectors.opportunity_touches(opportunity),
        "audit": selectors.opportunity_audit(opportunity),
        "can_edit": access.can_edit(request.user, opportunity),
        "customer_visible": Customer.objects.visible_to(request.user)
        .filter(pk=opportunity.customer_id)
        .exists(),
        "tabs": _tabs("list"),
    }
    return render(request, "pipeline/opportunity_detail.html", data)


def _form_values(form: OpportunityForm) -> dict:
    values = dict(form.cleaned_data)
    values["source"] = values.get("source") or ""
    return values


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_create(request):
    deny_unless(access.can_create(request.user))
    initial = {}
    if request.GET.get("customer"):
        initial["customer"] = request.GET["customer"]
    form = OpportunityForm(request.POST or None, initial=initial, actor=request.user)
    if request.method == "POST" and form.is_valid():
        values = _form_values(form)
        try:
            opportunity = services.opportunity_create(actor=request.user, **values)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Opportunity %(code)s created.") % {"code": opportunity.code}
            )
            return redirect("pipeline_detail", code=opportunity.code)
    return render(request, "pipeline/opportunity_form.html", {"form": form, "tabs": _tabs("list")})


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_edit(request, code):
    opportunity = _editable_or_403(request, code)
    can_change_owner = access.can_change_owner(request.user)
    form = OpportunityForm(
        request.POST or None,
        instance=opportunity,
        initial={"products": list(opportunity.products.all())},
        actor=request.user,
        can_change_owner=can_change_owner,
    )
    if request.method == "POST" and form.is_valid():
        values = _form_values(form)
        for field in ("code", "customer"):
            values.pop(field)
        if not can_change_owner or values.get("owner") is None:
            values.pop("owner")
        try:
            services.opportunity_update(actor=request.user, opportunity=opportunity, **values)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Opportunity %(code)s saved.") % {"code": code})
            return redirect("pipeline_detail", code=code)
    return render(
        request,
        "pipeline/opportunity_form.html",
        {"form": form, "opportunity": opportunity, "tabs": _tabs("list")},
    )


def _section(request, code, form_class, fields, service, title, intro, template):
    opportunity = _editable_or_403(request, code)
    initial = {field: getattr(opportunity, field) for field in fields}
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            service(actor=request.user, opportunity=opportunity, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("pipeline_detail", code=code)
    return render(
        request,
        template,
        {"form": form, "opportunity": opportunity, "title": title, "intro": intro},
    )


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_qualification(request, code):
    return _section(
        request, code, QualificationForm, QUALIFICATION_FIELDS,
        services.opportunity_qualify, _("Qualified customer"),
        _("A qualified customer (合格客户) has a need, has purchasing power, and we know who "
          "holds decision authority. Record each as yes or no, with the evidence."),
        "pipeline/section_form.html",
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_questions(request, code):
    return _section(
        request, code, QuestionsForm, QUESTION_FIELDS, services.opportunity_assess,
        _("The four questions"),
        _("Before putting effort into an opportunity, answer four questions. Work through "
          "them in order: a no to one of the first three is a reason to stop."),
        "pipeline/questions_form.html",
    )  # fmt: skip


def _preview(rule: ScoreRule, factors: dict, expected_close) -> dict:
    evaluation = rule.evaluate(factors_of(factors), expected_close)
    return {
        "evaluation": evaluation,
        "rule": rule,
        "filled": sum(1 for v in factors.values() if v is not None),
    }


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_risk(request, code):
    opportunity = _editable_or_403(request, code)
    rule = ScoreRule.as_of_date()
    initial = {f"f{n}": getattr(opportunity, f"f{n}") for n, _l, _h in RISK_FACTORS}
    initial["notes"] = opportunity.risk_notes
    form = RiskForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.opportunity_score(
                actor=request.user, opportunity=opportunity, factors=form.factors(),
                notes=form.cleaned_data["notes"],
            )  # fmt: skip
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Risk form saved."))
            return redirect("pipeline_detail", code=code)
    factors = form.factors() if form.is_bound and form.is_valid() else initial
    factors = {k: v for k, v in factors.items() if k != "notes"}
    data = {
        "form": form,
        "opportunity": opportunity,
        "factor_rows": list(zip(form.factor_fields(), rule.weights, strict=True)),
        **_preview(rule, factors, opportunity.expected_close),
    }
    return render(request, "pipeline/risk_form.html", data)


@login_required
@require_POST
def opportunity_risk_preview(request, code):
    """The score the form would give, recomputed as the salesperson clicks (htmx)."""
    opportunity = get_visible_or_404(selectors.opportunity_details(), request.user, code=code)
    form = RiskForm(request.POST)
    factors = form.factors() if form.is_valid() else {}
    return render(
        request,
        "pipeline/_risk_preview.html",
        _preview(ScoreRule.as_of_date(), factors, opportunity.expected_close),
    )


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@login_required
@require_POST
def opportunity_stage(request, code):
    """Move a card: from the kanban (htmx answers the redrawn board) or a plain form.
    Won and lost need a reason: from the form, or from the htmx prompt."""
    opportunity = _editable_or_403(request, code)
    stage = request.POST.get("stage", "")
    reason = request.POST.get("reason") or request.headers.get("HX-Prompt", "")
    error = None
    try:
        services.opportunity_set_stage(
            actor=request.user, opportunity=opportunity, stage=stage, reason=reason
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        next_url = _safe_next(request, reverse("pipeline_kanban"))
        params = QueryDict(next_url.split("?", 1)[1] if "?" in next_url else "")
        data = _kanban_context(request, params)
        data["board_error"] = error
        data["moved"] = None if error else opportunity.code
        return render(request, "pipeline/_kanban_board.html", data)
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request,
            _("%(code)s moved to %(stage)s.")
            % {"code": code, "stage": opportunity.get_stage_display()},
        )
    return redirect(_safe_next(request, reverse("pipeline_detail", args=[code])))


ACTIONS = {
    "win": (gettext_lazy("Mark as won"), gettext_lazy("Why did we win? The next deal learns from it."), True),
    "lose": (gettext_lazy("Mark as lost"), gettext_lazy("Why did we lose? Price, relationship, specification, timing…"), True),
    "abandon": (gettext_lazy("Abandon"), gettext_lazy("Stop working this opportunity. Say why, so nobody picks it up blind."), True),
    "reduce": (gettext_lazy("Reduce contact"), gettext_lazy("The opportunity failed screening but may change: keep a minimal touch. You will be reminded every %(days)s days."), False),
    "resume": (gettext_lazy("Resume normal contact"), gettext_lazy("Things changed: work the opportunity again."), False),
    "reopen": (gettext_lazy("Reopen"), gettext_lazy("Back to the lead stage."), False),
}  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_action(request, code, action):
    if action not in ACTIONS:
        raise Http404
    opportunity = _editable_or_403(request, code)
    title, intro, required = ACTIONS[action]
    days = selectors.Context.as_of().touch_days
    form = ReasonForm(request.POST or None, required=required)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            _run_action(request.user, opportunity, action, reason)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(action)s: done.") % {"action": title})
            return redirect("pipeline_detail", code=code)
    return render(
        request,
        "pipeline/action_form.html",
        {
            "form": form,
            "opportunity": opportunity,
            "title": title,
            "intro": str(intro) % {"days": days} if "%(days)s" in str(intro) else intro,
            "danger": action in ("lose", "abandon"),
        },
    )


def _run_action(actor, opportunity, action, reason):
    if action == "win":
        services.opportunity_set_stage(
            actor=actor, opportunity=opportunity, stage=Stage.WON, reason=reason
        )
    elif action == "lose":
        services.opportunity_set_stage(
            actor=actor, opportunity=opportunity, stage=Stage.LOST, reason=reason
        )
    elif action == "abandon":
        services.opportunity_abandon(actor=actor, opportunity=opportunity, reason=reason)
    elif action == "reduce":
        services.opportunity_reduce(actor=actor, opportunity=opportunity, reason=reason)
    elif action == "resume":
        services.opportunity_resume(actor=actor, opportunity=opportunity, reason=reason)
    elif action == "reopen":
        services.opportunity_set_stage(
            actor=actor, opportunity=opportunity, stage=Stage.LEAD, reason=reason
        )


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_touch(request, code):
    opportunity = _editable_or_403(request, code)
    form = TouchForm(request.POST or None, initial={"date": dt.date.today()})
    if request.method == "POST" and form.is_valid():
        try:
            services.opportunity_touch(
                actor=request.user, opportunity=opportunity, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Touch recorded."))
            return redirect(reverse("pipeline_detail", args=[code]) + "#touches")
    return render(
        request,
        "pipeline/action_form.html",
        {
            "form": form,
            "opportunity": opportunity,
            "title": _("Record a touch"),
            "intro": _("A call, a message, a short visit: enough to hear if anything changed."),
            "reduced": opportunity.contact_level == ContactLevel.REDUCED,
        },
    )


# FAB ---------------------------------------------------------------------------------


@login_required
def fab_list(request):
    products = FabProduct.objects.prefetch_related("lines").order_by("name")
    return render(
        request,
        "pipeline/fab_list.html",
        {
            "tabs": _tabs("fab"),
            "products": products,
            "can_edit": access.can_edit_fab(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def fab_edit(request, product_id=None):
    deny_unless(access.can_edit_fab(request.user))
    product = None
    if product_id is not None:
        product = FabProduct.objects.filter(pk=product_id).first()
        if product is None:
            raise Http404
    initial = {"name": product.name, "notes": product.notes} if product else {}
    lines = (
        list(FabLine.objects.filter(product=product).values("feature", "advantage", "benefit"))
        if product
        else []
    )
    form = FabProductForm(request.POST or None, initial=initial)
    formset = FabLineFormSet(request.POST or None, initial=lines, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            saved, _outcome = fab.fab_product_save(
                actor=request.user,
                product=product,
                name=form.cleaned_data["name"],
                notes=form.cleaned_data["notes"],
                lines=[f.cleaned_data for f in formset.forms if f.cleaned_data],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("FAB lines of %(name)s saved.") % {"name": saved.name})
            return redirect(reverse("pipeline_fab") + f"#product-{saved.pk}")
    return render(
        request,
        "pipeline/fab_form.html",
        {"form": form, "formset": formset, "product": product, "tabs": _tabs("fab")},
    )


@login_required
@require_POST
def fab_delete(request, product_id):
    deny_unless(access.can_edit_fab(request.user))
    product = FabProduct.objects.filter(pk=product_id).first()
    if product is None:
        raise Http404
    fab.fab_product_delete(actor=request.user, product=product)
    messages.success(request, _("%(name)s deleted.") % {"name": product.name})
    return redirect("pipeline_fab")
