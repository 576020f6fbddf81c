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
        ("aging", _("Aging"), reverse("aging")),
        ("floor", _("Floor prices"), reverse("floor_prices")),
    ]
    if user.is_admin or user.has_role("finance"):
        items.append(("import", _("Import"), reverse("import_upload")))
    if user.is_admin:
        items.append(("policy", _("Policy"), reverse("policy")))
    items.append(("api", _("API"), reverse("api:openapi-view")))
    return {"nav_items": items}
