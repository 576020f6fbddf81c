import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.db import DatabaseError, connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from salesdesk.core.errors import PermissionDenied
from salesdesk.core.forms import PolicyForm, TokenForm
from salesdesk.core.models import PolicyValue, User
from salesdesk.core.policy import PolicyError, policy_as_of
from salesdesk.core.services import (
    policy_update,
    token_create,
    token_queryset,
    token_revoke,
    tokens_revoke_all,
)

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


# API tokens --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    """The user's API tokens (an administrator's: everyone's), and a form for a new one.
    A new token is shown once, on the page that answers its creation."""
    now = timezone.now()
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        token, new_key = token_create(user=request.user, name=form.cleaned_data["name"], now=now)
        messages.success(
            request,
            _("Token %(prefix)s… created. Copy it now: it is not shown again.")
            % {"prefix": token.prefix},
        )
        form = TokenForm()
    tokens = token_queryset(request.user)
    username = request.GET.get("user", "")
    if username:
        tokens = tokens.filter(user__username=username)
    rows = [{"token": token, "state": token.state(now)} for token in tokens[:500]]
    context = {"form": form, "rows": rows, "new_key": new_key, "username": username}
    return render(request, "core/tokens.html", context)


@login_required
@require_POST
def token_revoke_view(request, token_id: int):
    token = token_queryset(request.user).filter(pk=token_id).first()
    if token is None:
        raise Http404
    if token_revoke(token=token, actor=request.user, now=timezone.now(), reason="page"):
        messages.success(request, _("Token %(prefix)s… revoked.") % {"prefix": token.prefix})
    return redirect("token_list")


@login_required
@require_POST
def token_revoke_all_view(request):
    """Revoke every token of a user: one's own; an administrator, anyone's."""
    username = request.POST.get("user") or request.user.username
    user = User.objects.filter(username=username).first()
    if user is None:
        raise Http404
    count = tokens_revoke_all(user=user, actor=request.user, now=timezone.now(), reason="page")
    messages.success(
        request, _("%(count)d tokens of %(user)s revoked.") % {"count": count, "user": user}
    )
    return redirect("token_list")


def bad_request(request, exception):
    """The 400 page: the message of a BadRequest raised by the edge checks (a date outside
    1900-2200 in the address), else a generic one; never details of other 400 causes."""
    if type(exception) is BadRequest and str(exception):
        message = str(exception)
    else:
        message = _("The request could not be understood.")
    return render(request, "core/bad_request.html", {"message": message}, status=400)
