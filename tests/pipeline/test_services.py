"""The pipeline services: defaults, validation, stages, screening, reduced contact and its
touch reminders, the importer's upsert, FAB lines, and who may change what."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from salesdesk.core.errors import PermissionDenied
from salesdesk.core.models import AuditEntry
from salesdesk.pipeline import fab, selectors, services
from salesdesk.pipeline.models import FabProduct, Opportunity
from tests.clock import TODAY
from tests.pipeline.builders import factors, set_policy


def days(n):
    return TODAY + dt.timedelta(days=n)


# Create and update -------------------------------------------------------------------


def test_it_defaults_owner_and_source_to_the_customers_and_numbers_the_code(people, customers):
    first = services.opportunity_create(actor=people.sales1, customer=customers.c1, name="一期")
    second = services.opportunity_create(actor=people.sales1, customer=customers.c1, name="二期")

    assert (first.code, second.code) == ("O000001", "O000002")
    assert first.owner == people.sales1
    assert first.source == "customer_referral"
    assert first.stage == "lead"
    entry = AuditEntry.objects.get(object_type="pipeline.opportunity", object_id=str(first.pk))
    assert entry.action == "create" and entry.actor == people.sales1


def test_it_refuses_bad_values_naming_the_field(people, customers):
    with pytest.raises(ValidationError) as error:
        services.opportunity_create(
            actor=people.sales1, customer=customers.c1, name=" ", value="-1", source="fax"
        )
    assert set(error.value.message_dict) == {"name", "value", "source"}

    opportunity = services.opportunity_create(actor=None, customer=customers.c1, name="x")
    with pytest.raises(ValidationError) as error:
        services.opportunity_score(
            actor=None, opportunity=opportunity, factors={1: 6, "f2": 0, 3: "2.5", 9: 3}
        )
    assert set(error.value.message_dict) == {"f1", "f2", "f3", "9"}


def test_it_lets_a_salesperson_assign_only_to_themselves(people, customers):
    with pytest.raises(ValidationError) as error:
        services.opportunity_create(
            actor=people.sales1, customer=customers.c1, name="x", owner=people.sales2
        )
    assert "owner" in error.value.message_dict


def test_it_changes_details_and_products_and_audits_them(people, make):
    opportunity = make("O1")
    product, _ = fab.fab_product_save(actor=people.admin, name="C30 商品混凝土", lines=[])

    changes = services.opportunity_update(
        actor=people.sales1, opportunity=opportunity, value="250000", spec_in_tender=True,
        products=[product], competitors="华新",
    )  # fmt: skip

    assert set(changes) == {"value", "spec_in_tender", "products", "competitors"}
    opportunity.refresh_from_db()
    assert opportunity.value == Decimal("250000.00") and opportunity.spec_in_tender
    assert list(opportunity.products.all()) == [product]
    assert services.opportunity_update(actor=people.sales1, opportunity=opportunity,
                                       value="250000.00") == {}  # fmt: skip


def test_it_lets_only_managers_and_admins_reassign(people, make):
    opportunity = make("O1")

    with pytest.raises(PermissionDenied):
        services.opportunity_update(
            actor=people.sales1, opportunity=opportunity, owner=people.sales2
        )
    services.opportunity_update(actor=people.manager1, opportunity=opportunity, owner=people.sales2)

    assert Opportunity.objects.get(pk=opportunity.pk).owner == people.sales2


# Who may change ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [("sales1", True), ("manager1", True), ("admin", True), ("sales2", False),
     ("manager2", False), ("marketing", False), ("finance", False)],
)  # fmt: skip
def test_it_lets_only_the_owner_their_manager_and_admins_change_it(people, make, persona, allowed):
    opportunity = make("O1")
    actor = getattr(people, persona)

    def change():
        services.opportunity_qualify(
            actor=actor, opportunity=opportunity, need=True, budget=True,
            decision_maker_known=None, need_evidence="招标公告",
        )  # fmt: skip

    if allowed:
        change()
        assert Opportunity.objects.get(pk=opportunity.pk).need is True
    else:
        with pytest.raises(PermissionDenied):
            change()


def test_it_refuses_creation_to_marketing_and_finance(people, customers):
    for actor in (people.marketing, people.finance):
        with pytest.raises(PermissionDenied):
            services.opportunity_create(actor=actor, customer=customers.c1, name="x")


# Stages ------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["won", "lost", "abandoned"])
def test_it_needs_a_reason_to_close(people, make, stage):
    opportunity = make("O1")

    with pytest.raises(ValidationError) as error:
        services.opportunity_set_stage(
            actor=people.sales1, opportunity=opportunity, stage=stage, reason="  "
        )
    assert "reason" in error.value.message_dict

    services.opportunity_set_stage(
        actor=people.sales1, opportunity=opportunity, stage=stage, reason="价格"
    )
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.closed_on, opportunity.closed_reason) == (
        stage, TODAY, "价格",
    )  # fmt: skip


def test_it_reopens_a_closed_opportunity(people, make):
    opportunity = make("O1", stage="lost")
    assert opportunity.closed_reason == "Recorded by import"

    services.opportunity_set_stage(actor=people.sales1, opportunity=opportunity, stage="proposal")

    opportunity.refresh_from_db()
    assert opportunity.is_open and opportunity.closed_on is None and not opportunity.closed_reason


def test_it_moves_between_open_stages_without_a_reason(people, make):
    opportunity = make("O1")

    moved = services.opportunity_set_stage(
        actor=people.sales1, opportunity=opportunity, stage="negotiation"
    )

    assert moved and Opportunity.objects.get(pk=opportunity.pk).stage == "negotiation"
    assert not services.opportunity_set_stage(
        actor=people.sales1, opportunity=opportunity, stage="negotiation"
    )


# Screening and reduced contact -------------------------------------------------------


def test_it_puts_only_a_failed_opportunity_on_reduced_contact(people, make):
    passed, unscored, failed = make("P", score=(4,)), make("U", score=None), make("F", score=(2,))

    for opportunity in (passed, unscored):
        with pytest.raises(ValidationError):
            services.opportunity_reduce(actor=people.sales1, opportunity=opportunity)
    services.opportunity_reduce(actor=people.sales1, opportunity=failed, reason="资金紧张")

    failed.refresh_from_db()
    assert failed.contact_level == "reduced" and failed.reduced_on == TODAY
    with pytest.raises(ValidationError):
        services.opportunity_reduce(actor=people.sales1, opportunity=failed)


def test_it_abandons_a_failed_opportunity_with_a_reason(people, make):
    failed = make("F", score=(2,))

    with pytest.raises(ValidationError):
        services.opportunity_abandon(actor=people.sales1, opportunity=failed, reason="")
    services.opportunity_abandon(actor=people.sales1, opportunity=failed, reason="不值得")

    assert Opportunity.objects.get(pk=failed.pk).stage == "abandoned"


def _due(people, code, as_of):
    context = selectors.Context.as_of(as_of)
    opportunity = selectors.opportunity_get(people.admin, code, context)
    return opportunity.touch_due(context.touch_days, opportunity.last_touch)


def _due_codes(people, as_of):
    return [o.code for o in selectors.touches_due(people.admin, selectors.Context.as_of(as_of))]


def test_it_makes_a_touch_due_90_days_after_the_reduction(people, make):
    failed = make("F", score=(2,))
    services.opportunity_reduce(actor=people.sales1, opportunity=failed, on=days(-100))

    assert _due(people, "F", TODAY) == days(-10)
    assert _due_codes(people, days(-11)) == []
    assert _due_codes(people, days(-10)) == ["F"]  # due on the 90th day
    assert _due_codes(people, TODAY) == ["F"]


def test_it_makes_the_next_touch_due_90_days_after_the_last_touch(people, make):
    failed = make("F", score=(2,))
    services.opportunity_touch(actor=people.sales1, opportunity=failed, date=days(-200))  # before
    services.opportunity_reduce(actor=people.sales1, opportunity=failed, on=days(-100))
    services.opportunity_touch(actor=people.sales1, opportunity=failed, date=days(-20), note="电话")

    assert _due(people, "F", TODAY) == days(70)
    assert _due_codes(people, days(69)) == []
    assert _due_codes(people, days(70)) == ["F"]


def test_it_takes_the_touch_interval_from_the_policy(people, make):
    failed = make("F", score=(2,))
    services.opportunity_reduce(actor=people.sales1, opportunity=failed, on=days(-40))
    set_policy(people, risk__reduced_contact_days="30")

    assert _due(people, "F", TODAY) == days(-10)
    assert _due_codes(people, TODAY) == ["F"]


def test_it_stops_reminding_once_closed_or_resumed(people, make):
    one, two = make("F1", score=(2,)), make("F2", score=(2,))
    for opportunity in (one, two):
        services.opportunity_reduce(actor=people.sales1, opportunity=opportunity, on=days(-100))

    services.opportunity_abandon(actor=people.sales1, opportunity=one, reason="放弃")
    services.opportunity_resume(actor=people.sales1, opportunity=two, reason="客户重启项目")

    assert _due_codes(people, TODAY) == []
    assert _due(people, "F1", TODAY) is None


def test_it_refuses_a_touch_in_the_future(people, make):
    with pytest.raises(ValidationError):
        services.opportunity_touch(actor=people.sales1, opportunity=make("O1"), date=days(1))


# The importer's upsert ---------------------------------------------------------------


def test_it_upserts_a_row_created_then_unchanged_then_updated(people, customers):
    row = dict(
        code="IMP1", customer=customers.c1, name="导入商机", value="500000.00",
        expected_close=days(60), stage="proposal", source="tender", need=True, budget=False,
        decision_maker_known=True, factors=factors(4, 4, 4, 4, 4, 4, 3),
    )  # fmt: skip

    opportunity, outcome = services.opportunity_upsert(actor=people.admin, **row)
    assert outcome == "created"
    assert (opportunity.stage, opportunity.source, opportunity.need, opportunity.budget) == (
        "proposal", "tender", True, False,
    )  # fmt: skip
    assert opportunity.factors == [4, 4, 4, 4, 4, 4, 3]

    assert services.opportunity_upsert(actor=people.admin, **row)[1] == "unchanged"
    audit_count = AuditEntry.objects.count()
    assert services.opportunity_upsert(actor=people.admin, **row)[1] == "unchanged"
    assert AuditEntry.objects.count() == audit_count

    changed = {**row, "value": "600000", "factors": {7: 5}, "stage": "won"}
    opportunity, outcome = services.opportunity_upsert(actor=people.admin, **changed)
    assert outcome == "updated"
    assert opportunity.value == Decimal("600000.00") and opportunity.f7 == 5
    assert opportunity.stage == "won" and opportunity.closed_reason == "Recorded by import"


def test_it_keeps_stored_values_for_empty_import_columns(people, customers):
    services.opportunity_upsert(
        actor=None, code="IMP1", customer=customers.c1, name="导入", value="1.00",
        need=True, factors=factors(3),
    )  # fmt: skip

    opportunity, outcome = services.opportunity_upsert(
        actor=None, code="IMP1", customer=customers.c1, name="导入"
    )

    assert outcome == "unchanged"
    assert opportunity.value == Decimal("1.00") and opportunity.need is True
    assert opportunity.factors == [3] * 7


def test_it_refuses_to_move_an_opportunity_to_another_customer(customers):
    services.opportunity_upsert(actor=None, code="IMP1", customer=customers.c1, name="导入")

    with pytest.raises(ValidationError) as error:
        services.opportunity_upsert(actor=None, code="IMP1", customer=customers.c2, name="导入")
    assert "customer" in error.value.message_dict


def test_it_names_the_bad_import_columns(customers):
    with pytest.raises(ValidationError) as error:
        services.opportunity_upsert(
            actor=None, code="IMP1", customer=customers.c1, name="导入", factors={3: 7}
        )
    assert set(error.value.message_dict) == {"f3"}
    with pytest.raises(ValidationError) as error:
        services.opportunity_upsert(
            actor=None, code="IMP1", customer=customers.c1, name="导入", stage="dreaming"
        )
    assert set(error.value.message_dict) == {"stage"}


# FAB ---------------------------------------------------------------------------------


def test_it_saves_fab_lines_and_replaces_them_by_product_name(people):
    lines = [{"feature": "双掺", "advantage": "泵送顺畅", "benefit": "工期有保障"}, {}]

    product, outcome = fab.fab_product_save(actor=people.marketing, name="C30", lines=lines)
    assert outcome == "created" and product.lines.count() == 1
    assert fab.fab_product_save(actor=people.marketing, name="C30", lines=lines)[1] == ("unchanged")
    _product, outcome = fab.fab_product_save(
        actor=people.manager1, name="C30", lines=[*lines, {"benefit": "省钱"}]
    )
    assert outcome == "updated" and product.lines.count() == 2


@pytest.mark.parametrize("persona", ["sales1", "finance"])
def test_it_refuses_fab_edits_to_salespeople_and_finance(people, persona):
    with pytest.raises(PermissionDenied):
        fab.fab_product_save(actor=getattr(people, persona), name="C30", lines=[])
    assert not FabProduct.objects.exists()
