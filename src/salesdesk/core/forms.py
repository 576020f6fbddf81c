"""Forms of the core pages, and the bridge from service errors to form errors."""

import datetime as dt

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import BadRequest, ValidationError
from django.utils.translation import gettext_lazy as _

from salesdesk.core.auth import demo_password_refused
from salesdesk.core.inputs import date_checked, decimal_of
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


class DateField(forms.DateField):
    """A date a person may type: only between 1900 and 2200 (see salesdesk.lib.dates).
    Every date field of every form is one of these."""

    def validate(self, value):
        super().validate(value)
        date_checked(value)


class MoneyField(forms.DecimalField):
    """A plain ASCII decimal ("1,234.50" too); not Arabic-Indic digits, exponents or stray
    commas, which Django's DecimalField would read as a number."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return decimal_of(value, "value", places=self.decimal_places or 2)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["value"], code="invalid") from None


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's, but an id too large for the database is "not a valid choice" rather than
    an OverflowError from SQLite."""

    def _check_values(self, value):
        try:
            return super()._check_values(value)
        except OverflowError:
            raise ValidationError(
                self.error_messages["invalid_pk_value"],
                code="invalid_pk_value",
                params={"pk": "…"},
            ) from None


def require_valid(form) -> None:
    """For a download, which has no page to show a form error on: a bound form with
    errors is a 400 page listing them, rather than a file for some other date."""
    if form.is_bound and not form.is_valid():
        raise BadRequest(
            " ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        )


def add_service_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field when the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class PolicyForm(forms.Form):
    """Every policy key as a text field; the registry validates the values."""

    effective_from = DateField(
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
