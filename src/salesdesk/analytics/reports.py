"""The report registry (FORMATS.md): every machine-readable report by its name.

Each builder lives with the app that owns its data and takes keyword arguments (as_of or
month, user, filters), returning a `core.reporting.Report`; the envelope and the output
formats are `core.reporting`'s. A new report is one line here.
"""

from collections.abc import Callable

from salesdesk.collections.reports import holds_report, letters_report, tasks_report
from salesdesk.compensation.reports import advances_report, commissions_report
from salesdesk.core.reporting import Report, ReportError
from salesdesk.ledger.reports import aging_report
from salesdesk.pipeline.reports import pipeline_report
from salesdesk.tiering.reports import tiers_report

REGISTRY: dict[str, Callable[..., Report]] = {
    "aging": aging_report,
    "letters": letters_report,
    "holds": holds_report,
    "tasks": tasks_report,
    "tiers": tiers_report,
    "pipeline": pipeline_report,
    "commissions": commissions_report,
    "advances": advances_report,
}


def builder(name: str) -> Callable[..., Report]:
    if name not in REGISTRY:
        raise ReportError(f"unknown report {name!r}; known: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]
