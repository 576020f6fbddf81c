from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "salesdesk.visits"
    label = "visits"
    verbose_name = _("Visits")

    def ready(self):
        # The customer page shows the visits through its panels, never by importing us.
        from salesdesk.customers.panels import register_panel
        from salesdesk.visits import views

        register_panel("customer", "visits", views.customer_panel, order=30)
