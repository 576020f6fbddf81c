"""Helpers for importer tests: small workbooks and CSV folders in tmp_path, and a runner
that calls `salesdesk import` and returns its exit code and output."""

import pytest

from tests.factories import ProductFactory
from tests.imports.builders import base_sheets, write_xlsx


@pytest.fixture(autouse=True)
def catalogue(request):
    """The products BASE delivers, already in the catalogue: a workbook may name products
    stored before it (the products sheet is tested on its own)."""
    if not {"db", "transactional_db"} & set(request.fixturenames):
        return
    request.getfixturevalue(
        "transactional_db" if "transactional_db" in request.fixturenames else "db"
    )
    ProductFactory(code="C30", name="C30 混凝土")
    ProductFactory(code="C35", name="C35 混凝土", grade="C35")


@pytest.fixture
def workbook(tmp_path):
    """workbook(sheets=None, name="book.xlsx"): write sheets (default: BASE) to an .xlsx."""

    def make(sheets=None, name="book.xlsx"):
        return write_xlsx(tmp_path / name, base_sheets() if sheets is None else sheets)

    return make
