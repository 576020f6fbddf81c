"""No input ends in a 500: every page of the site, asked with hostile query strings (dates
outside 1900-2200, huge numbers, very long text, garbage ids) and posted hostile form
values, answers a page, a redirect or a 4xx, never a server error.

The walk goes over every URL pattern of the site except the API (probed by its own
schema-driven tests) and Django's admin; each path parameter is filled from the small
data set below, so the probes reach past the 404 of an unknown object.
"""

import datetime as dt
import sys
from types import SimpleNamespace

import pytest
from django import forms
from django.core.signals import got_request_exception
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from salesdesk.collections.models import CollectionTask, DunningLetter, LegalCase, SupplyHold
from salesdesk.core.services import token_create
from salesdesk.customers.claims import services as claim_services
from salesdesk.customers.models import ClaimDispute
from salesdesk.ledger import services as ledger
from salesdesk.pipeline import fab as pipeline_fab
from salesdesk.pipeline import services as pipeline
from salesdesk.visits import services as visits
from salesdesk.visits.models import Commitment
from tests.clock import TODAY
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    PlantFactory,
    ProductFactory,
    ProjectFactory,
)

DATES = ["0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01", "0000-13", "9999-12", "0000-00"]
HOSTILE = [
    *DATES,
    "99999999999999999999999999",
    "-1",
    "1e400",
    "x" * 3000,
    "'; select 1; --",
    "١٢٣",
]
# Every name a page reads from its query string, whatever the page.
QUERY_NAMES = [
    "as_of", "month", "date_from", "date_to", "date", "year", "expected_close", "page",
    "page_size", "q", "customer", "project", "salesperson", "owner", "plant", "state",
    "status", "lang", "sort", "stage", "tier", "region", "outcome", "name", "credit_code",
    "next", "pipeline_class", "source", "passed", "contact", "role", "product", "proposed",
    "current", "changed", "id",
]  # fmt: skip
DATE_NAMES = ["as_of", "month", "date_from", "date_to", "date", "year", "expected_close"]


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


@pytest.fixture
def world(people):
    """One of each object a page address names, owned by sales1 (team A)."""
    plant = PlantFactory(code="PL01", name="一号站")
    customer = CustomerFactory(code="C1", name="北京城建测试有限公司", owner=people.sales1)
    contact = ContactFactory(customer=customer, name="张伟")
    project = ProjectFactory(
        code="P1", customer=customer, plant=plant, payment_terms_days=30, name="望京工程"
    )
    ProductFactory(code="C30", name="C30 商品混凝土")
    delivery, _ = ledger.delivery_post(
        actor=None, ticket="T1", project=project, date=days_ago(120), product="C30",
        quantity="10", unit_price="400", unit="m3", plant=plant,
    )  # fmt: skip
    invoice, _ = ledger.invoice_post(
        actor=None, number="I1", project=project, date=days_ago(100), amount="4000.00"
    )
    payment, _ = ledger.payment_post(
        actor=None, reference="R1", project=project, date=days_ago(50), amount="100.00"
    )
    offset = ledger.offset_apply(
        actor=people.sales1, project=project, items="一台泵车", claimed_value="500.00"
    )
    letter = DunningLetter.objects.create(
        project=project, sequence=1, number=1, issued_on=days_ago(20), amount=3900
    )
    SupplyHold.objects.create(customer=customer, since=days_ago(10), trigger=letter, reason="x")
    legal_project = ProjectFactory(code="P2", customer=customer, plant=plant)
    LegalCase.objects.create(
        project=legal_project, opened_on=days_ago(3), reason="overdue", overdue=1000,
        previous_status="active",
    )  # fmt: skip
    month = TODAY.replace(day=1)
    CollectionTask.objects.create(
        month=month, project=project, salesperson=people.sales1, target=1000,
        drafted_on=days_ago(30),
    )  # fmt: skip
    registration = claim_services.prospect_register(
        actor=people.sales2, name="上海新港测试建设有限公司", today=TODAY
    )
    claim = registration.claim
    dispute = ClaimDispute.objects.create(
        challenger=people.sales3, name=customer.name, customer=customer, owner=people.sales1,
        match_reason="name", match_score=100,
    )  # fmt: skip
    product, _ = pipeline_fab.fab_product_save(
        actor=people.admin, name="C30 泵送", lines=[{"feature": "f", "advantage": "a"}]
    )
    opportunity = pipeline.opportunity_create(
        actor=people.sales1, customer=customer, name="二期供应", value="1000000"
    )
    visit = visits.visit_record(
        actor=people.sales1, customer=customer, date=days_ago(5), outcome="advance",
        commitment={"what": "试配", "due": days_ago(-5), "who": "张伟"},
    )  # fmt: skip
    token, _key = token_create(user=people.sales1, now=timezone.now(), name="probe")
    return SimpleNamespace(
        token=token, people=people, customer=customer, contact=contact, project=project,
        delivery=delivery, invoice=invoice, payment=payment, offset=offset, letter=letter,
        claim=claim, dispute=dispute, product=product, opportunity=opportunity, visit=visit,
        commitment=Commitment.objects.get(visit=visit), month=month,
    )  # fmt: skip


def page_patterns():
    """(route, name) of every page of the site: the API and the admin have probes of their
    own (the schema-driven API tests; Django's admin is Django's)."""

    def walk(resolver, prefix):
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern, route)
            elif isinstance(pattern, URLPattern):
                yield route, pattern.name

    for route, name in walk(get_resolver(), ""):
        if not route.startswith(("api/", "admin/")):
            yield route, name


def addresses(world) -> dict[str, list[str]]:
    """Every page's addresses, filled with the data set's objects, by URL name."""
    w = world
    p = f"/projects/{w.project.code}"
    o = f"/opportunities/{w.opportunity.code}"
    month = w.month.strftime("%Y-%m")
    return {
        "home": ["/"], "login": ["/login/"], "logout": [], "set_language": ["/i18n/setlang/"],
        "policy": ["/policy/"], "healthz": ["/healthz"],
        "token_list": ["/tokens/"], "token_revoke_all": ["/tokens/revoke-all/"],
        "token_revoke": [f"/tokens/{w.token.pk}/revoke/", "/tokens/99999999/revoke/"],
        "customer_list": ["/customers/"], "customer_create": ["/customers/new/"],
        "tiering_preview": ["/customers/tiering/"], "tiering_apply": ["/customers/tiering/apply/"],
        "tiering_history": ["/customers/tiering/history/"],
        "customer_detail": ["/customers/C1/", "/customers/nope/"],
        "customer_edit": ["/customers/C1/edit/"], "customer_reassign": ["/customers/C1/reassign/"],
        "customer_tier": ["/customers/C1/tier/"],
        "contact_create": ["/customers/C1/contacts/new/"],
        "contact_edit": [f"/customers/C1/contacts/{w.contact.pk}/", "/customers/C1/contacts/0/"],
        "project_create": ["/customers/C1/projects/new/"],
        "claim_list": ["/claims/"], "claim_register": ["/claims/register/"],
        "claim_check": ["/claims/check/"], "claim_release": [f"/claims/{w.claim.pk}/release/"],
        "claim_disputes": ["/claims/disputes/"],
        "claim_dispute": [f"/claims/disputes/{w.dispute.pk}/", "/claims/disputes/99999999/"],
        "project_list": ["/projects/"], "project_detail": [f"{p}/", "/projects/nope/"],
        "project_edit": [f"{p}/edit/"], "delivery_post": [f"{p}/deliveries/new/"],
        "invoice_post": [f"{p}/invoices/new/"], "payment_post": [f"{p}/payments/new/"],
        "record_reverse": [
            f"{p}/deliveries/{w.delivery.pk}/reverse/", f"{p}/invoices/{w.invoice.pk}/reverse/",
            f"{p}/payments/{w.payment.pk}/reverse/", f"{p}/nope/1/reverse/",
        ],
        "offset_apply": [f"{p}/offsets/new/"],
        "offset_step": [f"{p}/offsets/{w.offset.pk}/{step}/" for step in ("appraise", "accept", "reject")],
        "project_statement": [f"{p}/statement/"],
        "project_statement_download": [f"{p}/statement.{fmt}" for fmt in ("pdf", "xlsx", "csv", "nope")],
        "aging": ["/aging/"], "aging_export": [f"/aging/export.{fmt}" for fmt in ("csv", "xlsx", "json", "nope")],
        "floor_prices": ["/floor-prices/"],
        "products": ["/products/"], "product_edit": ["/products/C30/edit/", "/products/nope/edit/"],
        "delivery_override": [f"{p}/delivery-override/"], "floor_below": ["/deliveries/below-floor/"],
        "floor_approve": [f"/deliveries/{w.delivery.pk}/approve/"],
        "collections_tasks": ["/collections/tasks/"], "collections_tasks_sign": ["/collections/tasks/sign/"],
        "collections_task_letter": [
            f"/collections/tasks/{month}/sales1.pdf", "/collections/tasks/0000-13/sales1.pdf",
            "/collections/tasks/9999-12/sales1.pdf", "/collections/tasks/0001-01/sales1.pdf",
        ],
        "collections_letters": ["/collections/letters/"],
        "collections_letter_pdf": [f"/collections/letters/{w.letter.pk}.pdf"],
        "collections_holds": ["/collections/holds/"], "legal_queue": ["/collections/legal/"],
        "collections_letter_send": [f"{p}/letters/send/"],
        "collections_hold_override": [f"{p}/hold-override/"],
        "collections_send_to_legal": [f"{p}/legal/"],
        "import_upload": ["/import/"],
        "pipeline_list": ["/opportunities/"], "pipeline_create": ["/opportunities/new/"],
        "pipeline_detail": [f"{o}/"], "pipeline_edit": [f"{o}/edit/"],
        "pipeline_qualification": [f"{o}/qualification/"], "pipeline_questions": [f"{o}/questions/"],
        "pipeline_risk": [f"{o}/risk/"], "pipeline_risk_preview": [f"{o}/risk/preview/"],
        "pipeline_stage": [f"{o}/stage/"], "pipeline_touch": [f"{o}/touch/"],
        "pipeline_action": [f"{o}/{action}/" for action in ("win", "lose", "abandon", "reduce", "resume", "reopen")],
        "pipeline_kanban": ["/pipeline/kanban/"], "pipeline_board": ["/pipeline/board/"],
        "pipeline_conversion": ["/pipeline/conversion/"], "pipeline_fab": ["/pipeline/fab/"],
        "pipeline_fab_create": ["/pipeline/fab/new/"],
        "pipeline_fab_edit": [f"/pipeline/fab/{w.product.pk}/"],
        "pipeline_fab_delete": [f"/pipeline/fab/{w.product.pk}/delete/"],
        "visit_list": ["/visits/"], "visit_create": ["/visits/new/"],
        "visit_detail": [f"/visits/{w.visit.pk}/"], "visit_edit": [f"/visits/{w.visit.pk}/edit/"],
        "visit_commitments": ["/visits/commitments/"],
        "visit_commitment_done": [f"/visits/commitments/{w.commitment.pk}/done/"],
        "visit_compliance": ["/visits/compliance/"],
        "commission_statements": ["/commissions/"],
        "commission_finalise": ["/commissions/finalise/"],
        "commission_statement": [f"/commissions/{month}-sp{w.people.sales1.pk}/", "/commissions/0000-13-sp1/"],
        "commission_statement_pdf": [f"/commissions/{month}-sp{w.people.sales1.pk}.pdf"],
        "commission_statement_xlsx": [f"/commissions/{month}-sp{w.people.sales1.pk}.xlsx", "/commissions/x.xlsx"],
        "advance_list": ["/advances/"],
        "advance_step": ["/advances/99999999/approve/", "/advances/1/nope/"],
    }  # fmt: skip


class ServerErrors:
    """Requests that ended in a 500, with the exception each raised."""

    def __init__(self):
        self.found: list[str] = []
        self._last = None

    def _record(self, sender, request=None, **kwargs):
        self._last = sys.exc_info()[1]

    def __enter__(self):
        got_request_exception.connect(self._record)
        return self

    def __exit__(self, *exc):
        got_request_exception.disconnect(self._record)

    def check(self, response, what: str) -> None:
        if response.status_code >= 500:
            self.found.append(f"{what}: {response.status_code} {self._last!r:.300}")
        self._last = None


def browser(user) -> Client:
    client = Client(raise_request_exception=False, headers={"Accept-Language": "en"})
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_it_knows_every_page_of_the_site(world):
    assert {name for _route, name in page_patterns()} == set(addresses(world))


def _query_variants(path: str):
    if path.endswith(".pdf"):
        # Rendering a PDF takes a while: the two kinds of value a PDF's query may hold.
        yield {name: "9999-12-31" for name in QUERY_NAMES}
        yield {name: "x" * 3000 for name in QUERY_NAMES}
        return
    for value in HOSTILE:
        yield {name: value for name in QUERY_NAMES}
    # Without the other names, so no earlier refusal (a bad page number) hides the date's.
    for value in DATES:
        yield {name: value for name in DATE_NAMES}


@pytest.mark.parametrize("persona", ["admin", "sales1"])
def test_it_answers_hostile_query_strings_without_a_server_error(world, persona):
    client = browser(getattr(world.people, persona))
    with ServerErrors() as errors:
        for name, paths in addresses(world).items():
            if name in ("logout", "set_language"):
                continue
            for path in paths:
                for query in _query_variants(path):
                    response = client.get(path, query)
                    errors.check(response, f"GET {path}?{_short(query)}")
    assert errors.found == []


def _short(query: dict) -> str:
    return "&".join(f"{k}={v[:20]}" for k, v in query.items())


# Forms ------------------------------------------------------------------------------------


def _forms_of(response) -> list[forms.BaseForm]:
    found = []
    for context in response.context or []:
        values = context.flatten() if hasattr(context, "flatten") else context
        for value in values.values():
            if isinstance(value, forms.BaseForm) and value not in found:
                found.append(value)
    return found


def _plausible(field: forms.Field):
    """A value the field would accept, so the hostile one next to it reaches the code."""
    if isinstance(field, forms.ModelMultipleChoiceField):
        first = field.queryset.first()
        return [] if first is None else [str(field.prepare_value(first))]
    if isinstance(field, forms.ModelChoiceField):
        first = field.queryset.first()
        return "" if first is None else str(field.prepare_value(first))
    if isinstance(field, forms.MultipleChoiceField):
        return [str(field.choices[0][0])] if field.choices else []
    if isinstance(field, forms.ChoiceField):
        choices = [c for c in field.choices if c[0] not in ("", None)]
        return str(choices[0][0]) if choices else ""
    if isinstance(field, forms.DateField):
        return days_ago(1).isoformat()
    if isinstance(field, (forms.IntegerField, forms.DecimalField)):
        return "3"
    if isinstance(field, forms.NullBooleanField | forms.BooleanField):
        return "true"
    if isinstance(field, forms.FileField):
        return ""
    return "3"


def _hostile(field: forms.Field) -> list:
    if isinstance(field, forms.DateField):
        return ["0001-01-01", "9999-12-31"]
    if isinstance(field, (forms.IntegerField, forms.DecimalField)):
        return ["99999999999999999999999999", "1,2,3.00", "١٢٣"]
    if isinstance(field, forms.CharField):
        # As long as the form allows: a column shorter than the form's limit is a 500 on
        # PostgreSQL (DataError) unless something refuses it first.
        longest = ["长" * field.max_length] if field.max_length else []
        return ["9999-12-31", "1,2,3.00", "١٢٣", "x" * 3000, *longest]
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        return ["99999999999999999999999999", "x" * 3000]
    return []


@pytest.mark.parametrize("persona", ["admin", "sales1"])
def test_it_answers_hostile_form_values_without_a_server_error(world, persona):
    """Each field of each form in turn gets a hostile value, the others a plausible one."""
    client = browser(getattr(world.people, persona))
    with ServerErrors() as errors:
        for name, paths in addresses(world).items():
            if name in ("logout", "set_language", "login"):
                continue
            for path in paths:
                response = client.get(path)
                for form in _forms_of(response):
                    base = {
                        form.add_prefix(key): _plausible(field)
                        for key, field in form.fields.items()
                    }
                    for key, field in form.fields.items():
                        for value in _hostile(field):
                            data = {**base, form.add_prefix(key): value}
                            response = client.post(path, data)
                            errors.check(response, f"POST {path} {key}={value[:20]}")
    assert errors.found == []
