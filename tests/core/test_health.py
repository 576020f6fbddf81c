"""/healthz: what a load balancer or monitor asks, without signing in."""

from django.db import OperationalError, connection
from django.test import Client


def test_it_answers_ok_when_the_database_answers(db):
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_it_answers_503_when_the_database_does_not(db):
    def database_down(execute, sql, params, many, context):
        raise OperationalError("connection refused")

    with connection.execute_wrapper(database_down):
        response = Client().get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert "connection refused" not in response.content.decode()


def test_it_answers_head_but_refuses_writes(db):
    assert Client().head("/healthz").status_code == 200
    assert Client().post("/healthz").status_code == 405
