"""Forms of the claim-protection pages: register a prospect, decide a dispute."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from salesdesk.customers.choices import LeadSource
from salesdesk.customers.claims.services import Decision


class ProspectForm(forms.Form):
    name = forms.CharField(
        label=_("Company name"),
        max_length=200,
        help_text=_("The full registered name, as on the business licence."),
    )
    # Longer than 18: people paste codes with spaces or dashes, which the service removes.
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=30,
        required=False,
        help_text=_("If you know it: it settles whether two similar names are one company."),
    )
    region = forms.CharField(label=_("Region"), max_length=100, required=False)
    industry = forms.CharField(label=_("Industry"), max_length=100, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    source = forms.ChoiceField(
        label=_("Lead source"), choices=[("", "—"), *LeadSource.choices], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Typing a name or a code asks the server which customers it would duplicate.
        live_check = {
            "hx-get": reverse("claim_check"),
            "hx-trigger": "input changed delay:300ms, change",
            "hx-target": "#duplicate-check",
            "hx-include": "#id_name, #id_credit_code",
            "autocomplete": "off",
        }
        for name in ("name", "credit_code"):
            self.fields[name].widget.attrs.update(live_check)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=Decision.CHOICES, widget=forms.RadioSelect
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ReleaseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
