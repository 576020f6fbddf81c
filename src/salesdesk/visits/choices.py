from django.db import models
from django.utils.translation import pgettext_lazy


class Outcome(models.TextChoices):
    """How a sales call ended (DOMAIN §4). Only an advance commits the customer to a
    concrete next action; it is the measure that matters for big accounts."""

    # A context keeps these apart from "Order" (sort order) and "Advance" (expense
    # advance, 借支) elsewhere in the catalogue.
    ORDER = "order", pgettext_lazy("visit outcome", "Order")
    ADVANCE = "advance", pgettext_lazy("visit outcome", "Advance")
    CONTINUATION = "continuation", pgettext_lazy("visit outcome", "Continuation")
    NO_SALE = "no_sale", pgettext_lazy("visit outcome", "No sale")


class CommitmentState(models.TextChoices):
    """Where a commitment stands on a given day: derived from its dates, never stored."""

    OPEN = "open", pgettext_lazy("commitment", "Open")
    OVERDUE = "overdue", pgettext_lazy("commitment", "Overdue")
    DONE = "done", pgettext_lazy("commitment", "Done")
