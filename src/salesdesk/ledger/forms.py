"""Forms of the ledger pages. They only parse input; the services validate the business
rules (money amounts are left as text so "12,500.00" reaches `services.money` as typed)."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from salesdesk.core.access import assignable_owners
from salesdesk.core.forms import DateField
from salesdesk.core.models import Plant, User
from salesdesk.customers.choices import Tier
from salesdesk.ledger.choices import PaymentMethod
from salesdesk.ledger.models import Product

DATE = {"widget": forms.DateInput(attrs={"type": "date"})}


def _money_field(label, **kwargs) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=30, widget=forms.TextInput(attrs={"inputmode": "decimal"}), **kwargs
    )


class AsOfForm(forms.Form):
    as_of = DateField(label=_("As of"), required=False, **DATE)

    def as_of_date(self) -> dt.date:
        if self.is_valid() and self.cleaned_data["as_of"]:
            return self.cleaned_data["as_of"]
        return dt.date.today()


class DeliveryForm(forms.Form):
    ticket = forms.CharField(label=_("Delivery ticket"), max_length=50)
    date = DateField(label=_("Date"), initial=dt.date.today, **DATE)
    plant = forms.ModelChoiceField(
        label=_("Plant"), queryset=Plant.objects.all(), required=False,
        empty_label=_("The project's plant"),
    )  # fmt: skip
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.order_by("code"), to_field_name="code",
        help_text=_("From the product catalogue."),
    )  # fmt: skip
    quantity = _money_field(_("Quantity"))
    unit = forms.CharField(label=_("Unit"), max_length=20, initial="m3")
    unit_price = _money_field(_("Unit price"))
    approval_reason = forms.CharField(
        label=_("Approve a price below floor, because"), max_length=200, required=False,
        help_text=_("Only if the price is below the floor price; leave blank to approve later."),
    )  # fmt: skip

    def __init__(self, *args, can_approve: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_approve:
            del self.fields["approval_reason"]


class InvoiceForm(forms.Form):
    number = forms.CharField(label=_("Invoice number"), max_length=50)
    date = DateField(label=_("Invoice date"), initial=dt.date.today, **DATE)
    due_date = DateField(
        label=_("Due date"), required=False,
        help_text=_("Default: the invoice date plus the project's payment terms."), **DATE,
    )  # fmt: skip
    amount = _money_field(_("Amount"))


class PaymentForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference"), max_length=80,
        help_text=_("The bank's reference or the bill number: the same reference is the same payment."),
    )  # fmt: skip
    date = DateField(label=_("Date received"), initial=dt.date.today, **DATE)
    amount = _money_field(_("Amount"))
    # Asset offsets are posted by the offset workflow, at the appraised value.
    method = forms.ChoiceField(
        label=_("Method"),
        choices=[c for c in PaymentMethod.choices if c[0] != PaymentMethod.OFFSET],
        initial=PaymentMethod.BANK,
    )


class ReversalForm(forms.Form):
    date = DateField(label=_("Reversed on"), initial=dt.date.today, **DATE)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class StatementForm(forms.Form):
    date_from = DateField(label=pgettext_lazy("period", "From"), required=False, **DATE)
    date_to = DateField(label=pgettext_lazy("period", "To"), required=False, **DATE)

    def period(self) -> tuple[dt.date, dt.date]:
        """The requested period; by default the current year up to today."""
        today = dt.date.today()
        data = self.cleaned_data if self.is_valid() else {}
        date_to = data.get("date_to") or today
        date_from = data.get("date_from") or dt.date(date_to.year, 1, 1)
        return date_from, date_to

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The period must start before it ends."))
        return data

    @classmethod
    def from_query(cls, params):
        """Bound to ?from=&to= (the names the download links use)."""
        return cls({"date_from": params.get("from", ""), "date_to": params.get("to", "")})


class AgingFilterForm(forms.Form):
    as_of = DateField(label=_("As of"), required=False, **DATE)
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, to_field_name="username"
    )
    tier = forms.ChoiceField(label=_("Tier"), choices=[("", ""), *Tier.choices], required=False)
    plant = forms.ModelChoiceField(
        label=_("Plant"), queryset=Plant.objects.all(), required=False, to_field_name="code"
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_owners(user).order_by("username")

    def values(self) -> dict:
        """The valid filters; one that is not valid is left out (and shown as an error)."""
        if self.is_bound:
            self.is_valid()  # cleaned_data then holds the fields that are valid
        data = getattr(self, "cleaned_data", {})
        return {
            "as_of": data.get("as_of") or dt.date.today(),
            "owner": data.get("owner"),
            "tier": data.get("tier") or "",
            "plant": data.get("plant"),
        }


class FloorPriceForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.order_by("code"), to_field_name="code"
    )
    plant = forms.ModelChoiceField(
        label=_("Plant"), queryset=Plant.objects.all(), required=False, empty_label=_("All plants")
    )
    price = _money_field(_("Floor price"))
    effective_from = DateField(label=_("Effective from"), initial=dt.date.today, **DATE)


class ApprovalForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class BelowFloorFilterForm(forms.Form):
    STATES = [("", _("All")), ("waiting", _("Waiting for approval")), ("approved", _("Approved"))]
    state = forms.ChoiceField(label=_("Approval"), choices=STATES, required=False)


class OffsetApplyForm(forms.Form):
    items = forms.CharField(
        label=_("Goods or assets offered"), widget=forms.Textarea(attrs={"rows": 2})
    )
    claimed_value = _money_field(_("Claimed value"))


class OffsetAppraiseForm(forms.Form):
    appraised_value = _money_field(_("Appraised value"))
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class OffsetAcceptForm(forms.Form):
    date = DateField(label=_("Goods received on"), initial=dt.date.today, **DATE)
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class OffsetRejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class ProductForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=30, help_text=_("No spaces, no slashes; it cannot change.")
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    unit = forms.CharField(label=_("Unit"), max_length=20, initial="m3")
    grade = forms.CharField(label=_("Grade"), max_length=20, required=False)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True


class OverrideForm(forms.Form):
    reason = forms.CharField(
        label=_("Why this delivery may go through"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded in the audit trail. The override is used up by the next delivery."),
    )  # fmt: skip
