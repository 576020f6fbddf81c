"""How the application is served: DEBUG stays off unless asked for, static files are
served all the same, and an error page tells a visitor nothing about the installation."""

import os
import subprocess
import sys

import pytest
from django.test import Client

READ_DEBUG = (
    "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
)


def debug_setting(tmp_path, **env) -> str:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SALESDESK_")}
    base.update(DJANGO_SETTINGS_MODULE="salesdesk.settings", SALESDESK_HOME=str(tmp_path), **env)
    base.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", READ_DEBUG], env=base, capture_output=True, text=True,
        cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "False"),
        ({"SALESDESK_ENV": "production", "SALESDESK_SECRET_KEY": "k" * 50}, "False"),
        ({"SALESDESK_DEBUG": "1"}, "True"),
    ],
)
def test_it_keeps_debug_off_unless_asked_for(tmp_path, env, expected):
    assert debug_setting(tmp_path, **env) == expected


def test_it_serves_static_files_with_debug_off(db, settings):
    assert settings.DEBUG is False

    response = Client().get("/static/salesdesk/app.css")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b"".join(response.streaming_content)


def test_it_answers_an_unknown_page_without_revealing_settings(db):
    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    body = response.content.decode()
    assert "SECRET_KEY" not in body
    assert "DATABASES" not in body
    assert "Traceback" not in body
