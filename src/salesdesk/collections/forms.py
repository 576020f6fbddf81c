"""Forms of the collections pages. They parse input; the services validate the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from salesdesk.core.choices import Role
from salesdesk.core.forms import DateField
from salesdesk.lib.dates import month_or_none

DATE = {"widget": forms.DateInput(attrs={"type": "date"})}


class MonthField(forms.Field):
    """A month written YYYY-MM, cleaned to the month's first day."""

    widget = forms.TextInput

    def to_python(self, value):
        if not value:
            return None
        month = month_or_none(str(value)[:10])
        if month is None:
            raise forms.ValidationError(_("Write the month as YYYY-MM."), code="month")
        return month


class SignForm(forms.Form):
    """Sign a month's drafts as marketing or finance: all of them, or one salesperson's."""

    month = MonthField(label=_("Month"))
    as_role = forms.ChoiceField(
        label=_("Sign as"), choices=[(Role.MARKETING, _("Marketing")), (Role.FINANCE, _("Finance"))]
    )
    salesperson = forms.CharField(label=_("Salesperson"), max_length=150, required=False)


class LetterFilterForm(forms.Form):
    date_from = DateField(label=pgettext_lazy("period", "From"), required=False, **DATE)
    date_to = DateField(label=pgettext_lazy("period", "To"), required=False, **DATE)
    q = forms.CharField(
        label=_("Project or customer"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Code or name")}),
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The period must start before it ends."))
        return data

    def values(self) -> dict:
        """The valid filters; an invalid form filters nothing (its errors are shown)."""
        if not self.is_bound or not self.is_valid():
            return {"date_from": None, "date_to": None, "q": ""}
        return {
            "date_from": self.cleaned_data["date_from"],
            "date_to": self.cleaned_data["date_to"],
            "q": (self.cleaned_data["q"] or "").strip(),
        }


class HoldFilterForm(forms.Form):
    STATES = [
        ("current", _("On hold now")),
        ("past", _("Released")),
        ("all", _("All")),
    ]
    state = forms.ChoiceField(label=_("Show"), choices=STATES, required=False)

    def state_value(self) -> str:
        if self.is_bound and self.is_valid() and self.cleaned_data["state"]:
            return self.cleaned_data["state"]
        return "current"


class OverrideForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for letting one delivery through"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded in the audit trail. The override is used up by the next delivery."),
    )


class LegalForm(forms.Form):
    note = forms.CharField(
        label=_("Why the project goes to legal recovery"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "The project's status changes to legal recovery; the owner's sales work on it "
            "is suspended (no new deliveries, no new collection tasks)."
        ),
    )
