"""The customer and project pages show the panels other apps register (customers/panels.py):
in their slots, in panel order, each rendered with its own context."""

import pytest
from django.template import Context, Engine

from salesdesk.customers import panels
from salesdesk.customers.panels import Fragment, panels_for, register_panel


@pytest.fixture
def registry(monkeypatch):
    """An empty registry for the test; the apps' own panels come back afterwards."""
    monkeypatch.setattr(panels, "_PANELS", {page: {} for page in panels.PAGES})


def test_it_refuses_a_page_it_does_not_have(registry):
    with pytest.raises(ValueError, match="unknown page 'invoice'"):
        register_panel("invoice", "x", lambda request, obj: [], order=1)


def test_it_gathers_fragments_by_slot_in_panel_order(registry, rf):
    register_panel("project", "late", lambda r, o: [Fragment("sections", "b.html")], order=20)
    register_panel(
        "project",
        "early",
        lambda r, o: [Fragment("alerts", "x.html"), Fragment("sections", "a.html")],
        order=10,
    )
    slots = panels_for("project", rf.get("/"), object())
    assert [f.template for f in slots["sections"]] == ["a.html", "b.html"]
    assert [f.template for f in slots["alerts"]] == ["x.html"]


def test_the_same_name_again_replaces_the_panel(registry, rf):
    register_panel("customer", "one", lambda r, o: [Fragment("facts", "old.html")], order=1)
    register_panel("customer", "one", lambda r, o: [Fragment("facts", "new.html")], order=1)
    assert [f.template for f in panels_for("customer", rf.get("/"), None)["facts"]] == ["new.html"]


def test_the_tag_renders_each_fragment_with_its_own_context_on_top_of_the_page():
    engine = Engine(
        loaders=[("django.template.loaders.locmem.Loader", {"probe.html": "{{ who }};"})],
        libraries={"panels": "salesdesk.customers.templatetags.panels"},
    )
    page = engine.from_string('{% load panels %}[{% panels "s" %}][{% panels "none" %}]{{ who }}')
    fragments = {
        "s": [
            Fragment("s", "probe.html", {"who": "first"}),
            Fragment("s", "probe.html", {}),
        ]
    }
    html = page.render(Context({"panels": fragments, "who": "page"}))
    assert html == "[first;page;][]page"


def test_the_apps_register_their_panels_at_start_up():
    registered = {page: set(entries) for page, entries in panels._PANELS.items()}
    assert registered == {
        "customer": {"collections", "ledger", "visits"},
        "project": {"collections", "ledger"},
    }


def test_the_customer_page_shows_the_panels_where_they_were(people, page_for):
    from tests.factories import CustomerFactory

    customer = CustomerFactory(owner=people.sales1)
    html = page_for(people.sales1).get(f"/customers/{customer.code}/").content.decode()
    # First order among the facts, before the credit rating; visits after the projects.
    assert html.index("First order") < html.index("Credit rating")
    assert html.index('id="projects"') < html.index('id="visits"') < html.index("Owner history")
