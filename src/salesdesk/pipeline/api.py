"""Opportunities, the risk form, qualification, the four questions, stages, screening
actions, stakeholder maps, FAB lines, lead-source conversion and the pipeline report.

Every read is scoped to the caller: an opportunity the caller may not see is 404. A write
the caller's roles do not allow is 403 (only the owner, the owner's manager and
administrators change an opportunity). A customer, user or product named in a body that
does not exist (or that the caller may not see) is 422 naming the field.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from salesdesk.core.errors import Conflict, KeyTaken
from salesdesk.core.models import User
from salesdesk.core.pagination import api_page
from salesdesk.core.schemas import DateIn, column, query_column
from salesdesk.customers.models import Customer
from salesdesk.lib.money import format_money
from salesdesk.pipeline import access, fab, selectors, services
from salesdesk.pipeline.choices import FACTOR_NUMBERS
from salesdesk.pipeline.models import FabLine, FabProduct, Opportunity
from salesdesk.pipeline.reports import pipeline_report
from salesdesk.pipeline.schemas import (
    ConversionOut,
    FabProductIn,
    FabProductOut,
    OpportunityIn,
    OpportunityOut,
    OpportunityPage,
    OpportunityPatch,
    PipelineReportOut,
    QualificationIn,
    QuestionsIn,
    ReasonIn,
    RiskFormIn,
    StageIn,
    StakeholdersOut,
    TouchIn,
    TouchOut,
)
from salesdesk.pipeline.scoring import publish
from salesdesk.pipeline.values import (
    DETAIL_FIELDS,
    QUALIFICATION_FIELDS,
    QUESTION_FIELDS,
    clean_values,
)

# by_alias: the published field is `class`, a Python keyword.
router = Router(tags=["pipeline"], by_alias=True)

EDIT_RULE = "Only the owner, the owner's manager and administrators (403 otherwise)."


class OpportunityQuery(Schema):
    q: str | None = column(Opportunity, "name", None)
    owner: str | None = column(User, "username", None)
    stage: str | None = column(Opportunity, "stage", None)
    pipeline_class: str | None = Field(None, alias="class", max_length=10)
    source: str | None = column(Opportunity, "source", None)
    passed: str | None = Field(None, max_length=10)
    contact: str | None = Field(None, max_length=10)
    customer: str | None = column(Customer, "code", None)
    as_of: DateIn | None = None
    page: int = 1
    page_size: int = 50


# Output ------------------------------------------------------------------------------


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format_money(value)


def opportunity_out(opportunity: Opportunity, context: selectors.Context) -> dict:
    """The published form of an evaluated opportunity (from `selectors.evaluated`)."""
    o = opportunity
    score = context.rule.score_of_points(o.risk_points)
    return {
        "code": o.code,
        "name": o.name,
        "customer": o.customer.code,
        "customer_name": o.customer.name,
        "owner": o.owner.username,
        "source": o.source,
        "stage": o.stage,
        "value": _money(o.value),
        "expected_close": o.expected_close,
        "products": [p.name for p in o.products.all()],
        "competitors": o.competitors,
        "purchase_criteria": o.purchase_criteria,
        "spec_in_tender": o.spec_in_tender,
        "qualification": {
            "need": o.need,
            "need_evidence": o.need_evidence,
            "budget": o.budget,
            "budget_evidence": o.budget_evidence,
            "decision_maker_known": o.decision_maker_known,
            "decision_maker_evidence": o.decision_maker_evidence,
            "qualified": o.qualified,
        },
        "questions": {field: getattr(o, field) for field in QUESTION_FIELDS},
        "risk": {
            "factors": {f"f{n}": getattr(o, f"f{n}") for n in FACTOR_NUMBERS},
            "complete": score is not None,
            "score": None if score is None else str(publish(score)),
            "passed": bool(o.risk_passed),
            "class": o.pipeline_class,
            "notes": o.risk_notes,
            "scored_on": o.scored_on,
            "as_of": context.date,
        },
        "contact_level": o.contact_level,
        "reduced_on": o.reduced_on,
        "reduced_reason": o.reduced_reason,
        "last_touch": o.last_touch,
        "touch_due": o.touch_due(context.touch_days, o.last_touch),
        "closed_on": o.closed_on,
        "closed_reason": o.closed_reason,
        "created_at": o.created_at,
        "updated_at": o.updated_at,
    }


def _read(request, code: str, as_of: dt.date | None = None) -> dict:
    context = selectors.Context.as_of(as_of)
    opportunity = (
        selectors.evaluated(selectors.opportunity_queryset(request.user), context)
        .select_related("customer", "owner")
        .prefetch_related("products")
        .get(code=code)
    )
    return opportunity_out(opportunity, context)


def _get(request, code: str) -> Opportunity:
    """The opportunity to change: 404 when unseen, 403 when the caller may not change it."""
    opportunity = selectors.opportunity_get(request.user, code)
    access.require_edit(request.user, opportunity)
    return opportunity


def _user_ref(username: str | None, field: str = "owner") -> User | None:
    if username is None:
        return None
    user = User.objects.filter(username=username.strip(), is_active=True).first()
    if user is None:
        raise ValidationError({field: _("No active user %(name)s.") % {"name": username}})
    return user


def _customer_ref(user: User, code: str) -> Customer:
    customer = Customer.objects.visible_to(user).filter(code=code.strip()).first()
    if customer is None:
        raise ValidationError({"customer": _("No customer %(code)s.") % {"code": code}})
    return customer


# Opportunities -----------------------------------------------------------------------


@router.get(
    "/opportunities",
    response=OpportunityPage,
    summary="Opportunities the caller may see",
    description="Filters: `q` (code, name, customer), `owner` (username), `stage` (a stage, "
    "`open` or `closed`), `class` (`A`-`D`, `failed`, `unscored`), `source` (a lead source "
    "or `none`), `passed` (`yes`/`no`), `contact` (`normal`, `reduced`, `due`: a minimal "
    "touch is due), `customer` (code). Score, pass and class use the policy and calendar "
    "of `as_of` (default today). Sorted by code.",
)
def opportunity_list(request, query: Query[OpportunityQuery]):
    context = selectors.Context.as_of(query.as_of)
    params = {
        ("class" if k == "pipeline_class" else k): v
        for k, v in query.dict().items()
        if v not in (None, "") and k not in ("page", "page_size", "as_of")
    }
    filterset, queryset = selectors.opportunity_list(request.user, params, context)
    if filterset.errors:
        raise ValidationError({field: errors for field, errors in filterset.errors.items()})
    return api_page(
        queryset.prefetch_related("products"), query.page, query.page_size,
        lambda o: opportunity_out(o, context),
    )  # fmt: skip


@router.get("/opportunities/{code}", response=OpportunityOut)
def opportunity_detail(request, code: str, as_of: DateIn | None = None):
    return _read(request, code, as_of)


def _same(existing: Opportunity, values: dict, products: list[FabProduct]) -> bool:
    cleaned = clean_values({k: v for k, v in values.items() if k in DETAIL_FIELDS})
    if any(getattr(existing, k) != v for k, v in cleaned.items()):
        return False
    if values.get("owner") is not None and values["owner"].pk != existing.owner_id:
        return False
    if values["stage"] != existing.stage:
        return False
    return sorted(p.pk for p in products) == sorted(existing.products.values_list("pk", flat=True))


@router.post(
    "/opportunities",
    response={200: OpportunityOut, 201: OpportunityOut},
    summary="Create an opportunity (idempotent by code: same content returns it, other content is 409)",
    description="Salespeople, managers and administrators. Owner and lead source default "
    "to the customer's.",
)
def opportunity_create(request, payload: OpportunityIn):
    access.require_create(request.user)
    customer = _customer_ref(request.user, payload.customer)
    products = fab.products_named(payload.products)
    values = payload.dict()
    values.pop("code")
    values.pop("customer")
    values.pop("products")
    values["owner"] = _user_ref(values["owner"])
    values["source"] = values["source"] or ""
    stored = Opportunity.objects.select_related("owner", "customer").filter(code=payload.code)
    existing = stored.first()
    if existing is None:
        try:
            services.opportunity_create(
                actor=request.user, customer=customer, code=payload.code, products=products,
                **values,
            )  # fmt: skip
        except KeyTaken:  # created a moment ago by a concurrent request
            existing = stored.get()
        else:
            return Status(201, _read(request, payload.code))
    visible = selectors.opportunity_queryset(request.user).filter(pk=existing.pk).exists()
    if visible and existing.customer_id == customer.pk:
        compare = dict(values)
        if not compare["source"]:
            compare.pop("source")
        if _same(existing, compare, products):
            return Status(200, _read(request, payload.code))
    raise Conflict(f"opportunity {payload.code} exists with different content")


PATCH_NOT_NULL = ("name", "owner", "spec_in_tender", "products")


@router.patch("/opportunities/{code}", response=OpportunityOut, description=EDIT_RULE)
def opportunity_patch(request, code: str, payload: OpportunityPatch):
    opportunity = _get(request, code)
    values = payload.dict(exclude_unset=True)
    nulls = {f: "may not be null" for f in PATCH_NOT_NULL if f in values and values[f] is None}
    if nulls:
        raise ValidationError(nulls)
    for field in ("competitors", "purchase_criteria", "source"):
        if field in values and values[field] is None:
            values[field] = ""
    if "owner" in values:
        values["owner"] = _user_ref(values["owner"])
    if "products" in values:
        values["products"] = fab.products_named(values["products"])
    services.opportunity_update(actor=request.user, opportunity=opportunity, **values)
    return _read(request, code)


@router.post(
    "/opportunities/{code}/risk-form",
    response=OpportunityOut,
    summary="Fill in the risk-assessment form (factors f1..f7, each 1-5)",
    description="Factors not sent keep their value; null clears one. " + EDIT_RULE,
)
def opportunity_risk_form(request, code: str, payload: RiskFormIn):
    opportunity = _get(request, code)
    values = payload.dict(exclude_unset=True)
    notes = values.pop("notes", None)
    services.opportunity_score(
        actor=request.user, opportunity=opportunity, factors=values, notes=notes
    )
    return _read(request, code)


def _merged(opportunity: Opportunity, payload: Schema, fields: tuple[str, ...]) -> dict:
    given = payload.dict(exclude_unset=True)
    values = {field: getattr(opportunity, field) for field in fields}
    for field, value in given.items():
        if value is None and field.endswith(("_evidence", "_notes", "resources", "next_steps")):
            value = ""
        values[field] = value
    return values


@router.post(
    "/opportunities/{code}/qualification",
    response=OpportunityOut,
    summary="Record need, budget and decision maker known (yes/no/null), with evidence",
    description="Fields not sent keep their value. " + EDIT_RULE,
)
def opportunity_qualification(request, code: str, payload: QualificationIn):
    opportunity = _get(request, code)
    services.opportunity_qualify(
        actor=request.user,
        opportunity=opportunity,
        **_merged(opportunity, payload, QUALIFICATION_FIELDS),
    )
    return _read(request, code)


@router.post(
    "/opportunities/{code}/questions",
    response=OpportunityOut,
    summary="Answer the four questions: real? can we win? worth winning? what will it take?",
    description="Fields not sent keep their value. " + EDIT_RULE,
)
def opportunity_questions(request, code: str, payload: QuestionsIn):
    opportunity = _get(request, code)
    services.opportunity_assess(
        actor=request.user,
        opportunity=opportunity,
        **_merged(opportunity, payload, QUESTION_FIELDS),
    )
    return _read(request, code)


@router.post(
    "/opportunities/{code}/stage",
    response=OpportunityOut,
    summary="Move to a stage; won, lost and abandoned need a reason",
    description="Moving a closed opportunity to an open stage reopens it. " + EDIT_RULE,
)
def opportunity_stage(request, code: str, payload: StageIn):
    opportunity = _get(request, code)
    services.opportunity_set_stage(
        actor=request.user, opportunity=opportunity, stage=payload.stage, reason=payload.reason
    )
    return _read(request, code)


@router.post(
    "/opportunities/{code}/abandon",
    response=OpportunityOut,
    summary="Abandon an opportunity (reason required)",
    description=EDIT_RULE,
)
def opportunity_abandon(request, code: str, payload: ReasonIn):
    opportunity = _get(request, code)
    services.opportunity_abandon(actor=request.user, opportunity=opportunity, reason=payload.reason)
    return _read(request, code)


@router.post(
    "/opportunities/{code}/reduce",
    response=OpportunityOut,
    summary="Put an opportunity that failed screening on reduced contact",
    description="Its owner is then due a minimal touch every policy "
    "`risk.reduced_contact_days` (see `touch_due`). " + EDIT_RULE,
)
def opportunity_reduce(request, code: str, payload: ReasonIn):
    opportunity = _get(request, code)
    services.opportunity_reduce(actor=request.user, opportunity=opportunity, reason=payload.reason)
    return _read(request, code)


@router.post(
    "/opportunities/{code}/resume",
    response=OpportunityOut,
    summary="Back from reduced to normal contact",
    description=EDIT_RULE,
)
def opportunity_resume(request, code: str, payload: ReasonIn):
    opportunity = _get(request, code)
    services.opportunity_resume(actor=request.user, opportunity=opportunity, reason=payload.reason)
    return _read(request, code)


def _touch_out(touch) -> dict:
    return {
        "id": touch.pk,
        "date": touch.date,
        "note": touch.note,
        "recorded_by": touch.recorded_by.username if touch.recorded_by_id else None,
    }


@router.get("/opportunities/{code}/touches", response=list[TouchOut])
def opportunity_touches(request, code: str):
    opportunity = selectors.opportunity_get(request.user, code)
    return [_touch_out(t) for t in selectors.opportunity_touches(opportunity)]


@router.post(
    "/opportunities/{code}/touches",
    response={201: TouchOut},
    summary="Record a minimal touch",
    description=EDIT_RULE,
)
def opportunity_touch(request, code: str, payload: TouchIn):
    opportunity = _get(request, code)
    touch = services.opportunity_touch(
        actor=request.user, opportunity=opportunity, date=payload.date, note=payload.note
    )
    return Status(201, _touch_out(touch))


def _contact(contact) -> dict:
    return {
        "name": contact.name,
        "title": contact.title,
        "role": contact.role,
        "decision_authority": contact.decision_authority,
    }


@router.get(
    "/opportunities/{code}/stakeholders",
    response=StakeholdersOut,
    summary="The stakeholder map: contacts by buying role and what to lead with",
    description="For each buying role: the customer's contacts in it and the FAB lines of "
    "the opportunity's products to lead with (user: features in use; technical: features; "
    "department manager: advantages; decision maker: benefits; procurement: price and "
    "payment terms). `warning` is set when no decision maker is known.",
)
def opportunity_stakeholders(request, code: str):
    opportunity = selectors.opportunity_get(request.user, code)
    stakeholders = selectors.stakeholder_map(opportunity)
    return {
        "opportunity": opportunity.code,
        "decision_maker_known": stakeholders.decision_maker_known,
        "warning": None
        if stakeholders.decision_maker_known
        else _("No decision maker is known. Talking only to advisers is a known way to lose."),
        "roles": [
            {
                "role": group.role,
                "label": str(group.label),
                "focus": group.focus,
                "focus_label": str(group.focus_label),
                "contacts": [_contact(c) for c in group.contacts],
                "lead_with": [{"product": i.product, "text": i.text} for i in group.fab],
            }
            for group in stakeholders.groups
        ],
        "unassigned": [_contact(c) for c in stakeholders.unassigned],
        "products": [p.name for p in stakeholders.products],
        "terms": {
            "tier": str(stakeholders.terms["tier"]),
            "discount_pct": str(stakeholders.terms["discount_pct"]),
            "payment_terms_days": stakeholders.terms["payment_terms_days"],
            "credit_limit": format_money(stakeholders.terms["credit_limit"]),
        },
    }


# FAB ---------------------------------------------------------------------------------


def _products():
    return FabProduct.objects.prefetch_related(
        Prefetch("lines", queryset=FabLine.objects.order_by("position", "id"))
    )


def _product_out(product: FabProduct) -> dict:
    return {
        "id": product.pk,
        "name": product.name,
        "notes": product.notes,
        "lines": [
            {"feature": line.feature, "advantage": line.advantage, "benefit": line.benefit}
            for line in product.lines.all()
        ],
    }


@router.get("/fab-products", response=list[FabProductOut], summary="FAB lines of every product")
def fab_product_list(request):
    return [_product_out(p) for p in _products().order_by("name")]


@router.get("/fab-products/{product_id}", response=FabProductOut)
def fab_product_detail(request, product_id: int):
    return _product_out(_products().get(pk=product_id))


@router.post(
    "/fab-products",
    response={200: FabProductOut, 201: FabProductOut},
    summary="Create a product's FAB lines, or replace those of the product of that name",
    description="Managers, marketing and administrators.",
)
def fab_product_save(request, payload: FabProductIn):
    product, outcome = fab.fab_product_save(
        actor=request.user,
        name=payload.name,
        notes=payload.notes,
        lines=[line.dict() for line in payload.lines],
    )
    return Status(
        201 if outcome == "created" else 200, _product_out(_products().get(pk=product.pk))
    )


@router.put(
    "/fab-products/{product_id}",
    response=FabProductOut,
    summary="Rename a product and replace its FAB lines",
    description="Managers, marketing and administrators.",
)
def fab_product_replace(request, product_id: int, payload: FabProductIn):
    access.require_fab_editor(request.user)
    product = FabProduct.objects.get(pk=product_id)
    fab.fab_product_save(
        actor=request.user,
        product=product,
        name=payload.name,
        notes=payload.notes,
        lines=[line.dict() for line in payload.lines],
    )
    return _product_out(_products().get(pk=product.pk))


@router.delete(
    "/fab-products/{product_id}",
    response={204: None},
    summary="Delete a product and its FAB lines",
    description="Managers, marketing and administrators.",
)
def fab_product_delete(request, product_id: int):
    access.require_fab_editor(request.user)
    fab.fab_product_delete(actor=request.user, product=FabProduct.objects.get(pk=product_id))
    return Status(204, None)


# Conversion, touches due, report -----------------------------------------------------


def _conversion_row(row) -> dict:
    return {
        "source": row.source,
        "label": str(row.label),
        "customers": row.customers,
        "active_customers": row.active_customers,
        "created": row.created,
        "open": row.open,
        "won": row.won,
        "lost": row.lost,
        "abandoned": row.abandoned,
        "won_value": format_money(row.won_value),
        "conversion": None if row.conversion is None else str(row.conversion),
        "win_rate": None if row.win_rate is None else str(row.win_rate),
    }


@router.get(
    "/pipeline/conversion",
    response=ConversionOut,
    summary="Lead-source conversion: per channel, opportunities created, won, win rate, value",
    description="Over the opportunities (and customers) the caller may see; opportunities "
    "count when created between `date_from` and `date_to` (inclusive, both optional). "
    "`conversion` = won / created; `win_rate` = won / (won + lost + abandoned).",
)
def pipeline_conversion(request, date_from: DateIn | None = None, date_to: DateIn | None = None):
    rows, total = selectors.conversion(request.user, date_from, date_to)
    return {
        "date_from": date_from,
        "date_to": date_to,
        "rows": [_conversion_row(row) for row in rows],
        "totals": _conversion_row(total),
    }


@router.get(
    "/pipeline/touches-due",
    response=list[OpportunityOut],
    summary="Opportunities on reduced contact whose minimal touch is due",
)
def pipeline_touches_due(request, as_of: DateIn | None = None):
    context = selectors.Context.as_of(as_of)
    due = selectors.touches_due(request.user, context).prefetch_related("products")
    return [opportunity_out(o, context) for o in due]


@router.get(
    "/reports/pipeline",
    response=PipelineReportOut,
    summary="The pipeline report (FORMATS.md envelope) over the opportunities the caller may see",
    description="One row per open opportunity, sorted by code, scored with the policy in "
    "force on `as_of` (default today).",
)
def report_pipeline(
    request, as_of: DateIn | None = None, owner: str | None = query_column(User, "username")
):
    opportunities = selectors.opportunity_queryset(request.user)
    if owner:
        opportunities = opportunities.filter(owner__username=owner)
    return pipeline_report(as_of=as_of or dt.date.today(), opportunities=opportunities).envelope()
