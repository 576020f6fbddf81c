from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TieringConfig(AppConfig):
    """Tiering (DOMAIN §2): ranks the customers by what the ledger says they bought. Its
    records (the tier, its lock and history) stay with the customer, in customers."""

    name = "salesdesk.tiering"
    label = "tiering"
    verbose_name = _("Tiering")
