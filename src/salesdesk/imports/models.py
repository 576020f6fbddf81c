"""The history of workbook imports."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from salesdesk.core.models import TimeStamped


class ImportRun(TimeStamped):
    """One committed workbook import: who ran it, on what file, and what it did.

    Only imports that changed something are recorded; a rejected import, a dry run and
    a re-import that finds everything up to date store nothing at all.
    """

    source = models.CharField(_("file"), max_length=255)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # {sheet: {"created": n, "updated": n, "unchanged": n}}, in load order.
    counts = models.JSONField(_("counts"), default=dict)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    seconds = models.DecimalField(_("seconds"), max_digits=10, decimal_places=2, default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self):
        return self.source

    def total(self, outcome: str) -> int:
        return sum(sheet.get(outcome, 0) for sheet in self.counts.values())

    @property
    def created(self) -> int:
        return self.total("created")

    @property
    def updated(self) -> int:
        return self.total("updated")

    @property
    def unchanged(self) -> int:
        return self.total("unchanged")
