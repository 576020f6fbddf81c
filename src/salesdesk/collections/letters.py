"""The printed documents of collections, on company letterhead, as PDF (WeasyPrint, like
the statement of account): the collection letter (工作函) to a customer, and a
salesperson's monthly collection task letter (收款任务书).

Both are bilingual. Their wording is ordinary translatable text rendered once per
language (`{% language %}`), so the Chinese and the English come from the same catalogue
as the rest of the UI:
- a collection letter prints the Chinese letter, then the English one on its own page;
  `?lang=zh` or `?lang=en` prints one of them only;
- a task letter has one body whose labels carry both languages ("项目 Project").
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from salesdesk.collections.choices import TaskStatus
from salesdesk.collections.models import CollectionTask, DunningLetter
from salesdesk.core.models import User
from salesdesk.core.policy import policy_as_of
from salesdesk.lib.money import ZERO, to_cents

ZH, EN = "zh-hans", "en"
LANGUAGES = {"zh": [ZH], "en": [EN], "": [ZH, EN]}


def letterhead(day: dt.date) -> dict:
    """The company's letterhead as the policy had it on `day`."""
    policy = policy_as_of(day)
    return {
        "name_zh": policy["letterhead.company_name_zh"],
        "name_en": policy["letterhead.company_name_en"],
        "address": policy["letterhead.address"],
        "phone": policy["letterhead.phone"],
    }


def _pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


# Amounts in words ---------------------------------------------------------------------

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")
_GROUPS = ("", "万", "亿", "万亿")


def _group_upper(number: int) -> str:
    """1..9999 in capital numerals, zeros inside the group read once (1010: 壹仟零壹拾)."""
    text, zero, digits = "", False, str(number)
    for position, char in enumerate(digits):
        digit = int(char)
        if digit == 0:
            zero = True
            continue
        if zero:
            text += "零"
            zero = False
        text += _DIGITS[digit] + _UNITS[len(digits) - position - 1]
    return text


def _integer_upper(number: int) -> str:
    groups = []
    while number:
        number, group = divmod(number, 10000)
        groups.append(group)
    text, gap = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            gap = bool(text)
            continue
        if text and (gap or group < 1000):
            text += "零"
        text += _group_upper(group) + _GROUPS[index]
        gap = False
    return text


def rmb_upper(amount: Decimal) -> str:
    """An amount of yuan in capital numerals (大写), as Chinese financial documents write
    it: 123456.78 -> 壹拾贰万叁仟肆佰伍拾陆元柒角捌分; 100 -> 壹佰元整."""
    cents = int(to_cents(amount) * 100)
    if cents < 0:
        return "负" + rmb_upper(Decimal(-cents) / 100)
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    text = _integer_upper(yuan) + "元" if yuan else ""
    if not jiao and not fen:
        return (text or "零元") + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    return text + (_DIGITS[fen] + "分" if fen else "整")


# Collection letters (工作函) -------------------------------------------------------------


def letter_reference(letter: DunningLetter) -> str:
    """The letter's reference: project code, sequence, number (unique, see the model)."""
    return f"{letter.project.code}-{letter.sequence}-{letter.number}"


def letter_filename(letter: DunningLetter, lang: str = "") -> str:
    suffix = f"-{lang}" if lang else ""
    return f"letter-{letter_reference(letter)}-{letter.issued_on:%Y%m%d}{suffix}.pdf"


def letter_html(letter: DunningLetter, lang: str = "") -> str:
    """The letter's HTML: Chinese then English, or one of them (lang "zh" or "en")."""
    policy = policy_as_of(letter.issued_on)
    context = {
        "letter": letter,
        "project": letter.project,
        "customer": letter.project.customer,
        "reference": letter_reference(letter),
        "languages": LANGUAGES.get(lang, LANGUAGES[""]),
        "letterhead": letterhead(letter.issued_on),
        "amount_upper": rmb_upper(letter.amount),
        "last": letter.number >= policy["collections.letter_max"],
        "hold_after_days": policy["collections.hold_after_days"],
        "interval_days": policy["collections.letter_interval_days"],
    }
    return render_to_string("collections/letter_pdf.html", context)


def letter_pdf(letter: DunningLetter, lang: str = "") -> bytes:
    return _pdf(letter_html(letter, lang))


# Collection task letters (收款任务书) ------------------------------------------------------

# Labels printed in both languages on the task letter.
TASK_LABELS = {
    "title": _("Collection task letter"),
    "draft": _("Draft: not yet issued"),
    "watermark": _("DRAFT"),
    "issued_on": _("Issued on"),
    "month": _("Month"),
    "salesperson": _("Salesperson"),
    "manager": _("Manager"),
    "no": _("No."),
    "project": _("Project"),
    "customer": _("Customer"),
    "contract": _("Contract"),
    "target": _("Target"),
    "collected": _("Collected"),
    "completion": _("Completion"),
    "total": _("Total"),
    "marketing": _("Verified by marketing"),
    "finance": _("Verified by finance"),
    "received": _("Received by the salesperson"),
    "pending": _("not signed yet"),
    "currency": _("Amounts in yuan (CNY)."),
}


def _both(text) -> dict[str, str]:
    result = {}
    for code, key in ((ZH, "zh"), (EN, "en")):
        with translation.override(code):
            result[key] = str(text)
    return result


@dataclass
class TaskLetter:
    month: dt.date
    salesperson: User
    tasks: list[CollectionTask]
    letterhead: dict
    generated_at: dt.datetime
    signers: dict[str, list[tuple[User, dt.datetime]]] = field(default_factory=dict)

    @property
    def issued(self) -> bool:
        return all(task.status in (TaskStatus.ISSUED, TaskStatus.ASSESSED) for task in self.tasks)

    @property
    def assessed(self) -> bool:
        return all(task.status == TaskStatus.ASSESSED for task in self.tasks)

    @property
    def issued_at(self) -> dt.datetime | None:
        """When the last signature issued the tasks."""
        if not self.issued:
            return None
        times = [t.marketing_signed_at for t in self.tasks] + [
            t.finance_signed_at for t in self.tasks
        ]
        return max((time for time in times if time is not None), default=None)

    @property
    def target(self) -> Decimal:
        return sum((task.target for task in self.tasks), ZERO)

    @property
    def collected(self) -> Decimal:
        return sum((task.collected or ZERO for task in self.tasks), ZERO)

    def filename(self) -> str:
        return f"tasks-{self.month:%Y-%m}-{self.salesperson.username}.pdf"


def task_letter_build(*, month: dt.date, salesperson: User, tasks: list[CollectionTask]):
    """The task letter of `salesperson` for `month` from their tasks (not empty)."""
    signers: dict[str, dict[int, tuple[User, dt.datetime]]] = {"marketing": {}, "finance": {}}
    for task in tasks:
        for department in signers:
            who = getattr(task, f"{department}_signed_by")
            if who is not None:
                signers[department].setdefault(
                    who.pk, (who, getattr(task, f"{department}_signed_at"))
                )
    return TaskLetter(
        month=month,
        salesperson=salesperson,
        tasks=tasks,
        letterhead=letterhead(min(task.drafted_on for task in tasks)),
        generated_at=timezone.localtime(),
        signers={department: list(found.values()) for department, found in signers.items()},
    )


def task_letter_html(task_letter: TaskLetter) -> str:
    rows = []
    for number, task in enumerate(task_letter.tasks, start=1):
        completion = None
        if task.collected is not None and task.target:
            completion = (task.collected * 100 / task.target).quantize(Decimal("0.1"))
        rows.append({"number": number, "task": task, "completion": completion})
    total_completion = None
    if task_letter.assessed and task_letter.target:
        total_completion = (task_letter.collected * 100 / task_letter.target).quantize(
            Decimal("0.1")
        )
    labels = {key: _both(text) for key, text in TASK_LABELS.items()}
    context = {
        "doc": task_letter,
        "rows": rows,
        "total_completion": total_completion,
        "L": labels,
        "signature_lines": [
            {"label": labels["marketing"], "signers": task_letter.signers["marketing"]},
            {"label": labels["finance"], "signers": task_letter.signers["finance"]},
            {"label": labels["received"], "signers": None},
        ],
    }
    return render_to_string("collections/task_letter_pdf.html", context)


def task_letter_pdf(task_letter: TaskLetter) -> bytes:
    return _pdf(task_letter_html(task_letter))
