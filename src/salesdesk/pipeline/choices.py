from django.db import models
from django.utils.translation import gettext_lazy as _

from salesdesk.customers.choices import BuyingRole


class Stage(models.TextChoices):
    LEAD = "lead", _("Lead")
    QUALIFIED = "qualified", _("Qualified")
    PROPOSAL = "proposal", _("Proposal")
    NEGOTIATION = "negotiation", _("Negotiation")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    ABANDONED = "abandoned", _("Abandoned")


# An opportunity is open until it is won, lost or abandoned.
CLOSED_STAGES = (Stage.WON, Stage.LOST, Stage.ABANDONED)
OPEN_STAGES = tuple(stage for stage in Stage if stage not in CLOSED_STAGES)


class ContactLevel(models.TextChoices):
    NORMAL = "normal", _("Normal contact")
    REDUCED = "reduced", _("Reduced contact")


class PipelineClass(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"


class Focus(models.TextChoices):
    """What to lead with when talking to a contact of a buying role (DOMAIN §2)."""

    FUNCTION = "function", _("Function: the features in use")
    FEATURES = "features", _("Features")
    ADVANTAGES = "advantages", _("Advantages")
    BENEFITS = "benefits", _("Benefits")
    PRICE = "price", _("Price and payment terms")


FOCUS_OF_ROLE = {
    BuyingRole.USER: Focus.FUNCTION,
    BuyingRole.TECHNICAL: Focus.FEATURES,
    BuyingRole.MANAGER: Focus.ADVANTAGES,
    BuyingRole.DECISION_MAKER: Focus.BENEFITS,
    BuyingRole.PROCUREMENT: Focus.PRICE,
}

# The FAB column each focus pulls from a product's lines (None: not a FAB column).
FAB_COLUMN_OF_FOCUS = {
    Focus.FUNCTION: "feature",
    Focus.FEATURES: "feature",
    Focus.ADVANTAGES: "advantage",
    Focus.BENEFITS: "benefit",
    Focus.PRICE: None,
}

# The seven factors of the risk-assessment form (客户风险评估表), DOMAIN §3: number, label,
# and the question the salesperson answers when scoring it 1 (bad for us) to 5 (good).
RISK_FACTORS = (
    (1, _("Customer scale and budget"),
     _("How large is the customer and how sure is the budget?")),
    (2, _("Customer funding and credit"),
     _("Will they pay on time? Some announce they will pay a year late: can our cash flow carry it?")),
    (3, _("Fit of our product, technology and service"),
     _("How well do our product, technology and service fit the need?")),
    (4, _("Customer's relationship with competitors"),
     _("Is there an entrenched incumbent? 5 = none, 1 = deeply entrenched.")),
    (5, _("Our strengths against competitors"),
     _("Product, price and service against the competition.")),
    (6, _("Profitability of the deal"),
     _("How much will we earn on it?")),
    (7, _("Other business it opens"),
     _("A flagship reference project can be worth winning at a loss.")),
)  # fmt: skip
FACTOR_NUMBERS = tuple(number for number, _label, _help in RISK_FACTORS)
