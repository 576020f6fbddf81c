"""Letters, holds, legal recovery and the cycle over HTTP: the lists and who may act.

A letter sent by hand, a hold override and a project sent to legal happen today, so the
books here are dated from today: I1 on P1 (1000.00) and I3 on P3 (400.00) are due 100
days ago, I2 on P2 (500.00) is not due yet. `held` runs the cycle 60, 45 and 30 days
ago (letters 1, 2, 3) and 15 days ago (C1 and C3 go on supply hold).
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from salesdesk.collections.cycle import cycle_run
from salesdesk.collections.models import DunningLetter, HoldOverride, LegalCase, SupplyHold
from salesdesk.customers.models import Project
from salesdesk.ledger import services as ledger
from salesdesk.ledger.models import Invoice
from tests.collections.builders import get, make_book, post, sign
from tests.factories import PlantFactory, ProductFactory
from tests.ledger.builders import post_invoice, post_payment

D = dt.date
DAY = dt.timedelta(days=1)

SUPERVISORS = ["manager1", "admin"]
NOT_SUPERVISORS = ["sales1", "finance", "marketing", "supply", "legal"]


@pytest.fixture
def today():
    return dt.date.today()


@pytest.fixture
def overdue(people, today):
    book = make_book(people)
    book.plant = PlantFactory(code="PL01")
    ProductFactory()  # C30, the product the tests deliver
    post_invoice(book.p1, "I1", today - 130 * DAY, "1000.00")
    post_invoice(book.p2, "I2", today, "500.00")
    post_invoice(book.p3, "I3", today - 130 * DAY, "400.00")
    return book


@pytest.fixture
def held(overdue, today):
    for days in (60, 45, 30, 15):
        cycle_run(as_of=today - days * DAY)
    return overdue


def iso(day: dt.date) -> str:
    return day.isoformat()


# Letters: list and detail -------------------------------------------------------------


def test_it_lists_letters_newest_first_with_their_figures(people, held, today, api_for):
    body = get(api_for(people.finance), "letters?project=P1").json()

    assert body["count"] == 3
    assert [(x["number"], x["issued_on"]) for x in body["items"]] == [
        (3, iso(today - 30 * DAY)),
        (2, iso(today - 45 * DAY)),
        (1, iso(today - 60 * DAY)),
    ]
    first = body["items"][2]
    assert first["project"] == "P1"
    assert first["customer"] == "C1"
    assert first["customer_name"] == held.c1.name
    assert first["sequence"] == 1
    assert first["amount"] == "1000.00"
    assert first["issued_by"] is None


def test_it_filters_letters_by_customer_and_dates(people, held, today, api_for):
    api = api_for(people.legal)

    def letters(query):
        return [(x["project"], x["number"]) for x in get(api, f"letters?{query}").json()["items"]]

    assert letters("customer=C3") == [("P3", 3), ("P3", 2), ("P3", 1)]
    since = iso(today - 45 * DAY)
    until = iso(today - 31 * DAY)
    assert sorted(letters(f"date_from={since}&date_to={until}")) == [("P1", 2), ("P3", 2)]
    assert letters("project=NOPE") == []


@pytest.mark.parametrize(
    ("persona", "projects"),
    [
        ("sales1", {"P1"}),
        ("sales2", set()),
        ("manager1", {"P1"}),
        ("sales3", {"P3"}),
        ("manager2", {"P3"}),
        ("finance", {"P1", "P3"}),
        ("legal", {"P1", "P3"}),
        ("nobody", set()),
    ],
)
def test_it_lists_only_the_letters_the_caller_may_see(persona, projects, people, held, api_for):
    body = get(api_for(getattr(people, persona)), "letters").json()

    assert {item["project"] for item in body["items"]} == projects
    assert body["count"] == 3 * len(projects)


def test_it_shows_one_letter_and_hides_it_from_other_teams(people, held, api_for):
    letter = DunningLetter.objects.get(project=held.p1, number=2)

    shown = get(api_for(people.sales1), f"letters/{letter.pk}")
    assert shown.status_code == 200
    assert shown.json()["number"] == 2
    assert shown.json()["id"] == letter.pk
    for persona in ("sales2", "sales3", "manager2", "nobody"):
        assert get(api_for(getattr(people, persona)), f"letters/{letter.pk}").status_code == 404
    assert get(api_for(people.admin), "letters/999999").status_code == 404


# Letters sent by hand -----------------------------------------------------------------


@pytest.mark.parametrize("persona", SUPERVISORS)
def test_it_sends_the_first_letter_by_hand(persona, people, overdue, today, api_for):
    response = post(api_for(getattr(people, persona)), "projects/P1/letters")

    assert response.status_code == 201
    body = response.json()
    assert (body["project"], body["sequence"], body["number"]) == ("P1", 1, 1)
    assert body["issued_on"] == iso(today)
    assert body["amount"] == "1000.00"
    assert body["issued_by"] == persona
    assert DunningLetter.objects.filter(project=overdue.p1).count() == 1


def test_it_counts_a_letter_by_hand_in_the_cycles_sequence(people, overdue, today, api_for):
    cycle_run(as_of=today - 20 * DAY)  # letter 1 (I1 is 110 days past due)
    cycle_run(as_of=today - 6 * DAY)  # every day to today - 6: no letter yet

    body = post(api_for(people.manager1), "projects/P1/letters").json()

    # The cycle missed the days up to yesterday: the letter first runs them, and the
    # cycle's letter 2 of today - 5 comes before it.
    assert (body["sequence"], body["number"]) == (1, 3)
    assert list(DunningLetter.objects.filter(project=overdue.p1).values_list(
        "number", "issued_on")) == [(3, today), (2, today - 5 * DAY), (1, today - 20 * DAY)]  # fmt: skip
    cycle_run(as_of=today)  # already written to today: no fourth letter, no hold yet
    assert DunningLetter.objects.filter(project=overdue.p1).count() == 3
    assert not SupplyHold.objects.filter(customer=overdue.c1).exists()


def test_it_answers_422_to_a_second_letter_the_same_day(people, overdue, api_for):
    api = api_for(people.manager1)
    assert post(api, "projects/P1/letters").status_code == 201

    response = post(api, "projects/P1/letters")

    assert response.status_code == 422
    assert response.json()["detail"][0]["message"] == "This project already had a letter today."
    assert DunningLetter.objects.filter(project=overdue.p1).count() == 1


def test_it_answers_422_when_nothing_is_overdue(people, overdue, api_for):
    response = post(api_for(people.manager1), "projects/P2/letters")

    assert response.status_code == 422
    assert response.json()["detail"][0]["message"] == "Nothing of this project is overdue."
    assert not DunningLetter.objects.exists()


def test_it_answers_422_after_the_last_letter_of_the_sequence(people, held, api_for):
    response = post(api_for(people.admin), "projects/P1/letters")

    assert response.status_code == 422
    assert "supply hold comes next" in response.json()["detail"][0]["message"]
    assert DunningLetter.objects.filter(project=held.p1).count() == 3


def test_it_answers_422_to_a_letter_for_a_project_in_legal_recovery(people, overdue, api_for):
    Project.objects.filter(pk=overdue.p1.pk).update(status="legal")

    response = post(api_for(people.manager1), "projects/P1/letters")

    assert response.status_code == 422
    assert not DunningLetter.objects.exists()


@pytest.mark.parametrize("persona", NOT_SUPERVISORS)
def test_it_refuses_a_letter_by_hand_from_anyone_but_a_manager(persona, people, overdue, api_for):
    response = post(api_for(getattr(people, persona)), "projects/P1/letters")

    assert response.status_code == 403
    assert not DunningLetter.objects.exists()


@pytest.mark.parametrize(
    ("persona", "project"),
    [("manager2", "P1"), ("manager1", "P3"), ("sales3", "P1"), ("nobody", "P1"), ("admin", "NOPE")],
)
def test_it_answers_404_to_a_letter_for_a_project_the_caller_may_not_see(
    persona, project, people, overdue, api_for
):
    response = post(api_for(getattr(people, persona)), f"projects/{project}/letters")

    assert response.status_code == 404
    assert not DunningLetter.objects.exists()


# Holds --------------------------------------------------------------------------------


def holds(api, query=""):
    return get(api, f"holds?{query}").json()


def test_it_lists_holds_with_their_trigger_and_no_release_while_active(
    people, held, today, api_for
):
    body = holds(api_for(people.finance), "customer=C1")

    assert body["count"] == 1
    assert body["items"] == [
        {
            "id": SupplyHold.objects.get(customer=held.c1).pk,
            "customer": "C1",
            "customer_name": held.c1.name,
            "since": iso(today - 15 * DAY),
            "released_on": None,
            "active": True,
            "reason": f"letter 3 of project P1 issued {iso(today - 30 * DAY)}; "
            f"still overdue 1000.00 on {iso(today - 15 * DAY)}",
            "project": "P1",
            "overrides": [],
        }
    ]


def test_it_shows_a_hold_released_on_the_payment_day(people, held, today, api_for):
    post_payment(held.p1, "R1", today - 5 * DAY, "1000.00")
    api = api_for(people.supply)

    c1 = holds(api, "customer=C1")["items"][0]
    assert (c1["released_on"], c1["active"]) == (iso(today - 5 * DAY), False)
    assert [x["customer"] for x in holds(api, "active=true")["items"]] == ["C3"]
    assert [x["customer"] for x in holds(api, "active=false")["items"]] == ["C1"]


def test_it_shows_a_release_the_ledger_made_before_anything_recorded_it(
    people, held, today, api_for
):
    i3 = Invoice.objects.get(number="I3")
    ledger.record_reverse(actor=None, record=i3, date=today - 2 * DAY, reason="billed twice")
    assert SupplyHold.objects.get(customer=held.c3).released_on is None
    api = api_for(people.finance)

    c3 = holds(api, "customer=C3")["items"][0]

    assert (c3["released_on"], c3["active"]) == (iso(today - 2 * DAY), False)
    assert [x["customer"] for x in holds(api, "active=true")["items"]] == ["C1"]
    assert [x["customer"] for x in holds(api, "active=false")["items"]] == ["C3"]


@pytest.mark.parametrize(
    ("persona", "customers"),
    [
        ("sales1", ["C1"]),
        ("sales2", []),
        ("manager1", ["C1"]),
        ("sales3", ["C3"]),
        ("manager2", ["C3"]),
        ("finance", ["C3", "C1"]),
        ("nobody", []),
    ],
)
def test_it_lists_only_the_holds_the_caller_may_see(persona, customers, people, held, api_for):
    body = holds(api_for(getattr(people, persona)))

    assert [item["customer"] for item in body["items"]] == customers


def test_it_answers_422_for_a_bad_active_filter(people, held, api_for):
    assert get(api_for(people.finance), "holds?active=maybe").status_code == 422


# Hold overrides -----------------------------------------------------------------------


def deliver(book, people, ticket, day):
    return ledger.delivery_post(
        actor=people.supply, ticket=ticket, project=book.p1, plant=book.plant, date=day,
        product="C30", quantity="10", unit_price="400.00",
    )[0]  # fmt: skip


@pytest.mark.parametrize("persona", SUPERVISORS)
def test_it_grants_an_override_that_lets_one_delivery_through(
    persona, people, held, today, api_for
):
    response = post(
        api_for(getattr(people, persona)), "projects/P1/hold-overrides", {"reason": "  pour today "}
    )

    assert response.status_code == 201
    body = response.json()
    hold = SupplyHold.objects.get(customer=held.c1)
    assert body["hold"] == hold.pk
    assert (body["customer"], body["project"], body["granted_by"]) == ("C1", "P1", persona)
    assert body["reason"] == "pour today"
    assert body["delivery"] is None

    deliver(held, people, "T1", today)
    with pytest.raises(ValidationError):
        deliver(held, people, "T2", today)
    listed = holds(api_for(people.finance), "customer=C1")["items"][0]["overrides"]
    assert [(o["project"], o["granted_by"], o["delivery"]) for o in listed] == [
        ("P1", persona, "T1")
    ]


def test_it_answers_422_to_an_override_for_a_customer_not_on_hold(people, held, api_for):
    response = post(api_for(people.manager1), "projects/P2/hold-overrides", {"reason": "x"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["message"] == "The customer is not on supply hold."
    assert not HoldOverride.objects.exists()


def test_it_answers_422_to_an_override_once_the_hold_is_released(people, held, today, api_for):
    post_payment(held.p1, "R1", today, "1000.00")

    response = post(api_for(people.manager1), "projects/P1/hold-overrides", {"reason": "x"})

    assert response.status_code == 422


@pytest.mark.parametrize("body", [{"reason": "   "}, {}])
def test_it_answers_422_to_an_override_without_a_reason(body, people, held, api_for):
    response = post(api_for(people.manager1), "projects/P1/hold-overrides", body)

    assert response.status_code == 422
    assert not HoldOverride.objects.exists()


@pytest.mark.parametrize("persona", NOT_SUPERVISORS)
def test_it_refuses_an_override_from_anyone_but_a_supervisor(persona, people, held, api_for):
    response = post(
        api_for(getattr(people, persona)), "projects/P1/hold-overrides", {"reason": "x"}
    )

    assert response.status_code == 403
    assert not HoldOverride.objects.exists()


@pytest.mark.parametrize(
    ("persona", "project"), [("manager2", "P1"), ("manager1", "P3"), ("sales3", "P1"), ("admin", "NOPE")]
)  # fmt: skip
def test_it_answers_404_to_an_override_for_a_project_the_caller_may_not_see(
    persona, project, people, held, api_for
):
    response = post(
        api_for(getattr(people, persona)), f"projects/{project}/hold-overrides", {"reason": "x"}
    )

    assert response.status_code == 404
    assert not HoldOverride.objects.exists()


# Legal recovery -----------------------------------------------------------------------


@pytest.mark.parametrize("persona", SUPERVISORS)
def test_it_sends_a_project_to_legal_recovery(persona, people, overdue, today, api_for):
    response = post(api_for(getattr(people, persona)), "projects/P1/legal", {"note": "no answer"})

    assert response.status_code == 201
    assert response.json() == {
        "id": LegalCase.objects.get(project=overdue.p1).pk,
        "project": "P1",
        "customer": "C1",
        "opened_on": iso(today),
        "reason": "manager",
        "note": "no answer",
        "overdue": "1000.00",
        "opened_by": persona,
        "previous_status": "active",
    }
    overdue.p1.refresh_from_db()
    assert overdue.p1.status == "legal"
    # No more letters for it.
    assert post(api_for(people.manager1), "projects/P1/letters").status_code == 422


def test_it_answers_422_to_sending_a_project_to_legal_twice(people, overdue, api_for):
    api = api_for(people.manager1)
    assert post(api, "projects/P1/legal", {"note": "first"}).status_code == 201

    response = post(api, "projects/P1/legal", {"note": "again"})

    assert response.status_code == 422
    assert LegalCase.objects.count() == 1


@pytest.mark.parametrize("body", [{"note": " "}, {}])
def test_it_answers_422_to_legal_recovery_without_a_note(body, people, overdue, api_for):
    response = post(api_for(people.manager1), "projects/P1/legal", body)

    assert response.status_code == 422
    assert not LegalCase.objects.exists()
    overdue.p1.refresh_from_db()
    assert overdue.p1.status == "active"


@pytest.mark.parametrize("persona", NOT_SUPERVISORS)
def test_it_refuses_legal_recovery_from_anyone_but_a_manager(persona, people, overdue, api_for):
    response = post(api_for(getattr(people, persona)), "projects/P1/legal", {"note": "x"})

    assert response.status_code == 403
    assert not LegalCase.objects.exists()


@pytest.mark.parametrize(
    ("persona", "project"), [("manager2", "P1"), ("manager1", "P3"), ("sales3", "P1"), ("admin", "NOPE")]
)  # fmt: skip
def test_it_answers_404_to_legal_recovery_of_a_project_the_caller_may_not_see(
    persona, project, people, overdue, api_for
):
    response = post(api_for(getattr(people, persona)), f"projects/{project}/legal", {"note": "x"})

    assert response.status_code == 404
    assert not LegalCase.objects.exists()


@pytest.fixture
def cases(people):
    """P3 goes to legal recovery by the cycle of 2026-07-31 (I3, due 01-31, is then 181
    days past due); P1 is not overdue long enough for that."""
    book = make_book(people)
    post_invoice(book.p1, "I1", D(2026, 6, 1), "1000.00")
    post_invoice(book.p3, "I3", D(2026, 1, 1), "250.00")
    cycle_run(as_of=D(2026, 7, 31))
    return book


def test_it_lists_legal_cases_opened_by_the_cycle_and_by_managers(people, cases, api_for):
    assert post(api_for(people.manager1), "projects/P1/legal", {"note": "x"}).status_code == 201
    api = api_for(people.legal)

    body = get(api, "legal-cases").json()

    assert body["count"] == 2
    by_project = {item["project"]: item for item in body["items"]}
    assert by_project["P3"]["reason"] == "overdue"
    assert by_project["P3"]["opened_by"] is None
    assert by_project["P3"]["opened_on"] == "2026-07-31"
    assert by_project["P3"]["overdue"] == "250.00"
    assert by_project["P1"]["reason"] == "manager"
    reasons = [x["project"] for x in get(api, "legal-cases?reason=manager").json()["items"]]
    assert reasons == ["P1"]
    assert [x["project"] for x in get(api, "legal-cases?customer=C3").json()["items"]] == ["P3"]


@pytest.mark.parametrize(
    ("persona", "projects"),
    [
        ("sales1", ["P1"]),
        ("sales2", []),
        ("manager1", ["P1"]),
        ("sales3", ["P3"]),
        ("manager2", ["P3"]),
        ("finance", ["P1", "P3"]),
        ("legal", ["P1", "P3"]),
        ("nobody", []),
    ],
)
def test_it_lists_only_the_legal_cases_the_caller_may_see(
    persona, projects, people, cases, api_for
):
    post(api_for(people.admin), "projects/P1/legal", {"note": "x"})

    body = get(api_for(getattr(people, persona)), "legal-cases").json()

    assert sorted(item["project"] for item in body["items"]) == projects


# The cycle ----------------------------------------------------------------------------


@pytest.fixture
def january(people):
    book = make_book(people)
    post_invoice(book.p1, "I1", D(2026, 1, 1), "1000.00")
    post_invoice(book.p3, "I3", D(2026, 1, 1), "400.00")
    return book


def run(api, body):
    return post(api, "cycle", body)


def test_it_runs_the_cycle_for_a_day_and_reports_what_it_did(people, january, api_for):
    response = run(api_for(people.admin), {"as_of": "2026-03-03"})

    assert response.status_code == 200
    assert response.json() == {
        "as_of": "2026-03-03",
        "dry_run": False,
        "changed": True,
        "lines": [
            "cycle 2026-03-03",
            "letter 1: project P1, overdue 1000.00",
            "letter 1: project P3, overdue 400.00",
            "tasks drafted for 2026-03: 2, target 1400.00",
        ],
        "counts": {
            "holds_released": 0,
            "letters": 2,
            "holds_placed": 0,
            "legal_opened": 0,
            "tasks_drafted": 2,
            "tasks_lapsed": 0,
            "tasks_assessed": 0,
        },
    }
    assert DunningLetter.objects.count() == 2


def test_it_changes_nothing_on_a_second_run_for_the_day(people, january, api_for):
    api = api_for(people.admin)
    run(api, {"as_of": "2026-03-03"})

    body = run(api, {"as_of": "2026-03-03"}).json()

    assert body["changed"] is False
    assert body["lines"] == ["cycle 2026-03-03", "nothing to do"]
    assert set(body["counts"].values()) == {0}
    assert DunningLetter.objects.count() == 2


def test_it_writes_nothing_on_a_dry_run(people, january, api_for):
    body = run(api_for(people.admin), {"as_of": "2026-04-02", "dry_run": True}).json()

    assert body["dry_run"] is True
    assert body["lines"][0] == "cycle 2026-04-02 (dry run: nothing written)"
    assert body["counts"]["letters"] == 2
    assert not DunningLetter.objects.exists()


def test_it_counts_the_tasks_assessed_and_the_holds_placed(people, january, api_for):
    api = api_for(people.admin)
    run(api, {"as_of": "2026-03-03"})
    for persona, as_role in ((people.marketing, "marketing"), (people.finance, "finance")):
        sign(api_for(persona), as_role, month="2026-03")
    run(api, {"as_of": "2026-03-18"})  # every day from 03-04: letters 2 on 03-18

    # Every day from 03-19: letters 3 on 04-02, April drafted on 03-25 (unsigned), March
    # assessed on 04-01.
    april = run(api, {"as_of": "2026-04-02"}).json()
    hold = run(api, {"as_of": "2026-04-17"}).json()

    assert april["counts"] == {
        "holds_released": 0,
        "letters": 2,
        "holds_placed": 0,
        "legal_opened": 0,
        "tasks_drafted": 2,
        "tasks_lapsed": 0,
        "tasks_assessed": 2,
    }
    assert "tasks assessed for 2026-03: 2" in april["lines"]
    assert hold["counts"]["holds_placed"] == 2
    assert sorted(line for line in hold["lines"] if line.startswith("hold")) == [
        "hold placed: customer C1 (project P1)",
        "hold placed: customer C3 (project P3)",
    ]
    assert SupplyHold.objects.count() == 2


@pytest.mark.parametrize(
    "persona", ["finance", "manager1", "sales1", "marketing", "supply", "legal", "nobody"]
)
def test_it_refuses_the_cycle_to_anyone_but_an_administrator(persona, people, january, api_for):
    response = run(api_for(getattr(people, persona)), {"as_of": "2026-03-03"})

    assert response.status_code == 403
    assert not DunningLetter.objects.exists()


def test_it_answers_422_to_a_cycle_for_a_bad_date(people, january, api_for):
    assert run(api_for(people.admin), {"as_of": "2026-02-30"}).status_code == 422
