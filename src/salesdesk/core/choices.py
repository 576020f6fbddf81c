from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SALES = "sales", _("Salesperson")
    MANAGER = "manager", _("Sales manager")
    MARKETING = "marketing", _("Marketing")
    FINANCE = "finance", _("Finance")
    SUPPLY = "supply", _("Supply")
    LEGAL = "legal", _("Legal / debt recovery")
    ADMIN = "admin", _("Administrator")


# Roles whose holders see every customer, project and ledger record (DOMAIN §1).
COMPANY_WIDE_ROLES = frozenset({Role.MARKETING, Role.FINANCE, Role.SUPPLY, Role.LEGAL, Role.ADMIN})
