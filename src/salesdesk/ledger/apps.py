from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "salesdesk.ledger"
    label = "ledger"
    verbose_name = _("Ledger")

    def ready(self):
        # The gate's checks and the ledger's own override register when their modules load;
        # its panels on the customer and project pages register here.
        from salesdesk.customers.panels import register_panel
        from salesdesk.ledger import gate, services, views  # noqa: F401

        register_panel("customer", "ledger", views.customer_panel, order=20)
        register_panel("project", "ledger", views.project_panel, order=20)
