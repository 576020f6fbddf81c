"""Claim-protection pages: register a prospect (with a live duplicate check), the
registrations a user may see, and the managers' dispute queue."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from salesdesk.core.access import deny_unless
from salesdesk.core.forms import add_service_errors
from salesdesk.core.pagination import PAGE_SIZE, paginate
from salesdesk.core.policy import policy_as_of
from salesdesk.customers import selectors
from salesdesk.customers.claims import access as claim_access
from salesdesk.customers.claims import selectors as claim_selectors
from salesdesk.customers.claims import services as claim_services
from salesdesk.customers.claims.forms import DecisionForm, ProspectForm, ReleaseForm
from salesdesk.customers.models import DisputeStatus

DISPUTE_TABS = (
    (DisputeStatus.OPEN, DisputeStatus.OPEN.label),
    (DisputeStatus.KEPT, DisputeStatus.KEPT.label),
    (DisputeStatus.REASSIGNED, DisputeStatus.REASSIGNED.label),
    ("all", claim_selectors.ClaimState.CHOICES[-1][1]),
)


def _nav(user) -> dict:
    """What the claim pages' tab bar needs."""
    return {
        "can_register": claim_access.can_register(user),
        "open_disputes": claim_selectors.open_dispute_count(user),
    }


def _visible_customer_ids(user, customer_ids) -> set[int]:
    ids = list(customer_ids)
    if not ids:
        return set()
    return set(selectors.customer_queryset(user).filter(pk__in=ids).values_list("pk", flat=True))


def _check_rows(user, check: claim_selectors.DuplicateCheck, today: dt.date) -> dict:
    """The duplicate check as the page shows it: what registering each match would do."""
    several = len({d.customer.pk for d in check.matches}) > 1
    visible = _visible_customer_ids(user, (d.customer.pk for d in check.matches + check.similar))
    rows = {"matches": [], "similar": []}
    for group in ("matches", "similar"):
        for duplicate in getattr(check, group):
            verdict = ""
            if group == "matches" and claim_access.can_register(user):
                verdict = claim_services.registration_verdict(
                    user, duplicate, today, several=several
                )
            rows[group].append(
                {
                    "d": duplicate,
                    "verdict": verdict,
                    "visible": duplicate.customer.pk in visible,
                    "protected": duplicate.protected_on(today),
                }
            )
    return rows


@login_required
def claim_check(request):
    """The live duplicate check of the registration form (an htmx fragment)."""
    deny_unless(claim_access.can_check(request.user))
    name = request.GET.get("name", "")
    credit_code = request.GET.get("credit_code", "")
    today = dt.date.today()
    check = claim_selectors.duplicates_find(name, credit_code)
    context = {
        "asked": len(" ".join(name.split())) >= 2 or bool(credit_code.strip()),
        "today": today,
        **_check_rows(request.user, check, today),
    }
    return render(request, "customers/claims/_check.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def claim_register(request):
    deny_unless(claim_access.can_register(request.user))
    form = ProspectForm(request.POST or None)
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            registration = claim_services.prospect_register(actor=request.user, **form.cleaned_data)
        except claim_services.ClaimRefused as exc:
            refusal = exc
            add_service_errors(form, exc)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            claim = registration.claim
            params = {"name": claim.customer.name, "date": claim.protected_until.isoformat()}
            text = {
                claim_services.Registration.CREATED: _(
                    "%(name)s registered: protected until %(date)s."
                ),
                claim_services.Registration.RENEWED: _(
                    "Your registration of %(name)s is renewed: protected until %(date)s."
                ),
                claim_services.Registration.TAKEN_OVER: _(
                    "The previous registration of %(name)s had lapsed: it is yours now, "
                    "protected until %(date)s."
                ),
            }[registration.outcome]
            messages.success(request, text % params)
            return redirect("claim_list")
    today = dt.date.today()
    context = {
        "form": form,
        "refusal": refusal,
        "today": today,
        "asked": False,
        "protection_days": policy_as_of(today)["claims.protection_days"],
        **_nav(request.user),
    }
    if request.method == "POST":
        check = claim_selectors.duplicates_find(
            request.POST.get("name", ""), request.POST.get("credit_code", "")
        )
        context.update(asked=True, **_check_rows(request.user, check, today))
    return render(request, "customers/claims/register.html", context)


@login_required
def claim_list(request):
    user = request.user
    states = [value for value, _label in claim_selectors.ClaimState.CHOICES]
    state = request.GET.get("state", claim_selectors.ClaimState.PROTECTED)
    if state not in states:
        state = claim_selectors.ClaimState.PROTECTED
    today = dt.date.today()
    page = paginate(
        claim_selectors.claim_list(user, state=state, today=today),
        request.GET.get("page"),
        PAGE_SIZE,
    )
    visible = _visible_customer_ids(user, (claim.customer_id for claim in page.items))
    rows = [
        {
            "claim": claim,
            "state": claim_selectors.claim_state(claim, today),
            # Today included: protected until today is "1 day left".
            "days_left": (claim.protected_until - today).days + 1,
            "visible": claim.customer_id in visible,
            "can_release": claim.status == "active" and claim_access.can_release(user, claim),
        }
        for claim in page.items
    ]
    context = {
        "rows": rows,
        "page": page,
        "state": state,
        "tabs": [
            (value, label, f"{reverse('claim_list')}?state={value}", value == state)
            for value, label in claim_selectors.ClaimState.CHOICES
        ],
        "query_without_page": f"state={state}",
        **_nav(user),
        "team_view": user.has_role("manager") or user.sees_company,
        "soon_days": claim_selectors.EXPIRING_SOON_DAYS,
    }
    return render(request, "customers/claims/claim_list.html", context)


@login_required
@require_POST
def claim_release(request, claim_id: int):
    try:
        claim = claim_selectors.claim_get(request.user, claim_id)
    except ObjectDoesNotExist:
        raise Http404 from None
    form = ReleaseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        claim_services.claim_release(actor=request.user, claim=claim, reason=reason)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Registration of %(name)s released.") % {"name": claim.customer.name}
        )
    return redirect(f"{reverse('claim_list')}?state=ended")


@login_required
def dispute_list(request):
    status = request.GET.get("status", DisputeStatus.OPEN)
    if status not in (*DisputeStatus.values, "all"):
        status = DisputeStatus.OPEN
    page = paginate(
        claim_selectors.dispute_list(request.user, status=status),
        request.GET.get("page"),
        PAGE_SIZE,
    )
    today = dt.date.today()
    visible = _visible_customer_ids(request.user, (d.customer_id for d in page.items))
    rows = [
        {
            "dispute": dispute,
            "customer_visible": dispute.customer_id in visible,
            "can_decide": dispute.status == DisputeStatus.OPEN
            and claim_access.can_decide(request.user, dispute),
            "protected": dispute.claim is not None and dispute.claim.protects_on(today),
            "match_label": claim_selectors.reason_label(dispute.match_reason),
        }
        for dispute in page.items
    ]
    context = {
        "rows": rows,
        "page": page,
        "status": status,
        "tabs": [
            (value, label, f"{reverse('claim_disputes')}?status={value}", value == status)
            for value, label in DISPUTE_TABS
        ],
        "query_without_page": f"status={status}",
        **_nav(request.user),
    }
    return render(request, "customers/claims/dispute_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def dispute_detail(request, dispute_id: int):
    try:
        dispute = claim_selectors.dispute_get(request.user, dispute_id)
    except ObjectDoesNotExist:
        raise Http404 from None
    can_decide = dispute.status == DisputeStatus.OPEN and claim_access.can_decide(
        request.user, dispute
    )
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        deny_unless(can_decide)
        if form.is_valid():
            try:
                claim_services.dispute_decide(
                    actor=request.user, dispute=dispute, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Decision recorded."))
                return redirect("claim_dispute", dispute_id=dispute.pk)
    today = dt.date.today()
    customer = dispute.customer
    context = {
        "dispute": dispute,
        "customer": customer,
        "customer_visible": bool(_visible_customer_ids(request.user, [customer.pk])),
        "form": form,
        "can_decide": can_decide,
        "protected": dispute.claim is not None and dispute.claim.protects_on(today),
        "match_label": claim_selectors.reason_label(dispute.match_reason),
        "cross_team": dispute.challenger.manager_id != dispute.owner.manager_id
        or dispute.challenger.manager_id is None,
        **_nav(request.user),
    }
    return render(request, "customers/claims/dispute_detail.html", context)
