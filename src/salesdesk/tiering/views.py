"""Tiering pages (DOMAIN §2): the re-tiering preview, applying it, and the tier history.

The preview is one query (`tiering_rows`) and an in-memory ranking (`propose`) per
request, whatever the page: the ranking needs every active customer, and the proposal
must be the one the user sees now, so nothing is cached. Filters and paging work on the
ranked list in memory. Applying checks that the proposal is still the one the user
confirmed (`changes_digest`).
"""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from salesdesk.core.choices import Role
from salesdesk.core.errors import PermissionDenied
from salesdesk.core.forms import DateField
from salesdesk.core.inputs import query_date
from salesdesk.core.models import User
from salesdesk.core.pagination import Page, paginate
from salesdesk.core.policy import policy_as_of
from salesdesk.customers.choices import Tier
from salesdesk.customers.models import Customer, CustomerTierChange
from salesdesk.tiering import services
from salesdesk.tiering.ranking import Proposal, propose, summarise
from salesdesk.tiering.selectors import tiering_rows

# Who may read the preview and the history, and who may apply or lock (DOMAIN §2: "a
# manager may lock a customer's tier"; the services check the same).
READERS = (Role.MANAGER, Role.MARKETING, Role.ADMIN)
APPLIERS = (Role.MANAGER, Role.ADMIN)
PAGE_SIZES = (50, 100, 500)
SHOW_CHOICES = [
    ("all", gettext_lazy("All customers")),
    ("changes", gettext_lazy("Changes only")),
    ("up", gettext_lazy("Moving up")),
    ("down", gettext_lazy("Moving down")),
    ("new", gettext_lazy("Newly tiered")),
    ("locked", gettext_lazy("Locked")),
]


def can_read(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*READERS))


def can_apply(user: User) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_role(*APPLIERS))


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not do this."))


class PreviewForm(forms.Form):
    as_of = DateField(label=gettext_lazy("As of"), required=False)
    show = forms.ChoiceField(label=gettext_lazy("Show"), choices=SHOW_CHOICES, required=False)
    tier = forms.ChoiceField(
        label=gettext_lazy("Proposed tier"), choices=[("", ""), *Tier.choices], required=False
    )
    q = forms.CharField(label=gettext_lazy("Customer"), max_length=100, required=False)


def preview_filters(data) -> tuple[PreviewForm, dt.date, dict]:
    """The preview's as-of date (default today) and filters; bad values fall back."""
    form = PreviewForm(data)
    cleaned = form.cleaned_data if form.is_valid() else {}
    as_of = cleaned.get("as_of") or timezone.localdate()
    filters = {
        "show": cleaned.get("show") or "all",
        "tier": cleaned.get("tier") or "",
        "q": (cleaned.get("q") or "").strip(),
    }
    return form, as_of, filters


def filter_proposals(proposals: list[Proposal], *, show: str, tier: str, q: str) -> list:
    """The proposals a preview lists, still in rank order."""
    needle = q.casefold()
    wanted = []
    for p in proposals:
        if show == "changes" and not p.changes:
            continue
        if show in ("up", "down", "new") and p.direction != show:
            continue
        if show == "locked" and not p.row.locked:
            continue
        if tier and p.proposed != tier:
            continue
        if needle and needle not in p.row.code.casefold() and needle not in p.row.name.casefold():
            continue
        wanted.append(p)
    return wanted


def page_of(items: list, page, page_size: int) -> Page:
    paginator = Paginator(items, page_size)
    page_obj = paginator.get_page(page)
    return Page(list(page_obj.object_list), paginator.count, page_obj.number, page_size)


def _page_size(request) -> int:
    try:
        size = int(request.GET.get("page_size", 100))
    except ValueError:
        size = 100
    return size if size in PAGE_SIZES else 100


def _query_without(request, *names) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def _visible_ids(user: User, ids: list[int]) -> set[int]:
    """Of these customers, the ones `user` may open (a manager: their team's)."""
    return set(Customer.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


@login_required
def tiering_preview(request):
    _require(can_read(request.user))
    form, as_of, filters = preview_filters(request.GET)
    policy = policy_as_of(as_of)
    proposals = propose(tiering_rows(as_of), policy)
    summary = summarise(proposals, policy)
    page = page_of(
        filter_proposals(proposals, **filters), request.GET.get("page"), _page_size(request)
    )
    visible = _visible_ids(request.user, [p.row.id for p in page.items])
    tiers = [(str(value), label) for value, label in Tier.choices]
    labels = dict(tiers)
    context = {
        "form": form,
        "as_of": as_of,
        "filters": filters,
        "show_choices": SHOW_CHOICES,
        "tiers": tiers,
        "page": page,
        "rows": [
            (p, p.row.id in visible, labels.get(p.row.tier, ""), labels[p.proposed])
            for p in page.items
        ],
        "summary": summary,
        "untiered": summary.current.get("", 0),
        "quota_rows": [
            {
                "tier": tier,
                "label": label,
                "places": summary.places[tier],
                "locked": summary.locked[tier],
                "current": summary.current[tier],
                "proposed": summary.proposed[tier],
            }
            for tier, label in tiers
        ],
        "weights": {
            "business": policy["tiering.weight_business"],
            "rating": policy["tiering.weight_rating"],
            "scale": policy["tiering.weight_scale"],
        },
        "can_apply": can_apply(request.user),
        "page_sizes": PAGE_SIZES,
        "page_size": page.page_size,
        "query_without_page": _query_without(request, "page"),
        "base_query": _query_without(request, "page", "show"),
        "apply_url": reverse("tiering_apply") + f"?as_of={as_of.isoformat()}",
    }
    return render(request, "tiering/preview.html", context)


class ApplyForm(forms.Form):
    as_of = DateField(label=gettext_lazy("As of"))
    digest = forms.CharField(max_length=64, widget=forms.HiddenInput)


@login_required
@require_http_methods(["GET", "POST"])
def tiering_apply(request):
    """GET: the confirmation step (how many customers change, and how). POST: apply."""
    _require(can_apply(request.user))
    data = request.POST if request.method == "POST" else request.GET
    as_of = query_date(data, "as_of") or timezone.localdate()
    if request.method == "POST":
        form = ApplyForm(request.POST)
        if form.is_valid():
            as_of = form.cleaned_data["as_of"]
            try:
                changed = services.tiering_apply(
                    actor=request.user, as_of=as_of, expected=form.cleaned_data["digest"]
                )
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                if changed:
                    messages.success(
                        request,
                        _("Re-tiering as of %(date)s applied: %(count)d customers changed tier.")
                        % {"date": as_of.isoformat(), "count": len(changed)},
                    )
                else:
                    messages.success(request, _("Re-tiering applied: no customer changed tier."))
                return redirect(reverse("tiering_history") + f"?effective={as_of.isoformat()}")
    policy = policy_as_of(as_of)
    summary = summarise(propose(tiering_rows(as_of), policy), policy)
    context = {
        "as_of": as_of,
        "summary": summary,
        "after": [(str(tier), label, summary.proposed[str(tier)]) for tier, label in Tier.choices],
        "is_future": as_of > timezone.localdate(),
        "preview_url": reverse("tiering_preview") + f"?as_of={as_of.isoformat()}&show=changes",
    }
    return render(request, "tiering/apply.html", context)


class HistoryForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Customer"), max_length=100, required=False)
    to_tier = forms.ChoiceField(
        label=gettext_lazy("To"),
        choices=[("", ""), *Tier.choices, ("none", gettext_lazy("Not tiered"))],
        required=False,
    )
    locked = forms.ChoiceField(
        label=gettext_lazy("Locked"),
        choices=[("", ""), ("yes", gettext_lazy("Locked")), ("no", gettext_lazy("Not locked"))],
        required=False,
    )
    by = forms.CharField(label=gettext_lazy("By"), max_length=150, required=False)
    since = DateField(label=gettext_lazy("Effective from"), required=False)
    until = DateField(label=gettext_lazy("Effective until"), required=False)
    effective = DateField(label=gettext_lazy("Effective"), required=False)


SYSTEM = "-"  # the `by` filter's value for changes made by no user (the CLI, the importer)


def history_queryset(params: dict):
    """Tier changes, newest first, filtered by `params` (a HistoryForm's cleaned data)."""
    changes = CustomerTierChange.objects.select_related("customer", "changed_by").order_by(
        "-at", "-id"
    )
    if q := (params.get("q") or "").strip():
        changes = changes.filter(Q(customer__code__iexact=q) | Q(customer__name__icontains=q))
    if params.get("to_tier") == "none":
        changes = changes.filter(to_tier="")
    elif params.get("to_tier"):
        changes = changes.filter(to_tier=params["to_tier"])
    if params.get("locked"):
        changes = changes.filter(locked=params["locked"] == "yes")
    if params.get("by") == SYSTEM:
        changes = changes.filter(changed_by=None)
    elif params.get("by"):
        changes = changes.filter(changed_by__username=params["by"])
    if params.get("effective"):
        changes = changes.filter(effective_on=params["effective"])
    if params.get("since"):
        changes = changes.filter(effective_on__gte=params["since"])
    if params.get("until"):
        changes = changes.filter(effective_on__lte=params["until"])
    return changes


@login_required
def tiering_history(request):
    _require(can_read(request.user))
    form = HistoryForm(request.GET)
    params = form.cleaned_data if form.is_valid() else {}
    page = paginate(history_queryset(params), request.GET.get("page"), 50)
    visible = _visible_ids(request.user, [change.customer_id for change in page.items])
    context = {
        "form": form,
        "page": page,
        "rows": [(change, change.customer_id in visible) for change in page.items],
        "query_without_page": _query_without(request, "page"),
        "people": User.objects.filter(
            pk__in=CustomerTierChange.objects.exclude(changed_by=None).values("changed_by")
        ).order_by("username"),
        "system": SYSTEM,
    }
    return render(request, "tiering/history.html", context)
