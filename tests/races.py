"""Races between database connections, for the tests of what two identical requests
arriving at the same moment do (PostgreSQL only: SQLite serialises writers)."""

import threading

import pytest
from django.db import connection

# The marks of a module of races: skipped on SQLite, each test in a real transaction.
RACES = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="races between connections need PostgreSQL (SQLite serialises writers)",
    ),
    pytest.mark.django_db(transaction=True),
]


def hold_before_insert(monkeypatch, model) -> None:
    """Every INSERT of `model` waits until two requests have reached theirs."""
    at_insert = threading.Barrier(2)
    save = model.save

    def save_together(self, *args, **kwargs):
        if self._state.adding:
            at_insert.wait(timeout=10)
        return save(self, *args, **kwargs)

    monkeypatch.setattr(model, "save", save_together)


def race(*calls) -> list:
    """Run each call in its own thread, all starting at once; their results or exceptions."""
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(n, call):
        try:
            start.wait(timeout=10)
            results[n] = call()
        except Exception as exc:  # the test asserts on it
            results[n] = exc
        finally:
            connection.close()  # this thread's connection, back to the pool

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a racer is stuck"
    return results
