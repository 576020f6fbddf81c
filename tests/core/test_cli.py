"""The command line: API tokens, users with roles, policy export, import and show."""

import datetime as dt
import json
import tomllib
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from salesdesk.core.models import ApiToken, AuditEntry, PolicyValue, User
from salesdesk.core.policy import REGISTRY, policy_as_of
from tests.factories import CustomerFactory, PlantFactory


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


# token -------------------------------------------------------------------------------


def test_it_prints_a_working_api_token(people):
    key = run("token", "create", "sales1").strip()

    response = Client(headers={"Authorization": f"Bearer {key}"}).get("/api/v1/users/me")

    assert response.status_code == 200
    assert response.json()["username"] == "sales1"
    token = ApiToken.objects.get(user=people.sales1)
    assert (token.name, key.startswith(token.prefix)) == ("cli", True)
    assert AuditEntry.objects.get(action="token_create").changes == {"token": [None, token.prefix]}


def test_it_prints_a_new_token_each_time(people):
    first = run("token", "create", "sales1", "--name", "erp").strip()
    second = run("token", "create", "sales1", "--name", "bi").strip()

    assert first != second
    assert set(ApiToken.objects.values_list("name", flat=True)) == {"erp", "bi"}


@pytest.mark.parametrize("username", ["ghost", "gone"])
def test_it_refuses_a_token_for_an_unknown_or_inactive_user(username, people):
    User.objects.filter(username="sales1").update(username="gone", is_active=False)

    with pytest.raises(CommandError, match=f"no active user '{username}'"):
        run("token", "create", username)

    assert not ApiToken.objects.exists()


# createuser --------------------------------------------------------------------------


def test_it_creates_a_user_with_roles_manager_and_plant(people, client_for):
    PlantFactory(code="PL01")

    output = run(
        "createuser", "rep9", name="Rep Nine", roles="manager, sales", manager="manager1",
        plant="PL01", email="rep9@example.com", password="a long passphrase",
    )  # fmt: skip

    user = User.objects.get(username="rep9")
    assert output.strip() == "rep9: manager, sales"
    assert (user.name, user.email, user.manager, user.plant.code) == (
        "Rep Nine",
        "rep9@example.com",
        people.manager1,
        "PL01",
    )
    assert user.roles == {"manager", "sales"}
    assert user.check_password("a long passphrase")
    assert not user.is_staff
    assert AuditEntry.objects.get(object_id=str(user.pk), action="create").actor is None
    CustomerFactory(code="C1", owner=user)
    assert client_for(people.manager1).get("/api/v1/customers/C1").status_code == 200  # team


def test_it_updates_an_existing_user_to_exactly_the_roles_given(people):
    run("createuser", "sales1", roles="manager", password="pw2")

    sales1 = User.objects.get(username="sales1")
    assert sales1.roles == {"manager"}
    assert sales1.check_password("pw2")
    entry = AuditEntry.objects.get(object_id=str(sales1.pk), action="update")
    assert entry.changes["roles"] == ["sales", "manager"]


def test_it_makes_an_administrator_staff(db):
    run("createuser", "root2", roles="admin", password="pw")

    assert User.objects.get(username="root2").is_staff


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"roles": "sales,boss"}, "unknown role boss"),
        ({"roles": " , "}, "at least one role"),
        ({"roles": "sales", "manager": "ghost"}, "--manager: no user 'ghost'"),
        ({"roles": "sales", "plant": "PL99"}, "--plant: no plant 'PL99'"),
    ],
)
def test_it_refuses_a_bad_createuser_with_a_clear_message(options, message, db):
    with pytest.raises(CommandError, match=message):
        run("createuser", "rep9", password="pw", **options)

    assert not User.objects.filter(username="rep9").exists()


def test_it_refuses_to_make_a_user_their_own_manager(people):
    with pytest.raises(CommandError, match="own manager"):
        run("createuser", "manager1", roles="manager", manager="manager1", password="pw")


def test_it_requires_roles(db):
    with pytest.raises(CommandError, match="--roles"):
        run("createuser", "rep9", password="pw")


# policy ------------------------------------------------------------------------------


def export(tmp_path, *args) -> tuple:
    path = tmp_path / "policy.toml"
    output = run("policy", "export", str(path), *args)
    return path, output


def test_it_exports_the_policy_in_force_as_toml(db, tmp_path):
    path, output = export(tmp_path, "--as-of", "2026-01-15")

    document = tomllib.loads(path.read_text(encoding="utf-8"))
    assert "2026-01-15" in output
    assert document["effective_from"] == dt.date(2026, 1, 15)
    assert document["tier"]["key"]["payment_terms_days"] == 60
    assert document["tiering"]["weight_business"] == "0.4"
    assert document["aging"]["bounds"] == "30,60,90,180,365"
    assert document["letterhead"]["company_name_zh"] == "示例建材集团有限公司"
    flat = {
        f"{section}.{name}"
        for section, table in document.items()
        if isinstance(table, dict)
        for name in table
    } | {
        f"tier.{tier}.{name}"
        for tier, table in document["tier"].items()
        for name in table
    }  # fmt: skip
    assert set(REGISTRY) <= flat


def test_it_imports_an_exported_policy_unchanged_as_no_change(db, tmp_path):
    path, _ = export(tmp_path)
    rows = PolicyValue.objects.count()

    output = run("policy", "import", str(path))

    assert "no changes" in output
    assert PolicyValue.objects.count() == rows


def test_it_round_trips_an_edited_policy_through_export_and_import(people, tmp_path):
    path, _ = export(tmp_path)
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        f"effective_from = {dt.date.today().isoformat()}", "effective_from = 2030-01-01"
    )
    text = text.replace('weight_business = "0.4"', "weight_business = 0.5")
    text = text.replace("payment_terms_days = 60", "payment_terms_days = 75")
    path.write_text(text, encoding="utf-8")

    output = run("policy", "import", str(path), "--as-user", "admin", "--reason", "2030 plan")

    assert "changed tier.key.payment_terms_days: 60 -> 75 from 2030-01-01" in output
    assert "changed tiering.weight_business: 0.4 -> 0.5 from 2030-01-01" in output
    assert policy_as_of(dt.date(2030, 1, 1))["tier.key.payment_terms_days"] == 75
    assert policy_as_of(dt.date(2029, 12, 31))["tier.key.payment_terms_days"] == 60
    assert policy_as_of(dt.date(2030, 1, 1))["tiering.weight_business"] == Decimal("0.5")
    entry = AuditEntry.objects.get(action="policy_update")
    assert (entry.actor, entry.reason) == (people.admin, "2030 plan")
    # Exported again as of that date, the file says what was imported.
    again, _ = export(tmp_path, "--as-of", "2030-01-01")
    document = tomllib.loads(again.read_text(encoding="utf-8"))
    assert document["tier"]["key"]["payment_terms_days"] == 75


def test_it_imports_a_partial_file_with_an_effective_date_option(db, tmp_path):
    path = tmp_path / "partial.toml"
    path.write_text("[risk]\npass_score = 65\n", encoding="utf-8")

    run("policy", "import", str(path), "--effective-from", "2027-01-01")

    assert policy_as_of(dt.date(2027, 1, 1))["risk.pass_score"] == Decimal(65)
    row = PolicyValue.objects.get(key="risk.pass_score", effective_from=dt.date(2027, 1, 1))
    assert row.reason == "import partial.toml"


def test_it_shows_what_an_import_would_change_without_writing_it(db, tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("effective_from = 2027-01-01\n[risk]\npass_score = 65\n", encoding="utf-8")
    rows = PolicyValue.objects.count()

    output = run("policy", "import", str(path), "--dry-run")

    assert "would change risk.pass_score: 60 -> 65 from 2027-01-01" in output
    assert PolicyValue.objects.count() == rows
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("effective_from = 2027-01-01\n[risk]\npass_score = 65\nbogus = 1\n",
         "unknown policy keys: risk.bogus"),
        ("effective_from = 2027-01-01\n[tier.gold]\ndiscount_pct = 1\n",
         "unknown policy keys: tier.gold.discount_pct"),
        ("effective_from = 2027-01-01\n[risk]\nclass_a_score = 70\npass_score = \"abc\"\n",
         "risk.pass_score: 'abc' is not a valid decimal value"),
        ("effective_from = 2027-01-01\n[aging]\nbounds = \"90,30\"\n[risk]\npass_score = 65\n",
         "aging.bounds"),
        ("effective_from = 2027-01-01\n[risk]\npass_score = 120\n", "above the maximum 100"),
        ("effective_from = \"soon\"\n[risk]\npass_score = 65\n", "effective_from: must be a date"),
        ("[risk]\npass_score = 65\n", "no effective_from"),
        ("[risk\npass_score = 65\n", "not valid TOML"),
    ],
)  # fmt: skip
def test_it_refuses_a_bad_policy_file_with_a_clear_error_and_writes_nothing(
    content, message, db, tmp_path
):
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    rows = list(PolicyValue.objects.values_list("pk", "key", "value"))

    with pytest.raises(CommandError) as caught:
        run("policy", "import", str(path))

    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert list(PolicyValue.objects.values_list("pk", "key", "value")) == rows
    assert not AuditEntry.objects.exists()


def test_it_refuses_to_import_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run("policy", "import", str(tmp_path / "missing.toml"))


@pytest.mark.parametrize(("user", "message"), [("sales1", "administrator"), ("ghost", "no user")])
def test_it_refuses_an_import_as_a_user_who_may_not_change_the_policy(
    user, message, people, tmp_path
):
    path = tmp_path / "p.toml"
    path.write_text("effective_from = 2027-01-01\n[risk]\npass_score = 65\n", encoding="utf-8")

    with pytest.raises(CommandError, match=message):
        run("policy", "import", str(path), "--as-user", user)

    assert policy_as_of(dt.date(2027, 1, 1))["risk.pass_score"] == Decimal(60)


def test_it_shows_the_policy_as_json_for_machines(db):
    document = json.loads(run("policy", "show", "--as-of", "2026-01-01", "--format", "json"))

    assert document["as_of"] == "2026-01-01"
    assert list(document["values"]) == list(REGISTRY)
    assert document["values"]["tier.strategic.credit_limit"] == "5000000.00"


def test_it_shows_the_policy_as_text(db):
    lines = run("policy", "show").splitlines()

    assert "tier.general.payment_terms_days = 30" in lines
    assert len(lines) == len(REGISTRY)
