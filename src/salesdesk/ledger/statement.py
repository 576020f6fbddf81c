"""The statement of account (对账单) of a project for a period, and its xlsx and PDF forms.

Invoices are debits, payments credits. A reversal is an entry of its own on its date
(an invoice reversal a credit, a payment reversal a debit), so the balance on any day is
what the allocation sees as of that day: billed − paid, with reversed records absent.
The opening balance is that figure on the day before the period starts.
"""

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from salesdesk.core.policy import policy_as_of
from salesdesk.customers.models import Project
from salesdesk.ledger.models import Invoice, InvoiceReversal, Payment, PaymentReversal
from salesdesk.lib.money import ZERO
from salesdesk.lib.spreadsheet import xlsx_append

# Same-day entries: what is billed first, then what is paid, then what is cancelled.
_ORDER = {"invoice": 0, "payment": 1, "invoice_reversal": 2, "payment_reversal": 3}


@dataclass
class StatementLine:
    date: dt.date
    kind: str
    reference: str
    description: str
    due_date: dt.date | None = None
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    balance: Decimal = ZERO

    @property
    def kind_label(self) -> str:
        return {
            "invoice": _("Invoice"),
            "payment": _("Payment"),
            "invoice_reversal": _("Invoice reversed"),
            "payment_reversal": _("Payment reversed"),
        }[self.kind]


@dataclass
class Statement:
    project: Project
    date_from: dt.date
    date_to: dt.date
    opening: Decimal
    lines: list[StatementLine] = field(default_factory=list)
    letterhead: dict = field(default_factory=dict)
    generated_at: dt.datetime | None = None

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)

    @property
    def closing(self) -> Decimal:
        return self.opening + self.total_debit - self.total_credit

    def filename(self, extension: str) -> str:
        return f"statement-{self.project.code}-{self.date_from:%Y%m%d}-{self.date_to:%Y%m%d}.{extension}"


def _entries(project: Project, date_to: dt.date) -> list[StatementLine]:
    """Every entry of the project up to `date_to`, unsorted. Four queries."""
    entries = []
    for invoice in Invoice.objects.filter(project=project, date__lte=date_to):
        entries.append(
            StatementLine(
                date=invoice.date, kind="invoice", reference=invoice.number,
                description="",
                due_date=invoice.due_date, debit=invoice.amount,
            )
        )  # fmt: skip
    for payment in Payment.objects.filter(project=project, date__lte=date_to):
        entries.append(
            StatementLine(
                date=payment.date, kind="payment", reference=payment.reference,
                description=str(payment.get_method_display()), credit=payment.amount,
            )
        )  # fmt: skip
    for reversal in InvoiceReversal.objects.filter(
        invoice__project=project, date__lte=date_to
    ).select_related("invoice"):
        entries.append(
            StatementLine(
                date=reversal.date, kind="invoice_reversal", reference=reversal.invoice.number,
                description=reversal.reason, credit=reversal.invoice.amount,
            )
        )  # fmt: skip
    for reversal in PaymentReversal.objects.filter(
        payment__project=project, date__lte=date_to
    ).select_related("payment"):
        entries.append(
            StatementLine(
                date=reversal.date, kind="payment_reversal", reference=reversal.payment.reference,
                description=reversal.reason, debit=reversal.payment.amount,
            )
        )  # fmt: skip
    return entries


def statement_build(*, project: Project, date_from: dt.date, date_to: dt.date) -> Statement:
    """The statement of `project` from `date_from` to `date_to`, both included."""
    entries = sorted(
        _entries(project, date_to), key=lambda e: (e.date, _ORDER[e.kind], e.reference)
    )
    opening = sum((e.debit - e.credit for e in entries if e.date < date_from), ZERO)
    policy = policy_as_of(date_to)
    statement = Statement(
        project=project,
        date_from=date_from,
        date_to=date_to,
        opening=opening,
        letterhead={
            "name_zh": policy["letterhead.company_name_zh"],
            "name_en": policy["letterhead.company_name_en"],
            "address": policy["letterhead.address"],
            "phone": policy["letterhead.phone"],
        },
        generated_at=timezone.localtime(),
    )
    balance = opening
    for entry in entries:
        if entry.date < date_from:
            continue
        balance += entry.debit - entry.credit
        entry.balance = balance
        statement.lines.append(entry)
    return statement


# Exports ------------------------------------------------------------------------------


def statement_xlsx(statement: Statement) -> bytes:
    """The statement as a workbook: a heading block, then one row per entry between the
    opening and closing balance rows. Money cells are numbers, dates are dates."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    money_format, date_format = "#,##0.00", "yyyy-mm-dd"
    project = statement.project
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Statement")[:31]
    bold = Font(bold=True)
    xlsx_append(sheet, [statement.letterhead["name_zh"]])
    sheet["A1"].font = Font(bold=True, size=14)
    xlsx_append(sheet, [statement.letterhead["name_en"]])
    xlsx_append(sheet, [_("Statement of account")])
    sheet["A3"].font = Font(bold=True, size=12)
    xlsx_append(sheet, [_("Customer"), f"{project.customer.name} ({project.customer.code})"])
    xlsx_append(sheet, [_("Project"), f"{project.name} ({project.code})"])
    xlsx_append(sheet, [_("Period"), statement.date_from, statement.date_to])
    for cell in sheet[6][1:]:
        cell.number_format = date_format
    xlsx_append(sheet, [])
    header = [
        _("Date"), _("Type"), _("Reference"), _("Description"), _("Due date"),
        _("Debit"), _("Credit"), _("Balance"),
    ]  # fmt: skip
    xlsx_append(sheet, header)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = bold
        cell.border = Border(bottom=Side(style="thin"))
    xlsx_append(sheet, [statement.date_from, _("Opening balance"), None, None, None, None, None,
                  statement.opening])  # fmt: skip
    for line in statement.lines:
        xlsx_append(sheet, [
            line.date, line.kind_label, line.reference, line.description, line.due_date,
            line.debit or None, line.credit or None, line.balance,
        ])  # fmt: skip
    xlsx_append(sheet, [None, _("Total for the period"), None, None, None,
                  statement.total_debit, statement.total_credit, None])  # fmt: skip
    for cell in sheet[sheet.max_row]:
        cell.font = bold
        cell.border = Border(top=Side(style="thin"))
    xlsx_append(sheet, [statement.date_to, _("Closing balance"), None, None, None, None, None,
                  statement.closing])  # fmt: skip
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for row in sheet.iter_rows(min_row=header_row + 1):
        row[0].number_format = row[4].number_format = date_format
        for cell in row[5:8]:
            cell.number_format = money_format
            cell.alignment = Alignment(horizontal="right")
    for column, width in zip("ABCDEFGH", (12, 16, 18, 36, 12, 16, 16, 16), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def statement_html(statement: Statement) -> str:
    """The HTML the PDF is printed from (in the active language)."""
    return render_to_string("ledger/statement_pdf.html", {"statement": statement})


def statement_pdf(statement: Statement, html: str | None = None) -> bytes:
    """The statement printed on A4 with the company letterhead; Chinese text is set in
    Noto CJK (Debian fonts-noto-cjk), which WeasyPrint finds through fontconfig."""
    from weasyprint import HTML

    return HTML(string=html or statement_html(statement)).write_pdf()
