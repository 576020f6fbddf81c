"""A commission statement as a document: PDF on the company letterhead (the same as the
collection letters, WeasyPrint), bilingual labels ("项目 Project"), and xlsx with one row
per line, every input in its own column and numbers as numbers."""

import io

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesdesk.collections.letters import _both, _pdf, letterhead
from salesdesk.compensation.models import Advance
from salesdesk.compensation.selectors import band_note
from salesdesk.compensation.statements import StatementData
from salesdesk.lib import spreadsheet
from salesdesk.lib.dates import month_end

LABELS = {
    "title": _("Commission statement"),
    "month": _("Month"),
    "salesperson": _("Salesperson"),
    "status": _("Status"),
    "kind": _("Kind"),
    "project": _("Project"),
    "payment": _("Payment"),
    "payment_date": _("Payment date"),
    "invoice": _("Invoice"),
    "date": _("Settled on"),
    "days": _("Days past due"),
    "tier": _("Tier"),
    "collected": _("Collected"),
    "base_rate": _("Base rate %"),
    "band": _("Band penalty"),
    "completion": _("Completion"),
    "legal": _("Legal penalty"),
    "bonus": _("Old-debt bonus"),
    "rate": _("Rate %"),
    "earned": _("Earned"),
    "held_back": _("Held back"),
    "released": _("Released"),
    "forfeited": _("Forfeited"),
    "payable": _("Payable"),
    "total": _("Total"),
    "held_by_project": _("Held back by project"),
    "advances": _("Open advances"),
    "amount": _("Amount"),
    "asked_on": _("Asked on"),
    "rule": _("rate = max(0, base rate − band penalty − legal penalty) + old-debt bonus; "
              "earned = collected × rate / 100; payable = earned − held back + released. "
              "Amounts in yuan (CNY), rounded to 0.01 half up per line."),
}  # fmt: skip

XLSX_COLUMNS = (
    ("kind", "kind"), ("project", "project"), ("payment", "payment"),
    ("payment_date", "payment_date"), ("invoice", "invoice"), ("date", "date"),
    ("of_month", "of_month"), ("days", "days_past_due"), ("tier", "tier"),
    ("collected", "collected"), ("base_rate", "base_rate"), ("completion", "completion"),
    ("band", "band_points"), ("legal", "legal_points"), ("bonus", "bonus_points"),
    ("rate", "rate"), ("earned", "earned"), ("held_back", "held_back"),
    ("released", "released"), ("forfeited", "forfeited"), ("payable", "payable"),
)  # fmt: skip


def filename(statement: StatementData, extension: str) -> str:
    return f"commissions-{statement.month:%Y-%m}-{statement.salesperson.username}.{extension}"


def statement_html(statement: StatementData, advances: list[Advance]) -> str:
    labels = {key: _both(text) for key, text in LABELS.items()}
    context = {
        "s": statement,
        "L": labels,
        "letterhead": letterhead(month_end(statement.month)),
        "band_note": band_note(statement),
        "held": sorted(statement.held.items()),
        "advances": advances,
        "generated_at": timezone.localtime(),
        "filename": filename(statement, "pdf"),
    }
    return render_to_string("compensation/statement_pdf.html", context)


def statement_pdf(statement: StatementData, advances: list[Advance]) -> bytes:
    return _pdf(statement_html(statement, advances))


def _cell(line, attribute: str):
    value = getattr(line, attribute)
    if attribute == "of_month":
        return f"{value:%Y-%m}" if value else None
    if attribute == "kind":
        return str(value)
    return value if value != "" else None


def statement_xlsx(statement: StatementData) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(f"{statement.month:%Y-%m}")
    header = []
    for key, attribute in XLSX_COLUMNS:
        header.append(str(LABELS[key]) if attribute != "of_month" else str(_("Of month")))
    spreadsheet.xlsx_append(sheet, header)
    for line in statement.lines:
        spreadsheet.xlsx_append(sheet, [_cell(line, a) for _key, a in XLSX_COLUMNS])
    totals = statement.totals
    spreadsheet.xlsx_append(
        sheet,
        [
            str(LABELS["total"]) if a == "kind" else totals.get(a) if a in totals else None
            for _key, a in XLSX_COLUMNS
        ],
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
