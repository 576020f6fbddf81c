"""The upload page /import/: finance and admin only, same import as the CLI."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from salesdesk.customers.models import Customer
from salesdesk.imports.models import ImportRun
from salesdesk.ledger.models import Invoice, Payment
from tests.imports.builders import base_sheets, run_import

URL = "/import/"


@pytest.fixture
def english(people, client_for):
    """english(user): a signed-in client that asks for English pages."""

    def make(user):
        client = client_for(user)
        client.cookies["django_language"] = "en"
        return client

    return make


def upload(path_or_bytes, name: str) -> SimpleUploadedFile:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    return SimpleUploadedFile(name, data)


def test_it_lives_at_import(db):
    assert reverse("import_upload") == URL


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("username", ["sales1", "manager1", "marketing", "supply", "legal"])
def test_it_refuses_other_roles(people, english, username):
    client = english(getattr(people, username))

    assert client.get(URL).status_code == 403
    assert client.post(URL, {}).status_code == 403


@pytest.mark.parametrize("username", ["finance", "admin"])
def test_it_shows_the_form_to_finance_and_admin(people, english, username):
    response = english(getattr(people, username)).get(URL)

    assert response.status_code == 200
    assert b"Import a workbook" in response.content
    assert b'type="file"' in response.content


def test_it_imports_an_uploaded_workbook_as_the_signed_in_user(people, english, workbook):
    run_import(workbook(base_sheets("plants", "users", "customers", "projects"), "master.xlsx"))
    path = workbook(base_sheets("invoices", "payments"), "ledger.xlsx")

    response = english(people.finance).post(URL, {"file": upload(path, "ledger.xlsx")})

    assert response.status_code == 200
    assert b"The workbook was imported." in response.content
    assert Invoice.objects.count() == 3
    assert Payment.objects.get(reference="PAY-1").posted_by == people.finance
    run = ImportRun.objects.get(source="ledger.xlsx")
    assert run.actor == people.finance
    assert b"ledger.xlsx" in response.content  # listed under recent imports


def test_it_validates_only_when_asked(people, english, workbook):
    path = workbook()

    response = english(people.admin).post(URL, {"file": upload(path, "book.xlsx"), "dry_run": "on"})

    assert response.status_code == 200
    assert b"The workbook is valid. Nothing was written" in response.content
    assert Customer.objects.count() == 0


def test_it_shows_the_error_lines_and_writes_nothing(people, english, workbook):
    sheets = base_sheets()
    sheets["invoices"][2][4] = "12.345"

    response = english(people.admin).post(URL, {"file": upload(workbook(sheets), "bad.xlsx")})

    assert response.status_code == 200
    assert b"The workbook has 1 error. Nothing was written." in response.content
    assert (
        b"sheet invoices row 3 column amount: &#x27;12.345&#x27; has more than 2 decimal places"
        in response.content
    )
    assert Customer.objects.count() == 0


def test_it_imports_a_zip_of_csv_files(people, english):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("export/plants.csv", "code,name\nPL01,一号站\n".encode("gbk"))
        archive.writestr("__MACOSX/export/._plants.csv", b"\x00\x05\x16\x07")

    response = english(people.admin).post(URL, {"file": upload(buffer.getvalue(), "csv.zip")})

    assert response.status_code == 200
    assert b"The workbook was imported." in response.content


def test_it_refuses_other_file_types(people, english):
    response = english(people.admin).post(URL, {"file": upload(b"a,b\n", "plants.csv")})

    assert response.status_code == 200
    assert b"Choose an .xlsx file or a .zip of CSV files." in response.content
