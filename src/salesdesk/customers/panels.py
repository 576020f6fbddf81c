"""Panels on the customer and project pages from the apps above customers.

The ledger, collections and visits show their part of a customer's or a project's page
(the receivables, the hold banner, the visits, ...) without customers importing them:
each registers a panel at start-up (AppConfig.ready), a function in its own views that
answers the fragments it adds to the page, each in a slot of the page's template.

    register_panel("project", "ledger", ledger_views.project_panel, order=20)

A panel is `panel(request, obj) -> list[Fragment]`; a fragment names its slot, the
template that renders it and that template's context (on top of the page's). The page
renders a slot with `{% panels "slot" %}` (customers/templatetags/panels.py), fragments in
the order of their panels. Slots: the customer page has "alerts" (under the heading),
"facts" (in the company facts) and "sections" (after the projects); the project page has
"alerts", "sections" (after the facts) and "delivery_alerts" (in the ledger's delivery
form: a fragment may render a slot too).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest

PAGES = ("customer", "project")


@dataclass(frozen=True)
class Fragment:
    slot: str
    template: str
    context: dict = field(default_factory=dict)


Panel = Callable[[HttpRequest, object], list[Fragment]]
_PANELS: dict[str, dict[str, tuple[int, Panel]]] = {page: {} for page in PAGES}


def register_panel(page: str, name: str, panel: Panel, *, order: int) -> None:
    """Add a panel to `page` ("customer" or "project"); again under the same name: replaced.
    Lower `order` comes first within a slot."""
    if page not in _PANELS:
        raise ValueError(f"unknown page {page!r}; known: {', '.join(PAGES)}")
    _PANELS[page][name] = (order, panel)


def panels_for(page: str, request: HttpRequest, obj) -> dict[str, list[Fragment]]:
    """Every registered panel's fragments for `obj`, by slot, in panel order."""
    slots: dict[str, list[Fragment]] = {}
    for _order, panel in sorted(_PANELS[page].values(), key=lambda entry: entry[0]):
        for fragment in panel(request, obj):
            slots.setdefault(fragment.slot, []).append(fragment)
    return slots
