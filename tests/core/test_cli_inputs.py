"""Command-line dates outside 1900-2200 and amounts that are not plain decimals are
refused with a message naming the option and the range, never a traceback."""

import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from tests.factories import CustomerFactory

RANGE = "is outside 1900-01-01 to 2200-12-31"


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2201-01-01"])
@pytest.mark.parametrize(
    "command",
    [
        ["report", "aging"],
        ["report", "letters"],
        ["report", "tiers"],
        ["cycle"],
        ["tiering"],
        ["gate", "C1"],
        ["policy", "show"],
    ],
)
def test_it_refuses_an_as_of_outside_the_range_naming_the_option(db, command, day):
    CustomerFactory(code="C1")

    with pytest.raises(CommandError) as refused:
        call_command(*command, "--as-of", day)

    assert "--as-of" in str(refused.value)
    assert f"{day} {RANGE}" in str(refused.value)


def test_it_refuses_a_policy_effective_date_outside_the_range(db, tmp_path):
    with pytest.raises(CommandError, match=f"--effective-from: 9999-12-31 {RANGE}"):
        call_command("policy", "import", str(tmp_path / "p.toml"), "--effective-from", "9999-12-31")


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "0000-13", "2026-1"])
def test_it_refuses_a_report_month_outside_the_range_naming_the_option(db, month):
    with pytest.raises(CommandError, match="--month"):
        call_command("report", "tasks", "--month", month)


@pytest.mark.parametrize("amount", ["1,2,3.00", "١٢٣", "NaN", "1e3", "１２３"])
def test_the_gate_refuses_an_amount_that_is_not_a_plain_decimal(db, amount):
    CustomerFactory(code="C1")

    with pytest.raises(CommandError, match="--amount") as refused:
        call_command("gate", "C1", "--amount", amount)

    assert refused.value.returncode == 2


def test_a_shell_sees_the_refusal_and_no_traceback(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "SALESDESK_HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "salesdesk.settings",
    }
    run = subprocess.run(
        [sys.executable, "-m", "salesdesk", "report", "aging", "--as-of", "9999-12-31"],
        env=env, capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip

    assert run.returncode == 2
    assert f"argument --as-of: 9999-12-31 {RANGE}" in run.stderr
    assert "Traceback" not in run.stderr
