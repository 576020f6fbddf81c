from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentMethod(models.TextChoices):
    BANK = "bank", _("Bank transfer")
    BILL = "bill", _("Bank acceptance bill")
    OFFSET = "offset", _("Asset offset")


class OffsetStatus(models.TextChoices):
    APPLIED = "applied", _("Applied by sales")
    APPRAISED = "appraised", _("Appraised by finance")
    POSTED = "posted", _("Accepted by supply and posted")
    REJECTED = "rejected", _("Rejected")


class OffsetStep(models.TextChoices):
    APPLY = "apply", _("Applied")
    APPRAISE = "appraise", _("Appraised")
    ACCEPT = "accept", _("Accepted")
    REJECT = "reject", _("Rejected")
