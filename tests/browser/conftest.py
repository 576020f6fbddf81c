"""Headless Chromium for the browser tests."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def page():
    # Playwright's sync API runs an event loop in this thread; the ORM calls the live
    # server fixture makes from here are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "chromium is missing: run ./scripts/system-deps"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(locale="en-US")
        yield context.new_page()
        browser.close()
