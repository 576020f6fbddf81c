from django import forms
from django.utils.translation import gettext_lazy as _

from salesdesk.compensation.models import Advance
from salesdesk.lib.dates import parse_month


class MonthForm(forms.Form):
    month = forms.CharField(label=_("Month"), max_length=7, required=False)

    def clean_month(self):
        text = self.cleaned_data["month"]
        if not text:
            return None
        try:
            return parse_month(text)
        except ValueError:
            raise forms.ValidationError(_("Expected a month, YYYY-MM.")) from None


class AdvanceForm(forms.Form):
    project = forms.ModelChoiceField(label=_("Project"), queryset=None, to_field_name="code")
    amount = forms.DecimalField(label=_("Amount"), max_digits=15, decimal_places=2, min_value=0.01)
    purpose = forms.CharField(
        label=_("Purpose"), max_length=Advance._meta.get_field("purpose").max_length
    )

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=Advance._meta.get_field("reason").max_length, required=False
    )
