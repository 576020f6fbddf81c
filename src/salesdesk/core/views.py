import datetime as dt
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from salesdesk.core.forms import PolicyForm
from salesdesk.core.models import PolicyValue
from salesdesk.core.policy import PolicyError, policy_as_of
from salesdesk.core.services import PermissionDenied, policy_update
from salesdesk.customers.selectors import archive_counts

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request):
    """For load balancers and monitors: no sign-in, nothing but whether the database
    answers. The reason for a failure goes to the log, never to the caller."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health check: the database does not answer")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
def home(request):
    from salesdesk.collections.today import today_for

    context = {"counts": archive_counts(request.user), **today_for(request.user)}
    if request.user.has_role("sales", "manager"):
        context.update(_sales_reminders(request.user))
    return render(request, "core/home.html", context)


def _sales_reminders(user) -> dict:
    """Visits and reduced-contact touches due, for the people who make them."""
    from salesdesk.pipeline.selectors import Context, touches_due
    from salesdesk.visits.reminders import visit_reminders

    today = dt.date.today()
    due = touches_due(user, Context.as_of(today))
    return {
        "visits": visit_reminders(user, today),
        "touches": list(due[:5]),
        "touches_count": due.count(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def policy(request):
    if not request.user.is_admin:
        raise PermissionDenied(_("Only an administrator may change the policy."))
    form = PolicyForm(request.POST or None, policy=policy_as_of())
    if request.method == "POST" and form.is_valid():
        try:
            changes = policy_update(
                values=form.policy_values(),
                effective_from=form.cleaned_data["effective_from"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except PolicyError as exc:
            form.add_error(None, str(exc))
        else:
            if changes:
                messages.success(
                    request, _("%(count)d policy values changed.") % {"count": len(changes)}
                )
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("policy")
    history = (
        PolicyValue.objects.select_related("set_by")
        .exclude(set_by=None)
        .order_by("-created_at")[:30]
    )
    return render(request, "core/policy.html", {"form": form, "history": history})
