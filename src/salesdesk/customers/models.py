"""The customer archive: customers, their contacts and projects, owner and tier history."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesdesk.core.access import ScopedQuerySet, owner_scope
from salesdesk.core.models import Plant, TimeStamped, User
from salesdesk.customers.choices import (
    BuyingRole,
    CreditRating,
    CustomerStatus,
    LeadSource,
    ProjectStatus,
    Tier,
)


class Customer(TimeStamped):
    """A company we sell to. It belongs to the company; `owner` is who works it now."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    # Folded name and pinyin initials, so "zjsj" or a traditional spelling finds 中建三局.
    search_key = models.CharField(_("search key"), max_length=400, blank=True, editable=False)
    # Folded name without legal form and region, and the pinyin of its first two
    # characters: the duplicate check of claim protection looks these up (lib/names.py).
    name_key = models.CharField(
        _("name key"), max_length=200, blank=True, editable=False, db_index=True
    )
    name_head = models.CharField(
        _("name head"), max_length=40, blank=True, editable=False, db_index=True
    )
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True, db_index=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    owner = models.ForeignKey(
        User, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="customers"
    )
    source = models.CharField(
        _("lead source"), max_length=30, choices=LeadSource.choices, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE
    )
    credit_rating = models.CharField(
        _("credit rating"), max_length=1, choices=CreditRating.choices, blank=True
    )
    business_score = models.PositiveSmallIntegerField(
        _("business-condition score"), null=True, blank=True
    )
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, blank=True)
    tier_locked = models.BooleanField(_("tier locked"), default=False)
    tier_lock_reason = models.CharField(_("tier lock reason"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name", "code"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="customer_credit_code_unique",
            ),
            models.CheckConstraint(
                condition=Q(business_score__isnull=True) | Q(business_score__lte=100),
                name="customer_business_score_range",
            ),
            models.CheckConstraint(
                condition=Q(tier_locked=False) | ~Q(tier=""),
                name="customer_locked_tier_not_blank",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "name"], name="customer_owner_name_idx"),
            models.Index(fields=["tier", "name"], name="customer_tier_name_idx"),
            models.Index(fields=["status", "name"], name="customer_status_name_idx"),
        ]

    def __str__(self):
        return self.name


class Contact(TimeStamped):
    """A person at a customer, with the buying role that decides what they care about."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    role = models.CharField(_("buying role"), max_length=20, choices=BuyingRole.choices, blank=True)
    decision_authority = models.BooleanField(_("has decision authority"), default=False)

    class Meta:
        ordering = ["customer", "name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "name"], name="contact_customer_name_unique"
            ),
        ]

    def __str__(self):
        return self.name


class Project(TimeStamped):
    """A construction job or order: deliveries, invoices, payments and tasks attach here."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="projects"
    )
    name = models.CharField(_("name"), max_length=200)
    plant = models.ForeignKey(
        Plant,
        verbose_name=_("plant"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
    )
    owner = models.ForeignKey(
        User, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="projects"
    )
    contract_no = models.CharField(_("contract number"), max_length=50, blank=True)
    payment_terms_days = models.PositiveIntegerField(_("payment terms (days)"))
    credit_limit = models.DecimalField(
        _("credit limit"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE
    )
    started_on = models.DateField(_("started on"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=0),
                name="project_credit_limit_nonnegative",
            ),
            models.CheckConstraint(
                condition=Q(completed_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(completed_on__gte=models.F("started_on")),
                name="project_completed_after_start",
            ),
        ]
        indexes = [models.Index(fields=["owner", "code"], name="project_owner_code_idx")]

    def __str__(self):
        return f"{self.code} {self.name}"


class CustomerOwnerChange(models.Model):
    """A reassignment of a customer: the history moves intact, this row records it."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="owner_changes"
    )
    from_owner = models.ForeignKey(
        User, verbose_name=_("from"), on_delete=models.PROTECT, related_name="+", null=True
    )
    to_owner = models.ForeignKey(
        User, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    changed_by = models.ForeignKey(
        User, verbose_name=_("changed by"), on_delete=models.PROTECT, related_name="+", null=True
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("owner change")
        verbose_name_plural = _("owner changes")

    def __str__(self):
        return f"{self.customer}: {self.from_owner} → {self.to_owner}"


class CustomerTierChange(models.Model):
    """A change of a customer's tier or its lock, by re-tiering or by hand."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tier_changes"
    )
    from_tier = models.CharField(_("from tier"), max_length=20, choices=Tier.choices, blank=True)
    to_tier = models.CharField(_("to tier"), max_length=20, choices=Tier.choices, blank=True)
    locked = models.BooleanField(_("locked"), default=False)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    effective_on = models.DateField(_("effective on"))
    changed_by = models.ForeignKey(
        User, verbose_name=_("changed by"), on_delete=models.PROTECT, related_name="+", null=True
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")

    def __str__(self):
        return f"{self.customer}: {self.from_tier or '-'} → {self.to_tier or '-'}"


# Claim protection (DOMAIN §9) -----------------------------------------------------------


class ClaimStatus(models.TextChoices):
    ACTIVE = "active", _("Registered")
    RELEASED = "released", _("Released")
    ENDED = "ended", _("Ended")


class ProspectClaim(TimeStamped):
    """A salesperson's registration of a prospect (报备): it protects the prospect from
    other salespeople's registrations until `protected_until` (inclusive)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="claims"
    )
    claimant = models.ForeignKey(
        User, verbose_name=_("registered by"), on_delete=models.PROTECT, related_name="claims"
    )
    registered_on = models.DateField(_("registered on"))
    protected_until = models.DateField(_("protected until"), db_index=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.ACTIVE
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=200, blank=True)

    objects = ScopedQuerySet.by("claimant").as_manager()

    class Meta:
        ordering = ["protected_until", "id"]
        verbose_name = _("prospect registration")
        verbose_name_plural = _("prospect registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status="active"),
                name="claim_one_active_per_customer",
            ),
            models.CheckConstraint(
                condition=Q(status="active") | Q(ended_on__isnull=False),
                name="claim_ended_has_date",
            ),
        ]
        indexes = [
            models.Index(
                fields=["claimant", "status", "protected_until"], name="claim_claimant_idx"
            ),
        ]

    def __str__(self):
        return f"{self.customer} ({self.claimant}, {self.protected_until})"

    def protects_on(self, day) -> bool:
        return self.status == ClaimStatus.ACTIVE and self.protected_until >= day


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Awaiting decision")
    KEPT = "kept", _("Kept with the owner")
    REASSIGNED = "reassigned", _("Reassigned to the challenger")


class DisputeQuerySet(ScopedQuerySet):
    """A dispute is seen by whoever may see its challenger or its owner."""

    def scope_condition(self, user: User) -> Q | None:
        challenger, owner = owner_scope(user, "challenger"), owner_scope(user, "owner")
        return None if challenger is None or owner is None else challenger | owner


class ClaimDispute(TimeStamped):
    """A refused registration of a company that is already someone else's, for the
    managers to arbitrate: keep it with the owner or hand it to the challenger."""

    challenger = models.ForeignKey(
        User,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        related_name="claim_challenges",
    )
    name = models.CharField(_("name registered"), max_length=200)
    credit_code = models.CharField(_("credit code registered"), max_length=18, blank=True)
    region = models.CharField(_("region registered"), max_length=100, blank=True)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("existing customer"),
        on_delete=models.PROTECT,
        related_name="claim_disputes",
    )
    owner = models.ForeignKey(
        User, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="claim_defences"
    )
    claim = models.ForeignKey(
        ProspectClaim,
        verbose_name=_("owner's registration"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disputes",
    )
    match_reason = models.CharField(_("match"), max_length=30)
    match_score = models.PositiveSmallIntegerField(_("match score"))
    status = models.CharField(
        _("status"), max_length=20, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    decided_by = models.ForeignKey(
        User,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("reason for the decision"), max_length=200, blank=True)

    objects = DisputeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("registration dispute")
        verbose_name_plural = _("registration disputes")
        constraints = [
            # A second refused attempt of the same person on the same customer is the
            # same dispute, not a new one.
            models.UniqueConstraint(
                fields=["challenger", "customer"],
                condition=Q(status="open"),
                name="claim_dispute_one_open",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | (Q(decided_at__isnull=False) & ~Q(decision_reason="")),
                name="claim_dispute_decided_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(match_score__lte=100), name="claim_dispute_score_range"
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="claim_dispute_status_idx")]

    def __str__(self):
        return f"{self.name} → {self.customer} ({self.get_status_display()})"
