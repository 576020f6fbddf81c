from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "salesdesk.ledger"
    label = "ledger"
    verbose_name = _("Ledger")

    def ready(self):
        # The gate's checks and the ledger's own override register when their modules load.
        from salesdesk.ledger import gate, services  # noqa: F401
