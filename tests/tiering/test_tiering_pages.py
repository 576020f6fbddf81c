"""Tiering pages: the preview with its quotas, score parts and change markers; applying
through the confirmation step; the tier history; who may see and do what."""

import re

import pytest
from django.utils import timezone

from salesdesk.core.models import AuditEntry
from salesdesk.customers.models import Customer, CustomerTierChange
from tests.tiering.tiering_data import AS_OF, CHANGES, LOCK_REASON, PROPOSED, RANKED, make_ten

PREVIEW = f"/customers/tiering/?as_of={AS_OF}"
APPLY = "/customers/tiering/apply/"
HISTORY = "/customers/tiering/history/"
ROW = re.compile(r'<tr[^>]*data-customer="([^"]+)" data-proposed="([^"]*)" data-change="([^"]*)"')


@pytest.fixture
def ten(people):
    return make_ten(people.sales1)


def shown(response) -> list[tuple[str, str, str]]:
    """(code, proposed tier, change) of each customer row, in the order shown."""
    return ROW.findall(response.content.decode())


def row_html(response, code: str) -> str:
    content = response.content.decode()
    start = content.index(f'data-customer="{code}"')
    return content[start : content.index("</tr>", start)]


def cells(html: str) -> list[str]:
    """The text of each cell of a row, tags dropped and spaces squeezed."""
    return [
        " ".join(re.sub(r"<[^>]+>", " ", cell).split())
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)
    ]


# Preview ---------------------------------------------------------------------------------


def test_it_previews_every_active_customer_in_rank_order_with_its_proposed_tier(
    people, ten, page_for
):
    response = page_for(people.manager1).get(PREVIEW)

    assert response.status_code == 200
    assert response.templates[0].name == "tiering/preview.html"
    rows = shown(response)
    assert [code for code, _tier, _change in rows] == RANKED  # the dormant D01 is not tiered
    assert {code: tier for code, tier, _change in rows} == PROPOSED
    assert {code: change for code, _tier, change in rows if change} == CHANGES


def test_it_shows_the_parts_of_each_score(people, ten, page_for):
    response = page_for(people.manager1).get(PREVIEW)

    # rank, customer, business, rating, scale, invoiced, score, now, proposed, locked, action
    assert cells(row_html(response, "C02"))[:9] == [
        "2", "C02 建设有限公司 C02", "80", "75 B", "88.89", "900.00", "81.2", "Key",
        "Strategic ▲ up",
    ]  # fmt: skip
    # A missing business score counts 50 and is marked; an unrated customer gets 50.
    assert cells(row_html(response, "C03"))[2:9] == [
        "50 *", "100 A", "77.78", "800.00", "73.3", "Not tiered", "Key ✚ new",
    ]  # fmt: skip
    assert cells(row_html(response, "C05"))[3] == "50 —"
    assert cells(row_html(response, "C07"))[8] == "General ▼ down"
    # Nobody invoiced less than nothing: no scale points; the reversed invoice and the one
    # a year back do not count.
    assert cells(row_html(response, "C10"))[4:7] == ["0.00", "0.00", "11.5"]
    assert cells(row_html(response, "C09"))[4:7] == ["0.00", "0.00", "23.0"]


def test_it_shows_the_places_per_tier_and_the_locked_customer_with_its_reason(
    people, ten, page_for
):
    response = page_for(people.manager1).get(PREVIEW)
    content = response.content.decode()

    places = response.context["quota_rows"]
    assert [(q["tier"], q["places"], q["locked"], q["current"], q["proposed"]) for q in places] == [
        ("strategic", 2, 0, 2, 2),
        ("key", 3, 1, 3, 3),
        ("general", 5, 0, 3, 5),
    ]
    assert response.context["untiered"] == 2
    assert response.context["summary"].changes == {"up": 2, "down": 2, "new": 2, "total": 6}
    assert "10 active customers" in content
    assert LOCK_REASON in row_html(response, "C10")
    assert "🔒" in row_html(response, "C10")
    assert "Apply 6 changes" in content


def test_it_filters_the_preview_to_the_changes_and_pages_it(people, ten, page_for):
    client = page_for(people.manager1)

    changes = shown(client.get(PREVIEW + "&show=changes"))
    assert [code for code, *_ in changes] == ["C02", "C03", "C04", "C07", "C05", "C08"]
    assert [code for code, *_ in shown(client.get(PREVIEW + "&show=down"))] == ["C07", "C05"]
    assert [code for code, *_ in shown(client.get(PREVIEW + "&show=locked"))] == ["C10"]
    assert [code for code, *_ in shown(client.get(PREVIEW + "&tier=key"))] == [
        "C03", "C04", "C10"
    ]  # fmt: skip
    assert [code for code, *_ in shown(client.get(PREVIEW + "&q=c0"))] == RANKED[:9]
    page2 = client.get(PREVIEW + "&page_size=50&page=2")
    assert page2.context["page"].number == 1  # only one page: the last one is shown


def test_it_links_each_row_to_the_tier_page_for_a_manager_of_the_customer(people, ten, page_for):
    mine = page_for(people.manager1).get(PREVIEW)
    assert 'href="/customers/C10/tier/"' in row_html(mine, "C10")
    assert "Change lock" in row_html(mine, "C10")
    assert "Lock tier" in row_html(mine, "C01")

    # Manager two sees the company-wide ranking, but not these customers' pages.
    other = page_for(people.manager2).get(PREVIEW)
    assert [code for code, *_ in shown(other)] == RANKED
    assert "/customers/C10/" not in row_html(other, "C10")

    # Marketing reads the preview but neither applies nor locks.
    marketing = page_for(people.marketing).get(PREVIEW)
    assert marketing.status_code == 200
    assert "/tier/" not in marketing.content.decode()
    assert APPLY not in marketing.content.decode()


def test_it_defaults_the_date_to_today_and_survives_a_bad_one(people, ten, page_for):
    client = page_for(people.admin)
    today = client.get("/customers/tiering/")
    assert today.status_code == 200
    bad = client.get("/customers/tiering/?as_of=2026-02-30&show=nonsense&page=x")
    assert bad.status_code == 200
    assert bad.context["as_of"] == today.context["as_of"]


def test_it_previews_an_empty_company(people, page_for):
    response = page_for(people.manager1).get("/customers/tiering/")
    assert response.status_code == 200
    assert "There are no active customers to tier." in response.content.decode()


@pytest.mark.parametrize("persona", ["sales1", "finance", "supply", "legal", "nobody"])
def test_it_keeps_the_tiering_pages_from_other_roles(people, persona, page_for):
    client = page_for(getattr(people, persona))
    for url in (PREVIEW, f"{APPLY}?as_of={AS_OF}", HISTORY):
        assert client.get(url).status_code == 403, url
    assert client.post(APPLY, {"as_of": AS_OF, "digest": "x"}).status_code == 403


def test_it_sends_a_visitor_to_the_login_page(client):
    for url in (PREVIEW, APPLY, HISTORY):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/login/")


# Apply -----------------------------------------------------------------------------------


def test_it_shows_the_number_of_changes_before_applying(people, ten, page_for):
    response = page_for(people.manager1).get(f"{APPLY}?as_of={AS_OF}")

    assert response.status_code == 200
    content = response.content.decode()
    assert "6 customers will change tier" in content
    assert response.context["summary"].changes == {"up": 2, "down": 2, "new": 2, "total": 6}
    assert f'name="digest" value="{response.context["summary"].digest}"' in content
    assert not CustomerTierChange.objects.exists()  # nothing written yet


def test_it_applies_the_preview_keeping_history_and_audit(people, ten, page_for):
    client = page_for(people.manager1)
    digest = client.get(f"{APPLY}?as_of={AS_OF}").context["summary"].digest

    response = client.post(APPLY, {"as_of": AS_OF.isoformat(), "digest": digest}, follow=True)

    assert response.redirect_chain[-1][0] == f"{HISTORY}?effective={AS_OF}"
    assert "applied: 6 customers changed tier" in response.content.decode()
    assert dict(Customer.objects.filter(status="active").values_list("code", "tier")) == PROPOSED
    history = CustomerTierChange.objects.filter(effective_on=AS_OF, changed_by=people.manager1)
    assert {c.customer.code: (c.from_tier, c.to_tier) for c in history} == {
        "C02": ("key", "strategic"), "C03": ("", "key"), "C04": ("general", "key"),
        "C05": ("key", "general"), "C07": ("strategic", "general"), "C08": ("", "general"),
    }  # fmt: skip
    audit = AuditEntry.objects.filter(action="set_tier", actor=people.manager1)
    assert audit.count() == 6
    assert audit.get(object_id=str(ten["C02"].pk)).changes == {
        "tier": ["key", "strategic"], "score": [None, "81.2"],
    }  # fmt: skip
    # The history page lists them, and the lock of C10 is untouched.
    assert len(response.context["page"].items) == 6
    assert Customer.objects.get(code="C10").tier_locked

    again = client.get(f"{APPLY}?as_of={AS_OF}")
    assert "nothing to apply" in again.content.decode()


def test_it_refuses_to_apply_a_proposal_that_changed_since_the_confirmation(people, ten, page_for):
    client = page_for(people.manager1)
    digest = client.get(f"{APPLY}?as_of={AS_OF}").context["summary"].digest
    Customer.objects.filter(code="C02").update(tier_locked=True, tier_lock_reason="谈判中")

    response = client.post(APPLY, {"as_of": AS_OF.isoformat(), "digest": digest})

    assert response.status_code == 200
    assert "have changed since the preview" in response.content.decode()
    assert not CustomerTierChange.objects.exists()
    assert response.context["summary"].changes["total"] == 5  # the new count, to confirm


def test_it_refuses_to_apply_as_of_a_future_date(people, ten, page_for):
    client = page_for(people.manager1)
    confirm = client.get(f"{APPLY}?as_of=2199-01-01")
    assert "cannot be applied as of a future date" in confirm.content.decode()
    assert 'name="digest"' not in confirm.content.decode()
    digest = confirm.context["summary"].digest
    response = client.post(APPLY, {"as_of": "2199-01-01", "digest": digest})
    assert "cannot be applied as of a future date" in response.content.decode()
    assert not CustomerTierChange.objects.exists()


def test_it_lets_an_administrator_apply_but_not_marketing(people, ten, page_for):
    assert page_for(people.marketing).get(f"{APPLY}?as_of={AS_OF}").status_code == 403
    admin = page_for(people.admin)
    digest = admin.get(f"{APPLY}?as_of={AS_OF}").context["summary"].digest
    response = admin.post(APPLY, {"as_of": AS_OF.isoformat(), "digest": digest})
    assert response.status_code == 302
    assert CustomerTierChange.objects.filter(changed_by=people.admin).count() == 6


# History ---------------------------------------------------------------------------------


@pytest.fixture
def history(people, ten, page_for):
    from salesdesk.customers.services import customer_set_tier
    from salesdesk.tiering.services import tiering_apply

    tiering_apply(actor=people.manager1, as_of=AS_OF)
    customer_set_tier(
        actor=people.admin, customer=Customer.objects.get(code="C05"), tier="key",
        locked=True, reason="战略合作",
    )  # fmt: skip


def history_rows(response) -> list[str]:
    return [change.customer.code for change, _visible in response.context["rows"]]


def test_it_lists_the_tier_history_newest_first_with_who_when_and_why(people, history, page_for):
    response = page_for(people.marketing).get(HISTORY)

    assert response.status_code == 200
    rows = history_rows(response)
    assert rows[0] == "C05" and sorted(rows[1:]) == sorted(CHANGES)
    first = cells(re.findall(r"<tr>\s*<td.*?</tr>", response.content.decode(), re.S)[0])
    today = timezone.localdate().isoformat()
    assert first[1:] == [today, "C05 建设有限公司 C05", "General", "Key", "🔒", "Admin", "战略合作"]
    applied = [change for change, _visible in response.context["rows"]][1]
    assert (applied.effective_on, applied.changed_by, applied.locked) == (
        AS_OF,
        people.manager1,
        False,
    )


def test_it_filters_the_tier_history(people, history, page_for):
    client = page_for(people.manager1)
    assert history_rows(client.get(HISTORY + "?q=C02")) == ["C02"]
    assert history_rows(client.get(HISTORY + "?q=建设&locked=yes")) == ["C05"]
    assert sorted(history_rows(client.get(HISTORY + "?to_tier=key"))) == ["C03", "C04", "C05"]
    assert history_rows(client.get(HISTORY + "?by=admin")) == ["C05"]
    assert history_rows(client.get(HISTORY + "?by=-")) == []
    assert len(history_rows(client.get(HISTORY + f"?since={AS_OF}&until={AS_OF}"))) == 6
    assert history_rows(client.get(HISTORY + "?until=2000-01-01")) == []
    assert client.get(HISTORY + "?since=not-a-date").status_code == 200
