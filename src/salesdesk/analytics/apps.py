from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """The top layer: pages and reports that gather from every app (the Today page, the
    report registry). It imports everyone; no app imports it."""

    name = "salesdesk.analytics"
    label = "analytics"
    verbose_name = _("Analytics")
