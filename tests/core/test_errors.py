"""The error layer: NUL characters and oversized bodies are refused before any view runs;
an unexpected exception is a 500 with an error id in the log, never a traceback."""

import json
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from salesdesk.customers.models import Customer

BIG = 2_621_440 + 1


def boom(*args, **kwargs):
    raise RuntimeError("secret internals")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/customers/%00",
        "/api/v1/customers?q=%00",
        "/api/v1/customers?q=a\x00b",
        "/api/v1/reports/aging?owner=x%00y",
        "/api/v1/customers?q=%2500&region=%00",
    ],
)
def test_it_refuses_a_nul_in_the_path_or_query_of_the_api_with_400(url, people, api_for):
    response = api_for(people.admin).get(url)

    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_it_takes_a_percent_sign_followed_by_zeros_for_what_it_is(people, api_for):
    response = api_for(people.admin).get("/api/v1/customers?q=%2500")

    assert response.status_code == 200


@pytest.mark.parametrize("url", ["/customers/%00/", "/customers/?q=%00", "/login/?next=%00"])
def test_it_refuses_a_nul_on_pages_with_a_short_plain_page(url, people, page_for):
    response = page_for(people.admin).get(url)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert b"NUL" in response.content


def test_it_refuses_a_nul_in_a_json_body(people, api_for):
    body = '{"code": "C1", "name": "A\\u0000B"}'

    response = api_for(people.admin).post("/api/v1/customers", body, "application/json")

    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    assert not Customer.objects.exists()


def test_it_accepts_an_escaped_backslash_before_u0000_as_plain_text(people, api_for):
    # The text \u0000, no NUL.
    body = json.dumps({"code": "C1", "name": "A\\u0000B", "owner": "sales1"})

    response = api_for(people.admin).post("/api/v1/customers", body, "application/json")

    assert response.status_code == 201
    assert Customer.objects.get().name == "A\\u0000B"


def test_it_refuses_a_nul_in_a_form_body(people, page_for):
    response = page_for(people.admin).post(
        "/customers/new/", "code=C1&name=A%00B", "application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert not Customer.objects.exists()


def test_it_refuses_a_nul_in_a_text_field_of_a_multipart_form(people, page_for):
    response = page_for(people.admin).post("/customers/new/", {"code": "C1", "name": "A\x00B"})

    assert response.status_code == 400
    assert not Customer.objects.exists()


def test_it_answers_413_to_a_json_body_over_the_limit(people, api_for):
    body = json.dumps({"code": "C1", "name": "x" * BIG})

    response = api_for(people.admin).post("/api/v1/customers", body, "application/json")

    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


def test_it_answers_413_to_a_form_over_the_limit(people, page_for):
    response = page_for(people.admin).post(
        "/customers/new/", "name=" + "x" * BIG, "application/x-www-form-urlencoded"
    )

    assert response.status_code == 413


def test_it_answers_413_to_multipart_text_fields_over_the_limit(people, page_for):
    response = page_for(people.admin).post("/customers/new/", {"name": "x" * BIG})

    assert response.status_code == 413


def test_it_lets_a_workbook_upload_beyond_the_body_limit_through(people, page_for):
    upload = SimpleUploadedFile("big.zip", b"PK" + b"\x00" * BIG)

    response = page_for(people.finance).post("/import/", {"file": upload})

    assert response.status_code == 200  # the reader's message, not a 413 or a 400
    assert response.context["form"].errors["file"]


@pytest.mark.parametrize("debug", [False, True])
def test_it_answers_an_unexpected_api_error_with_json_and_an_id_in_the_log(
    debug, settings, people, api_for, monkeypatch, caplog
):
    settings.DEBUG = debug
    monkeypatch.setattr("salesdesk.core.api.policy_as_of", boom)

    with caplog.at_level(logging.ERROR, logger="salesdesk.errors"):
        response = api_for(people.admin).get("/api/v1/policy")

    assert response.status_code == 500
    body = response.json()
    assert set(body) == {"detail", "error_id"}
    assert body["error_id"] in body["detail"]
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content
    [record] = [r for r in caplog.records if r.name == "salesdesk.errors"]
    assert body["error_id"] in record.getMessage()
    assert "secret internals" in str(record.exc_info[1])


def test_it_answers_an_unexpected_page_error_with_a_page_carrying_the_id(
    people, page_for, monkeypatch, caplog
):
    monkeypatch.setattr("salesdesk.core.views.policy_as_of", boom)

    with caplog.at_level(logging.ERROR, logger="salesdesk.errors"):
        response = page_for(people.admin).get("/policy/")

    assert response.status_code == 500
    [record] = [r for r in caplog.records if r.name == "salesdesk.errors"]
    error_id = record.getMessage().split()[2]
    assert error_id.encode() in response.content
    assert b"secret internals" not in response.content


def test_it_leaves_expected_refusals_alone(people, api_for, page_for):
    assert api_for(people.sales1).get("/api/v1/customers/NOPE").status_code == 404
    assert page_for(people.sales1).get("/policy/").status_code == 403


def test_it_refuses_in_the_callers_language(people, api_for):
    client = api_for(people.admin)

    response = client.get("/api/v1/customers?q=%00", headers={"Accept-Language": "zh-hans"})

    assert response.status_code == 400
    assert "空字符" in response.json()["detail"]
