from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    BLACKLISTED = "blacklisted", _("Blacklisted")


class Tier(models.TextChoices):
    STRATEGIC = "strategic", _("Strategic")
    KEY = "key", _("Key")
    GENERAL = "general", _("General")


class CreditRating(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"


class LeadSource(models.TextChoices):
    TRADE_JOURNAL = "trade_journal", _("Trade journal")
    YELLOW_PAGES = "yellow_pages", _("Yellow pages")
    NON_COMPETING_SALES = "non_competing_sales", _("Non-competing salesperson")
    CUSTOMER_REFERRAL = "customer_referral", _("Old-customer referral")
    FRIEND_REFERRAL = "friend_referral", _("Friend referral")
    TENDER = "tender", _("Tender notice")
    TRADE_SHOW = "trade_show", _("Trade show")
    WEB = "web", _("Web")
    COLD_CALL = "cold_call", _("Cold call")
    OTHER = "other", _("Other")


class BuyingRole(models.TextChoices):
    USER = "user", _("User")
    TECHNICAL = "technical", _("Technical")
    MANAGER = "manager", _("Department manager")
    DECISION_MAKER = "decision_maker", _("Decision maker")
    PROCUREMENT = "procurement", _("Procurement")


class ProjectStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    LEGAL = "legal", _("In legal recovery")
    WRITTEN_OFF = "written_off", _("Written off")
