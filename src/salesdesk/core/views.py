import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salesdesk.core.forms import PolicyForm
from salesdesk.core.models import PolicyValue
from salesdesk.core.policy import PolicyError, policy_as_of
from salesdesk.core.services import PermissionDenied, policy_update
from salesdesk.customers.selectors import archive_counts


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


def bad_request(request, exception):
    """The 400 page: the message of a BadRequest raised by the edge checks (a date outside
    1900-2200 in the address), else a generic one; never details of other 400 causes."""
    if type(exception) is BadRequest and str(exception):
        message = str(exception)
    else:
        message = _("The request could not be understood.")
    return render(request, "core/bad_request.html", {"message": message}, status=400)
