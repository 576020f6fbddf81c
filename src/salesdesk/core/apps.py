from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "salesdesk.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.core.signals import request_finished, request_started
        from django.db.models.signals import post_migrate

        from salesdesk.core.policy import (
            policy_request_finished,
            policy_request_started,
            seed_defaults_after_migrate,
        )

        # Setup, not business logic: every policy key gets its default row in the database.
        post_migrate.connect(seed_defaults_after_migrate, sender=self)
        # The policy is read once per request (see policy_as_of).
        request_started.connect(policy_request_started, dispatch_uid="policy_request_started")
        request_finished.connect(policy_request_finished, dispatch_uid="policy_request_finished")
