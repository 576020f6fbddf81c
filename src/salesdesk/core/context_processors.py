from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def navigation(request):
    """The navigation shell's entries for the signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        ("home", _("Today"), reverse("home")),
        ("customers", _("Customers"), reverse("customer_list")),
        ("projects", _("Projects"), reverse("project_list")),
        ("pipeline", _("Pipeline"), reverse("pipeline_list")),
        ("aging", _("Aging"), reverse("aging")),
        ("floor", _("Floor prices"), reverse("floor_prices")),
        ("visits", _("Visits"), reverse("visit_list")),
    ]
    if user.is_admin or user.has_role("sales", "manager"):
        items.append(("claims", _("Claims"), reverse("claim_list")))
    if user.is_admin or user.has_role("sales", "manager", "marketing", "finance", "legal"):
        items.append(("collections", _("Collections"), reverse("collections_tasks")))
    elif user.has_role("supply"):
        items.append(("collections", _("Supply holds"), reverse("collections_holds")))
    if user.is_admin or user.has_role("sales", "manager", "finance", "marketing"):
        items.append(("commissions", _("Commissions"), reverse("commission_statements")))
    if user.is_admin or user.has_role("legal", "manager"):
        items.append(("legal", _("Legal"), reverse("legal_queue")))
    if user.is_admin or user.has_role("manager", "marketing"):
        items.append(("tiering", _("Tiering"), reverse("tiering_preview")))
    if user.is_admin or user.has_role("finance"):
        items.append(("import", _("Import"), reverse("import_upload")))
    if user.is_admin:
        items.append(("policy", _("Policy"), reverse("policy")))
    items.append(("api", _("API"), reverse("api:openapi-view")))
    return {"nav_items": items}
