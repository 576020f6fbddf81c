"""`salesdesk demo` and `salesdesk synth` against the test database."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from salesdesk.core.choices import Role
from salesdesk.core.models import Plant, User
from salesdesk.customers.models import Contact, Customer, Project
from tests.factories import CustomerFactory


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def snapshot():
    return (
        sorted(Customer.objects.values_list("code", "name", "credit_code", "owner__username")),
        sorted(Contact.objects.values_list("customer__code", "name", "role")),
        sorted(Project.objects.values_list("code", "customer__code", "owner__username")),
        sorted(User.objects.values_list("username", "name", "manager__username", "plant__code")),
    )


def test_it_loads_the_demo_data_set(db):
    output = run("demo")

    assert Customer.objects.count() == 300
    assert Project.objects.count() == 600
    assert 600 <= Contact.objects.count() <= 1500
    assert Plant.objects.count() == 3
    assert "http://127.0.0.1:8000" in output and '"demo"' in output and "sales6" in output


def test_it_creates_a_user_for_every_role_on_two_teams(db):
    run("demo")

    roles = {user.username: user.roles for user in User.objects.all()}
    assert set().union(*roles.values()) == set(Role.values)
    assert all(user.plant_id for user in User.objects.all())
    assert all(User.objects.get(username=name).check_password("demo") for name in roles)
    team = dict(
        User.objects.filter(manager__isnull=False).values_list("username", "manager__username")
    )
    assert team == {
        "sales1": "manager1", "sales2": "manager1", "sales3": "manager1",
        "sales4": "manager2", "sales5": "manager2", "sales6": "manager2",
    }  # fmt: skip


def test_it_stores_customers_as_the_archive_services_would(db):
    run("demo")

    customer = Customer.objects.get(code="C000001")
    assert customer.search_key and customer.tier == ""
    assert not Project.objects.exclude(owner=F("customer__owner")).exists()
    assert not Customer.objects.filter(status="blacklisted", projects__isnull=False).exists()


def test_it_leaves_the_same_data_on_a_second_run(db):
    run("demo")
    before = snapshot()

    output = run("demo")

    assert "already loaded" in output
    assert snapshot() == before


def test_it_leaves_an_archive_with_real_customers_alone(db):
    CustomerFactory(code="C000001", name="中建三局集团有限公司")

    output = run("demo")

    assert Customer.objects.count() == 1
    assert "only loaded into an empty archive" in output


def test_it_refuses_demo_data_in_production(db, settings):
    settings.DEMO_LOGIN_ALLOWED = False

    with pytest.raises(CommandError, match="production"):
        run("demo")
    assert not User.objects.exists()


def test_it_refuses_synthetic_data_in_production(db, settings):
    settings.DEMO_LOGIN_ALLOWED = False

    with pytest.raises(CommandError, match="production"):
        run("synth", "--customers", "5")
    assert not User.objects.exists()


def test_it_adds_synthetic_data_next_to_the_demo_without_clashes(db):
    run("demo")
    demo = snapshot()

    # The demo's own seed would redraw the demo's names and credit codes if it could.
    output = run("synth", "--customers", "40", "--projects", "90", "--seed", "20260101")

    assert Customer.objects.count() == 340
    assert Project.objects.count() == 690
    assert Customer.objects.filter(code__startswith="S").count() == 40
    assert Project.objects.filter(code__startswith="SP").count() == 90
    names = list(Customer.objects.values_list("name", flat=True))
    assert len(set(names)) == len(names)
    credit_codes = list(Customer.objects.values_list("credit_code", flat=True))
    assert len(set(credit_codes)) == len(credit_codes)
    assert User.objects.count() == 13
    assert set(demo[0]) <= set(snapshot()[0])
    assert "Added 40 customers" in output


def test_it_continues_numbering_on_a_second_synth(db):
    run("synth", "--customers", "3", "--projects", "4")
    run("synth", "--customers", "3", "--projects", "4")

    assert sorted(Customer.objects.values_list("code", flat=True)) == [
        f"S{n:07d}" for n in range(1, 7)
    ]
    assert Project.objects.filter(code="SP0000008").exists()


def test_it_creates_the_demo_staff_for_synth_and_reuses_existing_users(db):
    User.objects.create(username="sales1", name="Existing Name")

    run(
        "synth",
        "--customers",
        "12",
        "--projects-per-customer",
        "2.5",
        "--contacts-per-customer",
        "2",
    )

    assert User.objects.get(username="sales1").name == "Existing Name"
    assert User.objects.filter(username="manager2", role_set__role="manager").exists()
    assert Customer.objects.count() == 12
    assert Project.objects.count() == 30
    assert Contact.objects.count() == 24
