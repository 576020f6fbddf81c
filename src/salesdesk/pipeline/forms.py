"""Forms of the pipeline pages. They parse input; the services validate the rules."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesdesk.core.access import assignable_owners
from salesdesk.core.forms import DateField, ModelMultipleChoiceField, MoneyField
from salesdesk.core.models import User
from salesdesk.customers.forms import OwnerChoiceField
from salesdesk.customers.models import Customer
from salesdesk.pipeline.choices import CLOSED_STAGES, RISK_FACTORS, Stage
from salesdesk.pipeline.models import FabProduct, Opportunity


class TriStateRadio(forms.RadioSelect):
    """Yes / no / not known yet, for a nullable boolean."""

    def __init__(self, attrs=None):
        super().__init__(
            attrs,
            choices=[("true", _("Yes")), ("false", _("No")), ("unknown", _("Not known yet"))],
        )

    def format_value(self, value):
        mapping = {True: "true", False: "false", "true": "true", "false": "false"}
        return [mapping.get(value, "unknown")]

    def value_from_datadict(self, data, files, name):
        return {"true": True, "false": False}.get(data.get(name))


def tri_state(label) -> forms.NullBooleanField:
    return forms.NullBooleanField(label=label, required=False, widget=TriStateRadio())


def _text(label, rows: int = 2, **kwargs) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, widget=forms.Textarea(attrs={"rows": rows}), **kwargs
    )


class OpportunityForm(forms.ModelForm):
    code = forms.CharField(
        label=_("Code"), max_length=30, required=False,
        help_text=_("Leave blank to number the opportunity automatically."),
    )  # fmt: skip
    customer = forms.ModelChoiceField(
        label=_("Customer"), queryset=Customer.objects.none(), to_field_name="code"
    )
    owner = OwnerChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False,
        help_text=_("Default: the customer's owner."),
    )  # fmt: skip
    stage = forms.ChoiceField(
        label=_("Stage"),
        choices=[(s.value, s.label) for s in Stage if s not in CLOSED_STAGES],
        initial=Stage.LEAD,
    )
    products = ModelMultipleChoiceField(
        label=_("Products"),
        queryset=FabProduct.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The stakeholder map pulls these products' FAB lines."),
    )

    class Meta:
        model = Opportunity
        fields = [
            "code", "customer", "name", "owner", "source", "stage", "value", "expected_close",
            "products", "competitors", "purchase_criteria", "spec_in_tender",
        ]  # fmt: skip
        field_classes = {"value": MoneyField, "expected_close": DateField}
        widgets = {
            "expected_close": forms.DateInput(attrs={"type": "date"}),
            "competitors": forms.Textarea(attrs={"rows": 2}),
            "purchase_criteria": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "source": _("Default: the customer's lead source."),
            "spec_in_tender": _("The strongest way to block competitors."),
        }

    def __init__(self, *args, actor: User, can_change_owner: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        owners = assignable_owners(actor)
        self.fields["customer"].queryset = (
            Customer.objects.visible_to(actor).exclude(status="blacklisted").order_by("name")
        )
        self.fields["customer"].label_from_instance = lambda c: f"{c.name} ({c.code})"
        if self.instance.pk:
            for name in ("code", "customer"):
                self.fields[name].disabled = True
            del self.fields["stage"]
            owners = User.objects.filter(
                Q(pk__in=owners.values("pk")) | Q(pk=self.instance.owner_id)
            )
            self.initial["customer"] = self.instance.customer.code
            if not can_change_owner:
                self.fields["owner"].disabled = True
                self.fields["owner"].help_text = _("A manager or an administrator reassigns.")
        self.fields["owner"].queryset = owners.order_by("username")

    def _post_clean(self):
        # Business rules are the service's to check, not the model's.
        pass


class QualificationForm(forms.Form):
    need = tri_state(_("Does the customer have a need?"))
    need_evidence = _text(_("Evidence"))
    budget = tri_state(_("Do they have a budget (purchasing power)?"))
    budget_evidence = _text(_("Evidence"))
    decision_maker_known = tri_state(_("Do we know who holds decision authority?"))
    decision_maker_evidence = _text(_("Who decides, and how we know"))


class QuestionsForm(forms.Form):
    is_real = tri_state(_("1. Is the opportunity real?"))
    is_real_notes = _text(_("Why we think so"))
    can_win = tri_state(_("2. Can we win?"))
    can_win_notes = _text(_("Why we think so"))
    worth_winning = tri_state(_("3. Is it worth winning?"))
    worth_winning_notes = _text(_("Why we think so"))
    resources = _text(_("Resources it will take"), rows=3)
    next_steps = _text(_("Next steps"), rows=3)


FACTOR_CHOICES = [(str(n), str(n)) for n in range(1, 6)]


class RiskForm(forms.Form):
    notes = _text(_("Notes"), rows=3)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number, label, help_text in RISK_FACTORS:
            self.fields[f"f{number}"] = forms.TypedChoiceField(
                label=f"{number}. {label}", help_text=help_text, required=False,
                choices=FACTOR_CHOICES, coerce=int, empty_value=None,
                widget=forms.RadioSelect,
            )  # fmt: skip
        self.order_fields([f"f{n}" for n, _l, _h in RISK_FACTORS] + ["notes"])

    def factor_fields(self):
        return [self[f"f{n}"] for n, _l, _h in RISK_FACTORS]

    def factors(self) -> dict[str, int | None]:
        return {f"f{n}": self.cleaned_data.get(f"f{n}") for n, _l, _h in RISK_FACTORS}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required


class TouchForm(forms.Form):
    date = DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    note = _text(_("What was said"), rows=3)


class FabProductForm(forms.Form):
    name = forms.CharField(label=_("Product"), max_length=100)
    notes = _text(_("Notes"))


class FabLineForm(forms.Form):
    feature = _text(_("Feature"))
    advantage = _text(_("Advantage"))
    benefit = _text(_("Benefit"))


FabLineFormSet = forms.formset_factory(FabLineForm, extra=3)
