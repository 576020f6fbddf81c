"""Forms of the visit pages. They parse input; the services check the rules."""

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesdesk.core.access import assignable_owners
from salesdesk.core.forms import DateField, ModelMultipleChoiceField
from salesdesk.core.models import User
from salesdesk.customers.choices import Tier
from salesdesk.customers.models import Contact, Customer, Project
from salesdesk.visits.choices import Outcome
from salesdesk.visits.models import SATISFACTION_MAX, SATISFACTION_MIN, Visit
from salesdesk.visits.services import CommitmentIn

# <input type="date"> takes ISO dates only, whatever the language's date format.
DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
SATISFACTION_CHOICES = [
    ("", _("Not asked")),
    (str(SATISFACTION_MIN), _("1 · very dissatisfied")),
    *((str(n), str(n)) for n in range(SATISFACTION_MIN + 1, SATISFACTION_MAX)),
    (str(SATISFACTION_MAX), _("5 · very satisfied")),
]


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} ({obj.username})"


class ContactChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        role = obj.get_role_display()
        return f"{obj.name} · {role}" if role else obj.name


class CustomerChoiceForm(forms.Form):
    """The first step of logging a visit: which customer."""

    customer = forms.ModelChoiceField(
        label=_("Customer"), queryset=Customer.objects.none(), to_field_name="code"
    )

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = (
            Customer.objects.visible_to(actor).exclude(status="blacklisted").order_by("name")
        )
        self.fields["customer"].label_from_instance = lambda c: f"{c.name} · {c.code}"


class VisitForm(forms.Form):
    """A visit at one customer (fixed by the page): contacts and projects are that
    customer's; the commitment fields apply to an advance only."""

    date = DateField(label=_("Date"), **DATE)
    salesperson = PersonChoiceField(label=_("Salesperson"), queryset=User.objects.none())
    project = forms.ModelChoiceField(
        label=_("Project"), queryset=Project.objects.none(), required=False,
        to_field_name="code", empty_label=_("— none —"),
    )  # fmt: skip
    purpose = forms.CharField(label=_("Purpose"), max_length=200, required=False)
    contacts = ContactChoiceField(
        label=_("Contacts met"),
        queryset=Contact.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Outcome.choices, widget=forms.RadioSelect,
        help_text=_(
            "Order: the customer ordered. Advance: the customer agreed to a concrete next "
            "action. Continuation: talks go on, nothing concrete agreed. No sale: the "
            "customer declined."
        ),
    )  # fmt: skip
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    next_step = forms.CharField(label=_("Our next step"), max_length=300, required=False)
    next_step_due = DateField(label=_("Next step due"), required=False, **DATE)
    satisfaction = forms.TypedChoiceField(
        label=_("Customer satisfaction"), choices=SATISFACTION_CHOICES, coerce=int,
        empty_value=None, required=False,
        help_text=_("Asked at every visit of a strategic customer."),
    )  # fmt: skip
    manager_involved = forms.BooleanField(
        label=_("Sales manager involved"), required=False,
        help_text=_("The sales manager took part in the visit or its follow-up."),
    )  # fmt: skip
    commitment_what = forms.CharField(
        label=_("What the customer committed to"), max_length=300, required=False
    )
    commitment_contact = forms.ModelChoiceField(
        label=_("Who (contact)"), queryset=Contact.objects.none(), required=False,
        empty_label=_("— another person —"),
    )  # fmt: skip
    commitment_who = forms.CharField(
        label=_("Who (name)"), max_length=100, required=False,
        help_text=_("If the person is not among the contacts."),
    )  # fmt: skip
    commitment_due = DateField(label=_("By when"), required=False, **DATE)

    COMMITMENT_FIELDS = (
        "commitment_what",
        "commitment_contact",
        "commitment_who",
        "commitment_due",
    )

    def __init__(
        self, *args, actor: User, customer: Customer, visit: Visit | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.customer, self.visit = customer, visit
        owners = assignable_owners(actor)
        if visit is not None:
            owners = User.objects.filter(Q(pk__in=owners.values("pk")) | Q(pk=visit.salesperson_id))
        self.fields["salesperson"].queryset = owners.order_by("username")
        self.fields["project"].queryset = (
            Project.objects.visible_to(actor).filter(customer=customer).order_by("code")
        )
        contacts = Contact.objects.filter(customer=customer).order_by("name")
        self.fields["contacts"].queryset = contacts
        self.fields["commitment_contact"].queryset = contacts
        if not self.is_bound:
            self.initial.setdefault("date", timezone.localdate())
            self.initial.setdefault("salesperson", actor.pk)
        self.strategic = customer.tier == Tier.STRATEGIC
        if not self.strategic and not (visit and visit.satisfaction):
            # Asked at strategic customers' visits (DOMAIN §2); not offered elsewhere.
            del self.fields["satisfaction"]

    @classmethod
    def initial_for(cls, visit: Visit) -> dict:
        initial = {
            "date": visit.date, "salesperson": visit.salesperson_id,
            "project": visit.project.code if visit.project else None,
            "purpose": visit.purpose, "contacts": [c.pk for c in visit.contacts.all()],
            "outcome": visit.outcome, "notes": visit.notes, "next_step": visit.next_step,
            "next_step_due": visit.next_step_due, "satisfaction": visit.satisfaction,
            "manager_involved": visit.manager_involved,
        }  # fmt: skip
        commitment = getattr(visit, "commitment", None)
        if commitment is not None:
            initial.update(
                commitment_what=commitment.what, commitment_contact=commitment.contact_id,
                commitment_who="" if commitment.contact_id else commitment.who,
                commitment_due=commitment.due,
            )  # fmt: skip
        return initial

    def commitment_fields(self):
        return [self[name] for name in self.COMMITMENT_FIELDS]

    def _visit_field_names(self) -> list[str]:
        return [name for name in self.fields if name not in self.COMMITMENT_FIELDS]

    def fields_before_commitment(self):
        """The visit's fields up to the outcome; the commitment follows the outcome."""
        names = self._visit_field_names()
        return [self[name] for name in names[: names.index("outcome") + 1]]

    def fields_after_commitment(self):
        names = self._visit_field_names()
        return [self[name] for name in names[names.index("outcome") + 1 :]]

    def service_values(self) -> dict:
        """Keyword arguments for visit_record / visit_update."""
        data = dict(self.cleaned_data)
        commitment = None
        if data["outcome"] == Outcome.ADVANCE:
            contact = data["commitment_contact"]
            commitment = CommitmentIn(
                what=data["commitment_what"],
                due=data["commitment_due"],
                who=data["commitment_who"] or (contact.name if contact else ""),
                contact=contact,
            )
        values = {
            field: data[field]
            for field in (
                "date", "salesperson", "project", "purpose", "outcome", "notes", "next_step",
                "next_step_due", "manager_involved",
            )
        }  # fmt: skip
        values["contacts"] = list(data["contacts"])
        values["commitment"] = commitment
        if "satisfaction" in self.fields:
            values["satisfaction"] = data.get("satisfaction")
        return values


class CommitmentDoneForm(forms.Form):
    done_on = DateField(label=_("Done on"), required=False, **DATE)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def clean_done_on(self) -> dt.date:
        return self.cleaned_data.get("done_on") or timezone.localdate()


class ComplianceForm(forms.Form):
    month = forms.CharField(label=_("Month"), max_length=7, required=False)
    salesperson = forms.ModelChoiceField(
        label=_("Salesperson"), queryset=User.objects.none(), required=False,
        to_field_name="username", empty_label=_("Everyone"),
    )  # fmt: skip

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["salesperson"].queryset = assignable_owners(actor).order_by("username")
