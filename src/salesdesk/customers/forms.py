from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesdesk.core.access import assignable_owners
from salesdesk.core.forms import DateField, MoneyField
from salesdesk.core.models import Plant, User
from salesdesk.customers.choices import Tier
from salesdesk.customers.models import Contact, Customer, Project


def _with_current_owner(owners, owner_id):
    """`owners` plus the record's current owner. `assignable_owners` is a DISTINCT query,
    which Django refuses to OR with a plain one, so combine by primary key."""
    return User.objects.filter(Q(pk__in=owners.values("pk")) | Q(pk=owner_id))


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} ({obj.username})"


class CustomerForm(forms.ModelForm):
    code = forms.CharField(
        label=_("Code"), max_length=30, required=False,
        help_text=_("Leave blank to number the customer automatically."),
    )  # fmt: skip
    owner = OwnerChoiceField(label=_("Owner"), queryset=User.objects.none())
    # Longer than 18: people paste codes with spaces or dashes, which the service removes.
    credit_code = forms.CharField(
        label=_("Unified social credit code"), max_length=30, required=False
    )

    class Meta:
        model = Customer
        fields = [
            "code", "name", "credit_code", "industry", "region", "address", "owner",
            "source", "status", "credit_rating", "business_score",
        ]  # fmt: skip
        widgets = {"address": forms.TextInput()}

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_owners(actor).order_by("username")
        if self.instance.pk:
            # The code is the natural key other systems refer to: fixed once created.
            self.fields["code"].disabled = True
            self.fields["owner"].queryset = _with_current_owner(
                self.fields["owner"].queryset, self.instance.owner_id
            )
            self.fields["owner"].disabled = True
            self.fields["owner"].help_text = _("Use “Reassign” to hand the customer over.")
        elif not self.initial.get("owner"):
            self.initial["owner"] = actor.pk

    def _post_clean(self):
        # Validation of business rules happens in the service, not in the model.
        pass


class ReassignForm(forms.Form):
    owner = OwnerChoiceField(label=_("New owner"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=200)
    with_projects = forms.BooleanField(
        label=_("Move the previous owner's projects too"), required=False, initial=True
    )

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_owners(actor).order_by("username")


class TierForm(forms.Form):
    tier = forms.ChoiceField(
        label=_("Tier"), choices=[("", _("Not tiered")), *Tier.choices], required=False
    )
    locked = forms.BooleanField(label=_("Lock this tier"), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "role", "decision_authority", "phone", "email"]

    def _post_clean(self):
        pass


class ProjectForm(forms.ModelForm):
    code = forms.CharField(
        label=_("Code"), max_length=30, required=False,
        help_text=_("Leave blank to number the project automatically."),
    )  # fmt: skip
    owner = OwnerChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False,
                             help_text=_("Default: the customer's owner."))  # fmt: skip
    plant = forms.ModelChoiceField(label=_("Plant"), queryset=Plant.objects.all(), required=False)
    payment_terms_days = forms.IntegerField(
        label=_("Payment terms (days)"), min_value=0, max_value=3650, required=False,
        help_text=_("Default: the terms of the customer's tier."),
    )  # fmt: skip

    class Meta:
        model = Project
        fields = [
            "code", "name", "plant", "owner", "contract_no", "payment_terms_days",
            "credit_limit", "status", "started_on", "completed_on",
        ]  # fmt: skip
        field_classes = {
            "credit_limit": MoneyField, "started_on": DateField, "completed_on": DateField,
        }  # fmt: skip
        widgets = {
            "started_on": forms.DateInput(attrs={"type": "date"}),
            "completed_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        owners = assignable_owners(actor)
        if self.instance.pk:
            self.fields["code"].disabled = True
            owners = _with_current_owner(owners, self.instance.owner_id)
        self.fields["owner"].queryset = owners.order_by("username")

    def _post_clean(self):
        pass
