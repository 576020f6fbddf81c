from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "salesdesk.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.db.models.signals import post_migrate

        from salesdesk.core.policy import seed_defaults_after_migrate

        # Setup, not business logic: every policy key gets its default row in the database.
        post_migrate.connect(seed_defaults_after_migrate, sender=self)
