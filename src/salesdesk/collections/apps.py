from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectionsConfig(AppConfig):
    name = "salesdesk.collections"
    label = "collections"
    verbose_name = _("Collections")

    def ready(self):
        # The ledger learns of supply holds through its registries, never by importing us.
        from salesdesk.collections import views
        from salesdesk.collections.gate import register
        from salesdesk.customers.panels import register_panel

        register()
        register_panel("customer", "collections", views.customer_panel, order=10)
        register_panel("project", "collections", views.project_panel, order=10)
