"""Company policy: the registry's parsing rules, seeded defaults, dated changes, the page."""

import datetime as dt
from decimal import Decimal

import pytest

from salesdesk.core.errors import PermissionDenied
from salesdesk.core.models import AuditEntry, PolicyValue
from salesdesk.core.policy import (
    DEFAULTS_EFFECTIVE_FROM,
    REGISTRY,
    SETTINGS,
    PolicyError,
    policy_as_of,
    seed_defaults,
    setting,
)
from salesdesk.core.services import policy_update

# The registry's parsing rules (pure) ------------------------------------------------------


@pytest.mark.parametrize("spec", SETTINGS, ids=lambda s: s.key)
def test_it_parses_every_default_and_formats_it_back_to_the_same_text(spec):
    value = spec.parse(spec.default)

    assert spec.parse(spec.format(value)) == value
    assert spec.format(spec.parse(spec.format(value))) == spec.format(value)


@pytest.mark.parametrize(
    ("key", "raw", "value"),
    [
        ("tier.key.payment_terms_days", "45", 45),
        ("tier.key.payment_terms_days", " 45.0 ", 45),
        ("tier.key.payment_terms_days", 45, 45),
        ("tiering.weight_business", "0.40", Decimal("0.40")),
        ("risk.pass_score", Decimal("62.5"), Decimal("62.5")),
        ("aging.bounds", "30, 60,90", (30, 60, 90)),
        ("commission.penalty_bands", "100:0, 80:0.5", ((Decimal(100), Decimal(0)), (Decimal(80), Decimal("0.5")))),
        ("tier.general.visit_period", "month", "month"),
        ("letterhead.address", "  武汉市  ", "武汉市"),
        ("letterhead.phone", "", ""),
    ],
)  # fmt: skip
def test_it_parses_each_kind_of_value(key, raw, value):
    assert setting(key).parse(raw) == value


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        ("tier.key.payment_terms_days", "4.5", "not a valid integer value"),
        ("tier.key.payment_terms_days", "abc", "not a valid integer value"),
        ("tier.key.payment_terms_days", "3651", "above the maximum 3650"),
        ("tier.key.payment_terms_days", "-1", "below the minimum 0"),
        ("risk.pass_score", "101", "above the maximum 100"),
        ("risk.pass_score", "NaN", "not a valid decimal value"),
        ("risk.pass_score", "Infinity", "not a valid decimal value"),
        ("collections.task_draft_day", "29", "above the maximum 28"),
        ("collections.task_draft_day", "0", "below the minimum 1"),
        ("commission.legal_penalty_points", "6", "above the maximum 5"),
        ("aging.bounds", "60,30", "not a valid int_list value"),
        ("aging.bounds", "30,30", "not a valid int_list value"),
        ("aging.bounds", "", "not a valid int_list value"),
        ("commission.penalty_bands", "0:1.5, 100:0", "not a valid bands value"),
        ("commission.penalty_bands", "100", "not a valid bands value"),
        ("commission.penalty_bands", "100:-1", "below the minimum 0"),
        ("tier.key.visit_period", "week", "not a valid period value"),
        ("tier.key.payment_terms_days", True, "not a valid integer value"),
    ],
)
def test_it_rejects_a_bad_value_naming_the_key(key, raw, message):
    with pytest.raises(PolicyError) as caught:
        setting(key).parse(raw)

    assert str(caught.value).startswith(f"{key}: ")
    assert message in str(caught.value)


def test_it_rejects_an_unknown_key():
    with pytest.raises(PolicyError, match=r"^tier\.gold\.discount_pct: unknown policy key$"):
        setting("tier.gold.discount_pct")


def test_it_gives_every_key_a_section_and_a_label():
    assert len(REGISTRY) == len(SETTINGS)
    assert all("." in s.key and str(s.label) for s in SETTINGS)


# Seeded defaults -------------------------------------------------------------------------


def test_it_seeds_the_default_of_every_key_after_migrate(db):
    rows = dict(
        PolicyValue.objects.filter(effective_from=DEFAULTS_EFFECTIVE_FROM).values_list(
            "key", "value"
        )
    )

    assert rows == {s.key: s.format(s.parse(s.default)) for s in SETTINGS}


def test_it_seeds_only_missing_keys(db):
    assert seed_defaults() == 0
    PolicyValue.objects.filter(key="risk.pass_score").delete()

    assert seed_defaults() == 1
    assert policy_as_of()["risk.pass_score"] == Decimal("60")


def test_it_falls_back_to_the_registry_default_for_a_key_without_a_row(db):
    PolicyValue.objects.filter(key="claims.protection_days").delete()

    assert policy_as_of()["claims.protection_days"] == 90


def test_it_reads_typed_values(db):
    policy = policy_as_of(dt.date(2026, 1, 1))

    assert policy["tier.strategic.payment_terms_days"] == 90
    assert policy["tier.general.credit_limit"] == Decimal("500000.00")
    assert policy["aging.bounds"] == (30, 60, 90, 180, 365)
    assert policy["tier.general.visit_period"] == "quarter"
    assert policy.text("commission.old_debt_bands") == "365:1.0, 181:0.5"


# Changes ---------------------------------------------------------------------------------

MARCH = dt.date(2026, 3, 1)


def test_it_changes_a_value_from_its_effective_date_on(people):
    changes = policy_update(
        values={"tier.key.payment_terms_days": "45", "risk.pass_score": "60"},
        effective_from=MARCH,
        actor=people.admin,
        reason="board decision",
    )

    assert changes == {"tier.key.payment_terms_days": ("60", "45")}  # pass_score unchanged
    assert policy_as_of(MARCH - dt.timedelta(days=1))["tier.key.payment_terms_days"] == 60
    assert policy_as_of(MARCH)["tier.key.payment_terms_days"] == 45
    assert policy_as_of(dt.date(2030, 1, 1))["tier.key.payment_terms_days"] == 45
    row = PolicyValue.objects.get(key="tier.key.payment_terms_days", effective_from=MARCH)
    assert (row.value, row.set_by, row.reason) == ("45", people.admin, "board decision")
    assert not PolicyValue.objects.filter(key="risk.pass_score", effective_from=MARCH).exists()


def test_it_keeps_a_later_change_in_force_after_its_own_date(people):
    policy_update(
        values={"risk.pass_score": 70}, effective_from=dt.date(2026, 6, 1), actor=people.admin
    )
    policy_update(values={"risk.pass_score": 65}, effective_from=MARCH, actor=people.admin)

    assert [policy_as_of(d)["risk.pass_score"] for d in (
        dt.date(2026, 2, 28), MARCH, dt.date(2026, 5, 31), dt.date(2026, 6, 1)
    )] == [Decimal(60), Decimal(65), Decimal(65), Decimal(70)]  # fmt: skip


def test_it_audits_a_policy_change(people):
    policy_update(
        values={"commission.holdback_pct": "25"}, effective_from=MARCH, actor=people.admin,
        reason="union agreement",
    )  # fmt: skip

    entry = AuditEntry.objects.get(action="policy_update")
    assert (entry.actor, entry.reason) == (people.admin, "union agreement")
    assert entry.changes == {
        "commission.holdback_pct": ["30", "25"],
        "effective_from": [None, "2026-03-01"],
    }


@pytest.mark.parametrize(
    ("key", "same"),
    [
        ("risk.pass_score", "60"),
        ("risk.pass_score", "60.00"),  # as a retyped form field or a TOML float gives it
        ("tier.key.payment_terms_days", "60.0"),
        ("aging.bounds", "30, 60, 90, 180, 365"),
        ("commission.penalty_bands", "100:0.0, 80:0.50, 50:1, 0:1.5"),
    ],
)
def test_it_writes_nothing_for_a_value_equal_to_the_one_in_force(key, same, people):
    rows = PolicyValue.objects.count()

    changes = policy_update(values={key: same}, effective_from=MARCH, actor=people.admin)

    assert changes == {}
    assert PolicyValue.objects.count() == rows
    assert not AuditEntry.objects.exists()


def test_it_validates_every_value_before_writing_any(people):
    rows = list(PolicyValue.objects.values_list("pk", "key", "value"))

    with pytest.raises(PolicyError) as caught:
        policy_update(
            values={"tier.key.payment_terms_days": "45", "risk.pass_score": "abc",
                    "aging.bounds": "90,30"},
            effective_from=MARCH, actor=people.admin,
        )  # fmt: skip

    assert "risk.pass_score" in str(caught.value)
    assert "aging.bounds" in str(caught.value)
    assert "tier.key.payment_terms_days" not in str(caught.value)
    assert list(PolicyValue.objects.values_list("pk", "key", "value")) == rows
    assert not AuditEntry.objects.exists()


def test_it_refuses_an_unknown_key_in_an_update(people):
    with pytest.raises(PolicyError, match=r"tier\.gold\.discount_pct: unknown policy key"):
        policy_update(
            values={"tier.gold.discount_pct": "5"}, effective_from=MARCH, actor=people.admin
        )


@pytest.mark.parametrize("persona", ["manager1", "sales1", "finance", "marketing", "nobody"])
def test_it_lets_only_an_administrator_change_the_policy(persona, people):
    rows = PolicyValue.objects.count()

    with pytest.raises(PermissionDenied):
        policy_update(
            values={"risk.pass_score": "50"}, effective_from=MARCH, actor=getattr(people, persona)
        )

    assert PolicyValue.objects.count() == rows


def test_it_lets_a_superuser_change_the_policy(db):
    from tests.factories import UserFactory

    root = UserFactory(username="root", roles=[], is_superuser=True)

    assert policy_update(values={"risk.pass_score": "55"}, effective_from=MARCH, actor=root)


# The policy page -------------------------------------------------------------------------


def policy_form_data(response, **changes):
    form = response.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data["effective_from"] = data["effective_from"].isoformat()
    return data | changes


def test_it_shows_every_key_on_the_policy_page(people, page_for):
    response = page_for(people.admin).get("/policy/")

    assert response.status_code == 200
    content = response.content.decode()
    for spec in SETTINGS:
        assert f'name="{spec.key}"' in content
    assert 'value="90"' in content


def test_it_saves_a_change_from_the_policy_page(people, page_for):
    client = page_for(people.admin)
    data = policy_form_data(
        client.get("/policy/"),
        **{"tier.key.payment_terms_days": "50", "effective_from": "2026-09-01", "reason": "review"},
    )

    response = client.post("/policy/", data)

    assert response.status_code == 302
    assert policy_as_of(dt.date(2026, 9, 1))["tier.key.payment_terms_days"] == 50
    assert policy_as_of(dt.date(2026, 8, 31))["tier.key.payment_terms_days"] == 60
    assert AuditEntry.objects.get(action="policy_update").actor == people.admin
    assert "review" in client.get("/policy/").content.decode()  # in the recent changes


def test_it_shows_a_bad_value_on_the_policy_page_and_saves_nothing(people, page_for):
    client = page_for(people.admin)
    rows = PolicyValue.objects.count()
    data = policy_form_data(
        client.get("/policy/"),
        **{"tier.key.payment_terms_days": "50", "aging.bounds": "90,30", "reason": "oops"},
    )

    response = client.post("/policy/", data)

    assert response.status_code == 200
    assert "aging.bounds" in " ".join(response.context["form"].non_field_errors())
    assert PolicyValue.objects.count() == rows


def test_it_requires_a_reason_for_a_change_on_the_page(people, page_for):
    client = page_for(people.admin)
    data = policy_form_data(client.get("/policy/"), **{"risk.pass_score": "50", "reason": ""})

    response = client.post("/policy/", data)

    assert "reason" in response.context["form"].errors
    assert policy_as_of()["risk.pass_score"] == Decimal(60)


@pytest.mark.parametrize(
    "persona", ["manager1", "sales1", "finance", "marketing", "supply", "legal", "nobody"]
)
def test_it_forbids_the_policy_page_to_everyone_but_administrators(persona, people, page_for):
    client = page_for(getattr(people, persona))

    assert client.get("/policy/").status_code == 403
    assert client.post("/policy/", {"risk.pass_score": "1", "reason": "x"}).status_code == 403
    assert policy_as_of()["risk.pass_score"] == Decimal(60)
    assert 'href="/policy/"' not in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("risk.pass_score", "١٢"),
        ("risk.pass_score", "1e1"),
        ("tiering.weight_business", "٠.٤"),
        ("tier.key.payment_terms_days", "３０"),
        ("aging.bounds", "30,٦٠"),
    ],
)
def test_it_takes_plain_ascii_decimals_only(key, raw):
    with pytest.raises(PolicyError, match="is not a valid"):
        setting(key).parse(raw)
