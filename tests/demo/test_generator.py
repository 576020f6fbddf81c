"""The generator on its own: deterministic, valid and plausible, without a database."""

import datetime as dt
import random
from collections import Counter

from salesdesk.customers.choices import BuyingRole, CustomerStatus, ProjectStatus
from salesdesk.demo.generator import (
    DEMO_CUSTOMERS,
    DEMO_PROJECTS,
    SALESPEOPLE,
    Numbering,
    demo_customers,
    generate,
)
from salesdesk.lib import uscc

AS_OF = dt.date(2026, 6, 30)


def small(seed=7, **kwargs):
    return list(generate(seed=seed, as_of=AS_OF, customers=60, projects=130, **kwargs))


def test_it_gives_the_same_data_for_the_same_seed():
    assert small(seed=7) == small(seed=7)


def test_it_gives_other_data_for_another_seed():
    assert [c.name for c in small(seed=7)] != [c.name for c in small(seed=8)]


def test_it_does_not_depend_on_the_global_random_state():
    random.seed(1)
    first = small()
    random.seed(2)
    assert small() == first


def test_it_makes_the_demo_set_with_its_sizes_and_codes():
    customers = list(demo_customers(AS_OF))
    projects = [p for c in customers for p in c.projects]
    assert len(customers) == DEMO_CUSTOMERS == 300
    assert len(projects) == DEMO_PROJECTS == 600
    assert [c.code for c in customers[:2]] == ["C000001", "C000002"]
    assert sorted(p.code for p in projects) == [f"P{n:06d}" for n in range(1, 601)]


def test_it_makes_valid_unique_credit_codes():
    codes = [c.credit_code for c in demo_customers(AS_OF)]
    assert all(uscc.validate(code) == code for code in codes)
    assert len(set(codes)) == len(codes)


def test_it_makes_unique_company_names_with_a_legal_form():
    names = [c.name for c in demo_customers(AS_OF)]
    assert len(set(names)) == len(names)
    assert all(name.endswith("公司") for name in names)


def test_it_covers_every_buying_role():
    roles = {contact.role for c in demo_customers(AS_OF) for contact in c.contacts}
    assert roles == set(BuyingRole.values)


def test_it_gives_most_but_not_all_customers_a_decision_maker():
    customers = list(demo_customers(AS_OF))
    with_decider = [
        c
        for c in customers
        if any(x.role == BuyingRole.DECISION_MAKER or x.decision_authority for x in c.contacts)
    ]
    assert len(customers) * 0.6 < len(with_decider) < len(customers)


def test_it_gives_each_customer_two_to_five_contacts_with_distinct_names():
    for customer in demo_customers(AS_OF):
        names = [contact.name for contact in customer.contacts]
        assert 2 <= len(names) <= 5
        assert len(set(names)) == len(names)
        assert all(len(contact.phone) == 11 for contact in customer.contacts)


def test_it_mixes_statuses_mostly_active_with_a_couple_blacklisted():
    statuses = Counter(c.status for c in demo_customers(AS_OF))
    assert statuses[CustomerStatus.ACTIVE] > 200
    assert statuses[CustomerStatus.PROSPECT] > 0
    assert statuses[CustomerStatus.DORMANT] > 0
    assert 1 <= statuses[CustomerStatus.BLACKLISTED] <= 5


def test_it_gives_projects_mostly_to_active_customers_and_none_to_blacklisted():
    projects_by_status = Counter()
    for customer in demo_customers(AS_OF):
        projects_by_status[customer.status] += len(customer.projects)
    assert projects_by_status[CustomerStatus.BLACKLISTED] == 0
    assert projects_by_status[CustomerStatus.ACTIVE] > 0.8 * DEMO_PROJECTS


def test_it_keeps_project_dates_within_three_years_and_in_order():
    projects = [p for c in demo_customers(AS_OF) for p in c.projects]
    assert {p.status for p in projects} == {ProjectStatus.ACTIVE, ProjectStatus.COMPLETED}
    for project in projects:
        assert AS_OF - dt.timedelta(days=3 * 365) <= project.started_on <= AS_OF
        if project.status == ProjectStatus.COMPLETED:
            assert project.started_on <= project.completed_on <= AS_OF
        else:
            assert project.completed_on is None
        assert project.payment_terms_days in (30, 60, 90)
        assert project.credit_limit > 0


def test_it_spreads_customers_unevenly_over_the_six_salespeople():
    owners = Counter(c.owner for c in demo_customers(AS_OF))
    assert set(owners) == set(SALESPEOPLE)
    assert max(owners.values()) > 1.5 * min(owners.values())


def test_it_makes_exactly_the_projects_asked_for():
    customers = small()
    assert sum(len(c.projects) for c in customers) == 130


def test_it_numbers_codes_as_told():
    customers = small(
        customer_numbering=Numbering("S", first=41, width=7),
        project_numbering=Numbering("SP", first=5, width=7),
    )
    assert customers[0].code == "S0000041"
    assert sorted(p.code for c in customers for p in c.projects)[0] == "SP0000005"


def test_it_avoids_names_and_credit_codes_already_taken():
    first = small()
    second = small(
        taken_names=[c.name for c in first], taken_credit_codes=[c.credit_code for c in first]
    )
    assert not {c.name for c in first} & {c.name for c in second}
    assert not {c.credit_code for c in first} & {c.credit_code for c in second}


def test_it_gives_each_customer_the_number_of_contacts_asked_for():
    assert {len(c.contacts) for c in small(contacts_per_customer=3)} == {3}
