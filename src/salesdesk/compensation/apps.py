from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompensationConfig(AppConfig):
    name = "salesdesk.compensation"
    label = "compensation"
    verbose_name = _("Compensation")

    def ready(self):
        # The daily cycle learns of the advance write-off through its step registry,
        # never by importing us.
        from salesdesk.compensation.cycle import register

        register()
