"""`salesdesk serve`: gunicorn with one threaded worker per core unless told otherwise."""

import sys
from io import StringIO

import gunicorn.app.wsgiapp
from django.core.management import call_command


def _gunicorn_argv(monkeypatch, *args) -> list[str]:
    seen = []
    monkeypatch.setattr(gunicorn.app.wsgiapp, "run", lambda: seen.append(list(sys.argv)))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    call_command("serve", *args, stdout=StringIO())
    return seen[0]


def _option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_it_runs_one_worker_per_core_with_four_threads(monkeypatch):
    argv = _gunicorn_argv(monkeypatch, "--port", "8123")
    assert _option(argv, "--bind") == "127.0.0.1:8123"
    assert (_option(argv, "--workers"), _option(argv, "--threads")) == ("2", "4")
    assert _option(argv, "--access-logfile") == "-"


def test_it_takes_workers_threads_and_no_access_log_when_asked(monkeypatch):
    argv = _gunicorn_argv(monkeypatch, "--workers", "5", "--threads", "1", "--access-log", "")
    assert (_option(argv, "--workers"), _option(argv, "--threads")) == ("5", "1")
    assert "--access-logfile" not in argv
