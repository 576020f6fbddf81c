"""Forms of the core pages, and the bridge from service errors to form errors."""

import datetime as dt

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from salesdesk.core.auth import demo_password_refused
from salesdesk.core.policy import SETTINGS

DEMO_PASSWORD_REFUSED = _(
    "The demo password is not accepted here. Ask an administrator to set your password."
)


class LoginForm(AuthenticationForm):
    """Django's sign-in form, saying plainly why the demo password does not open it."""

    def clean(self):
        if demo_password_refused(self.cleaned_data.get("password")):
            raise ValidationError(DEMO_PASSWORD_REFUSED, code="demo_password")
        return super().clean()


def add_service_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field when the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class PolicyForm(forms.Form):
    """Every policy key as a text field; the registry validates the values."""

    effective_from = forms.DateField(
        label=_("Effective from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Reason for the change"), max_length=200)

    def __init__(self, *args, policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("effective_from", dt.date.today())
        for spec in SETTINGS:
            self.fields[spec.key] = forms.CharField(
                label=spec.label, initial=policy.text(spec.key), required=spec.kind != "text",
                max_length=500,
            )  # fmt: skip

    def policy_values(self) -> dict[str, str]:
        return {spec.key: self.cleaned_data[spec.key] for spec in SETTINGS}

    def sections(self):
        """Fields grouped by the key's section, for the template."""
        grouped: dict[str, list] = {}
        for spec in SETTINGS:
            grouped.setdefault(spec.key.split(".")[0], []).append(self[spec.key])
        return grouped.items()


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("What the token is for"),
        max_length=100,
        required=False,
        help_text=_("For example the program that will use it."),
    )
