"""Damaged and hostile workbooks: a truncated .xlsx, a file that is no zip at all, a
damaged sheet inside a good zip, and XML entity declarations (XXE, "billion laughs") are
refused with a message naming the file's problem, by the command and by the upload page,
and nothing is written. The files are made here, from a good workbook."""

import io
import re
import zipfile
from pathlib import Path

import openpyxl.xml
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from salesdesk.core.models import Plant
from salesdesk.imports.models import ImportRun
from tests.imports.builders import base_sheets, run_import, write_xlsx

SHEET = "xl/worksheets/sheet1.xml"
XXE = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
LAUGHS = (
    b'<!DOCTYPE x [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
)
ENTITIES = "the file declares XML entities (a DTD), which no spreadsheet program writes"
DAMAGED = "the file is not an .xlsx workbook, or it is damaged or truncated"


def good_workbook(tmp_path: Path) -> bytes:
    """Plants only, with enough rows that a sheet damaged half way is read lazily."""
    sheets = base_sheets("plants")
    sheets["plants"] += [[f"PX{n}", f"站{n}"] for n in range(2000)]
    return write_xlsx(tmp_path / "good.xlsx", sheets).read_bytes()


def members_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def zipped(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def with_dtd(data: bytes, member: str, dtd: bytes, reference: bytes) -> bytes:
    """`member` with a DOCTYPE declaring entities, and a cell or name that uses one."""
    members = members_of(data)
    xml = re.sub(rb"^<\?xml[^>]*\?>", b"", members[member])
    xml = xml.replace(b"PL01", reference, 1).replace(b'name="plants"', b'name="&e;"', 1)
    members[member] = b'<?xml version="1.0"?>' + dtd + xml
    return zipped(members)


def damaged(kind: str, good: bytes) -> tuple[bytes, str]:
    """(file bytes, the message the import must give) for each kind of bad file."""
    if kind == "not a zip":
        return b"code,name\nPL01,one\n", DAMAGED
    if kind == "truncated":
        return good[: len(good) // 2], DAMAGED
    if kind == "sheet cut short":
        members = members_of(good)
        members[SHEET] = members[SHEET][: len(members[SHEET]) // 2]
        return zipped(members), "the file's XML is damaged or truncated"
    if kind == "bad checksum":
        data = bytearray(zipped(members_of(good), zipfile.ZIP_STORED))
        at = data.index(b"PX1500")
        data[at : at + 6] = b"QX1500"
        return bytes(data), DAMAGED
    if kind == "xxe in the sheet":
        return with_dtd(good, SHEET, XXE, b"&e;"), ENTITIES
    if kind == "xxe in the workbook":
        return with_dtd(good, "xl/workbook.xml", XXE, b"&e;"), ENTITIES
    if kind == "billion laughs":
        return with_dtd(good, SHEET, LAUGHS, b"&d;"), ENTITIES
    raise AssertionError(kind)


KINDS = [
    "not a zip", "truncated", "sheet cut short", "bad checksum", "xxe in the sheet",
    "xxe in the workbook", "billion laughs",
]  # fmt: skip


def test_openpyxl_parses_with_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True


@pytest.mark.parametrize("kind", KINDS)
def test_the_command_refuses_a_damaged_or_hostile_workbook(db, tmp_path, kind):
    data, message = damaged(kind, good_workbook(tmp_path))
    path = tmp_path / "bad.xlsx"
    path.write_bytes(data)

    outcome = run_import(path)

    assert outcome.code == 2
    assert any(message in line for line in outcome.err_lines), outcome.err
    assert "nothing was written" in outcome.err_lines[-1]
    assert not Plant.objects.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_the_upload_page_refuses_a_damaged_or_hostile_workbook(people, client_for, tmp_path, kind):
    data, message = damaged(kind, good_workbook(tmp_path))
    client = client_for(people.admin)
    client.cookies["django_language"] = "en"

    response = client.post("/import/", {"file": SimpleUploadedFile("bad.xlsx", data)})

    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Plant.objects.exists()
    assert not ImportRun.objects.exists()


def test_a_damaged_csv_inside_a_zip_is_refused(people, client_for):
    members = {"plants.csv": "code,name\n" + "".join(f"P{n},站{n}\n" for n in range(3000))}
    data = bytearray(zipped({k: v.encode() for k, v in members.items()}))
    at = len(data) // 2
    data[at : at + 40] = b"\xff" * 40
    client = client_for(people.admin)
    client.cookies["django_language"] = "en"

    response = client.post("/import/", {"file": SimpleUploadedFile("csv.zip", bytes(data))})

    assert response.status_code == 200
    assert "damaged or truncated" in response.content.decode()
    assert not Plant.objects.exists()
