from django.db import models
from django.utils.translation import gettext_lazy as _


class LineKind(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    ADJUSTMENT = "adjustment", _("Adjustment")
    RELEASE = "release", _("Release")
    FORFEIT = "forfeit", _("Forfeit")


class StatementStatus(models.TextChoices):
    OPEN = "open", _("Open")
    FINALISED = "finalised", _("Finalised")


class AdvanceStatus(models.TextChoices):
    ASKED = "asked", _("Asked")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")
    REJECTED = "rejected", _("Rejected")
    WRITTEN_OFF = "written_off", _("Written off")


# Asked, approved or paid, not yet written off: what counts against the cap (DOMAIN §7).
OPEN_ADVANCE = (AdvanceStatus.ASKED, AdvanceStatus.APPROVED, AdvanceStatus.PAID)
