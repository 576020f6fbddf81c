from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    ASSESSED = "assessed", _("Assessed")
    LAPSED = "lapsed", _("Lapsed unsigned")


class LegalReason(models.TextChoices):
    OVERDUE = "overdue", _("Overdue beyond the policy limit")
    MANAGER = "manager", _("Sent by a manager")
