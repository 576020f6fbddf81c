"""Collections pages: monthly tasks and their sign-off, collection letters, supply holds,
the legal office's queue, and the collections part of the project and customer pages.

Views parse input, call a service or selector, render. A record outside the user's scope
is a 404; a page or step the user's role may not use is a 403 (the services check too).
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from salesdesk.collections import letters as documents
from salesdesk.collections import services, today
from salesdesk.collections.choices import TaskStatus
from salesdesk.collections.forms import (
    HoldFilterForm,
    LegalForm,
    LetterFilterForm,
    OverrideForm,
    SignForm,
)
from salesdesk.collections.models import (
    CollectionTask,
    DunningLetter,
    LegalCase,
    SupplyHold,
)
from salesdesk.collections.selectors import holds_in_force
from salesdesk.core.access import Action, can, get_visible_or_404, require
from salesdesk.core.choices import Role
from salesdesk.core.forms import add_service_errors
from salesdesk.core.pagination import PAGE_SIZE, paginate, query_without
from salesdesk.customers.choices import ProjectStatus
from salesdesk.customers.models import Customer, Project
from salesdesk.customers.panels import Fragment
from salesdesk.customers.selectors import project_details
from salesdesk.lib.dates import month_or_none, month_start
from salesdesk.lib.money import ZERO

# Who reads which page; what they see in it is scoped further by visible_to (DOMAIN §1).
WORKED = (ProjectStatus.ACTIVE, ProjectStatus.COMPLETED)


def _tabs(user, active: str) -> list[tuple[str, str, str, bool]]:
    tabs = [
        ("tasks", gettext_lazy("Collection tasks"), "collections_tasks", Action.TASK_READ),
        ("letters", gettext_lazy("Collection letters"), "collections_letters", Action.LETTER_READ),
        ("holds", gettext_lazy("Supply holds"), "collections_holds", Action.HOLD_READ),
        ("legal", gettext_lazy("Legal recovery"), "legal_queue", Action.LEGAL_READ),
    ]
    return [
        (key, label, reverse(name), key == active)
        for key, label, name, action in tabs
        if can(user, action)
    ]


def _show_errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# Collection tasks (收款任务书) ------------------------------------------------------------


@login_required
def tasks(request):
    user = request.user
    require(user, Action.TASK_READ)
    months = today.task_months()
    requested = request.GET.get("month")
    month = month_or_none(requested)
    if requested and month is None:
        messages.error(request, _("Write the month as YYYY-MM."))
    if month is None:
        month = months[0] if months else month_start(dt.date.today())
    scoped = CollectionTask.objects.visible_to(user)
    groups = today.task_groups(scoped, month, dt.date.today())
    signs_as = [role for role, action in services.SIGN_AS.items() if can(user, action)]
    signable = {}
    for role in signs_as:
        ids = set(
            today.signable(scoped.filter(month=month), user, role).values_list("pk", flat=True)
        )
        signable[role] = len(ids)
        for group in groups:
            group.can_sign[role] = any(row.task.pk in ids for row in group.rows)
    all_rows = [row for group in groups for row in group.rows]
    target = sum((row.task.target for row in all_rows), ZERO)
    collected = sum((row.collected for row in all_rows), ZERO)
    waiting = {
        "marketing": sum(
            1
            for r in all_rows
            if r.task.status == TaskStatus.DRAFT and not r.task.marketing_signed_by_id
        ),
        "finance": sum(
            1
            for r in all_rows
            if r.task.status == TaskStatus.DRAFT and not r.task.finance_signed_by_id
        ),
    }
    if month not in months:
        months = sorted({*months, month}, reverse=True)
    context = {
        "tabs": _tabs(user, "tasks"),
        "month": month,
        "months": months,
        "groups": groups,
        "count": len(all_rows),
        "target": target,
        "collected": collected,
        "completion": today.percent(collected, target),
        "waiting": waiting,
        "sign_all": [(role, signable[role]) for role in signs_as],
        "live": month >= month_start(dt.date.today()),
        "started": month <= month_start(dt.date.today()),
    }
    return render(request, "collections/tasks.html", context)


@login_required
@require_POST
def tasks_sign(request):
    user = request.user
    form = SignForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("collections_tasks")
    month, as_role = form.cleaned_data["month"], form.cleaned_data["as_role"]
    username = form.cleaned_data["salesperson"]
    require(user, services.SIGN_AS[as_role])
    back = reverse("collections_tasks") + f"?month={month:%Y-%m}"
    drafts = CollectionTask.objects.visible_to(user).filter(month=month, status=TaskStatus.DRAFT)
    mine = "marketing" if as_role == Role.MARKETING else "finance"
    unsigned = drafts.filter(**{f"{mine}_signed_by__isnull": True})
    skipped = 0
    if username:
        # One salesperson's group: every unsigned draft, so the service says why not.
        ids = list(unsigned.filter(salesperson__username=username).values_list("pk", flat=True))
    else:
        ids = list(today.signable(unsigned, user, as_role).values_list("pk", flat=True))
        skipped = unsigned.count() - len(ids)
    try:
        signed = services.tasks_sign(actor=user, task_ids=ids, as_role=as_role, at=timezone.now())
    except ValidationError as exc:
        _show_errors(request, exc)
        return redirect(back)
    department = _("marketing") if as_role == Role.MARKETING else _("finance")
    if signed:
        messages.success(
            request,
            _("%(count)d tasks signed for %(department)s.")
            % {"count": signed, "department": department},
        )
    else:
        messages.info(request, _("Nothing left for you to sign."))
    if skipped:
        messages.warning(
            request,
            _(
                "%(count)d tasks were left for someone else: they are your own, or you "
                "signed them for the other department."
            )
            % {"count": skipped},
        )
    return redirect(back)


@login_required
def task_letter(request, month, username):
    require(request.user, Action.TASK_READ)
    first = month_or_none(month)
    if first is None:
        raise Http404
    rows = list(
        CollectionTask.objects.visible_to(request.user)
        .filter(month=first, salesperson__username=username)
        .select_related(
            "project__customer", "salesperson__manager", "marketing_signed_by", "finance_signed_by"
        )
        .order_by("project__code")
    )
    if not rows:
        raise Http404
    built = documents.task_letter_build(month=first, salesperson=rows[0].salesperson, tasks=rows)
    response = HttpResponse(documents.task_letter_pdf(built), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{built.filename()}"'
    return response


# Collection letters (工作函) -------------------------------------------------------------


def _letters(request):
    form = LetterFilterForm(request.GET or None)
    values = form.values()
    letters = DunningLetter.objects.visible_to(request.user)
    if values["date_from"]:
        letters = letters.filter(issued_on__gte=values["date_from"])
    if values["date_to"]:
        letters = letters.filter(issued_on__lte=values["date_to"])
    if values["q"]:
        q = values["q"]
        letters = letters.filter(
            Q(project__code__icontains=q)
            | Q(project__name__icontains=q)
            | Q(project__customer__code__icontains=q)
            | Q(project__customer__name__icontains=q)
            | Q(project__contract_no__icontains=q)
        )
    return form, letters


@login_required
def letters(request):
    require(request.user, Action.LETTER_READ)
    form, found = _letters(request)
    page = paginate(
        found.select_related("project__customer", "issued_by").order_by("-issued_on", "-id"),
        request.GET.get("page"),
        PAGE_SIZE,
    )
    context = {
        "tabs": _tabs(request.user, "letters"),
        "form": form,
        "page": page,
        "total": found.aggregate(total=Sum("amount"))["total"] or ZERO,
        "query_without_page": query_without(request.GET, "page"),
    }
    return render(request, "collections/letters.html", context)


@login_required
def letter_pdf(request, pk):
    require(request.user, Action.LETTER_READ)
    letter = (
        DunningLetter.objects.visible_to(request.user)
        .select_related("project__customer")
        .filter(pk=pk)
        .first()
    )
    if letter is None:
        raise Http404
    lang = request.GET.get("lang", "")
    if lang not in documents.LANGUAGES:
        raise Http404
    response = HttpResponse(documents.letter_pdf(letter, lang), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{documents.letter_filename(letter, lang)}"'
    )
    return response


# Supply holds (暂停供货) -----------------------------------------------------------------


@login_required
def holds(request):
    user = request.user
    require(user, Action.HOLD_READ)
    form = HoldFilterForm(request.GET or None)
    state = form.state_value()
    day = dt.date.today()
    found = SupplyHold.objects.filter(customer__in=Customer.objects.visible_to(user))
    if state == "current":
        found = found.filter(since__lte=day).filter(
            Q(released_on__isnull=True) | Q(released_on__gt=day)
        )
    elif state == "past":
        found = found.filter(released_on__lte=day)
    found = (
        found.select_related("customer__owner", "trigger__project")
        .annotate(
            override_count=Count("overrides"),
            overrides_used=Count("overrides", filter=Q(overrides__delivery__isnull=False)),
        )
        .order_by("-since", "-id")
    )
    page = paginate(found, request.GET.get("page"), PAGE_SIZE)
    open_ids = [h.customer_id for h in page.items if h.released_on is None]
    in_force = holds_in_force(open_ids, day) if open_ids else {}
    for hold in page.items:
        current = in_force.get(hold.customer_id)
        hold.in_force = current is not None and current.pk == hold.pk
        hold.cleared = hold.released_on is None and not hold.in_force
        end = hold.released_on or day
        hold.days = (end - hold.since).days
    context = {
        "tabs": _tabs(user, "holds"),
        "form": form,
        "state": state,
        "page": page,
        "query_without_page": query_without(request.GET, "page"),
        "today": day,
    }
    return render(request, "collections/holds.html", context)


# Legal recovery (法律事务办 / 清欠办) ---------------------------------------------------------


@login_required
def legal(request):
    user = request.user
    require(user, Action.LEGAL_READ)
    cases = today.legal_queue(LegalCase.objects.visible_to(user))
    page = paginate(cases, request.GET.get("page"), PAGE_SIZE)
    day = dt.date.today()
    balances = today.outstanding_now([case.project_id for case in page.items], day)
    for case in page.items:
        balance = balances.get(case.project_id)
        case.outstanding_now = balance.outstanding if balance else ZERO
        case.overdue_now = balance.overdue if balance else ZERO
    context = {
        "tabs": _tabs(user, "legal"),
        "page": page,
        "query_without_page": query_without(request.GET, "page"),
        "today": day,
    }
    return render(request, "collections/legal.html", context)


# On the project and customer pages -----------------------------------------------------


def customer_hold(customer: Customer) -> SupplyHold | None:
    """The hold the customer is under today, if any (for the banner)."""
    return holds_in_force([customer.pk], dt.date.today()).get(customer.pk)


def customer_panel(request, customer: Customer) -> list[Fragment]:
    """The hold banner of the customer page (customers/panels.py)."""
    return [Fragment("alerts", "collections/_hold_banner.html", {"hold": customer_hold(customer)})]


def project_panel(request, project: Project) -> list[Fragment]:
    """The legal notice, the hold banner and the collections section of the project page,
    and the hold again in the ledger's delivery form (customers/panels.py)."""
    context = project_collections_context(request, project)
    return [
        Fragment("alerts", "collections/_legal_notice.html", context),
        Fragment("alerts", "collections/_hold_banner.html", context),
        Fragment("sections", "collections/_project_collections.html", context),
        # Inside the ledger's delivery form: the hold, short.
        Fragment("delivery_alerts", "collections/_hold_banner.html", {**context, "compact": True}),
    ]


def project_collections_context(request, project: Project) -> dict:
    """What the collections part of the project page needs
    (`collections/_project_collections.html` and the hold banner)."""
    user = request.user
    hold = customer_hold(project.customer)
    case = None
    if project.status == ProjectStatus.LEGAL:
        case = LegalCase.objects.filter(project=project).select_related("opened_by").first()
    worked = project.status in WORKED
    overrides = today.project_overrides(project)
    pending = None
    if hold is not None:
        pending = next(
            (o for o in reversed(overrides) if o.hold_id == hold.pk and o.delivery_id is None), None
        )
    return {
        "hold": hold,
        "pending_override": pending,
        "legal_case": case,
        "project_letters": list(
            project.letters.select_related("issued_by").order_by("-issued_on", "-id")
        ),
        "project_tasks": today.project_tasks(project, dt.date.today()),
        "project_overrides": overrides,
        "collections_can": {
            "send_letter": can(user, Action.LETTER_SEND) and worked,
            "override": can(user, Action.HOLD_OVERRIDE) and hold is not None and worked,
            "send_to_legal": can(user, Action.LEGAL_REFER) and worked,
        },
        "override_form": (
            OverrideForm(prefix="override") if can(user, Action.HOLD_OVERRIDE) and hold else None
        ),
        "legal_form": LegalForm(prefix="legal")
        if can(user, Action.LEGAL_REFER) and worked
        else None,
    }


def _back(project: Project):
    # To the top of the page, where the message about what was done shows.
    return redirect("project_detail", code=project.code)


def _action_page(request, *, project, form, title, intro, button):
    context = {
        "project": project,
        "form": form,
        "title": title,
        "intro": intro,
        "button": button,
        "hold": customer_hold(project.customer),
        "back": reverse("project_detail", args=[project.code]) + "#collections",
    }
    return render(request, "collections/action_form.html", context)


@login_required
@require_POST
def project_letter_send(request, code):
    project = get_visible_or_404(project_details(), request.user, code=code)
    require(request.user, Action.LETTER_SEND)
    try:
        letter = services.letter_send_now(actor=request.user, project=project)
    except ValidationError as exc:
        _show_errors(request, exc)
    else:
        messages.success(
            request,
            _("Collection letter No. %(number)d issued: overdue %(amount)s.")
            % {"number": letter.number, "amount": f"{letter.amount:,.2f}"},
        )
    return _back(project)


@login_required
@require_http_methods(["GET", "POST"])
def project_hold_override(request, code):
    project = get_visible_or_404(project_details(), request.user, code=code)
    require(request.user, Action.HOLD_OVERRIDE)
    form = OverrideForm(request.POST or None, prefix="override")
    if request.method == "POST" and form.is_valid():
        try:
            services.hold_override_grant(
                actor=request.user, project=project, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Override granted: the next delivery to this project may go through.")
            )
            return _back(project)
    return _action_page(
        request, project=project, form=form, title=_("Let one delivery through the supply hold"),
        intro=_("The customer stays on hold; one delivery to this project is accepted."),
        button=_("Grant the override"),
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def project_send_to_legal(request, code):
    project = get_visible_or_404(project_details(), request.user, code=code)
    require(request.user, Action.LEGAL_REFER)
    form = LegalForm(request.POST or None, prefix="legal")
    if request.method == "POST" and form.is_valid():
        try:
            services.project_send_to_legal(
                actor=request.user, project=project, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Project %(code)s sent to the legal office.") % {"code": project.code},
            )
            return _back(project)
    return _action_page(
        request, project=project, form=form, title=_("Send the project to legal recovery"),
        intro=_("The legal / debt-recovery office takes the project over."),
        button=_("Send to legal recovery"),
    )  # fmt: skip
