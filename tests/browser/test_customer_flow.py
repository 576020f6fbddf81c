"""One end-to-end check in a real browser: sign in, register a customer, find it listed."""

import os
import random
import shutil

import pytest

from salesdesk.lib import uscc
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

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


def test_it_lets_a_salesperson_register_a_customer_and_find_it(live_server, page):
    UserFactory(username="sales1", name="Sales One", roles=["sales"], password="demo")
    credit_code = uscc.generate(random.Random(7))

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "sales1")
    page.fill("#id_password", "demo")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/customers/new/")
    page.fill("#id_name", "北京浏览器测试建设有限公司")
    page.fill("#id_credit_code", credit_code)
    page.fill("#id_region", "北京")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/customers/C*/")
    assert page.locator("h1").inner_text() == "北京浏览器测试建设有限公司"

    page.goto(f"{live_server.url}/customers/")
    page.fill("input[name=q]", "浏览器测试")
    page.press("input[name=q]", "Enter")
    table = page.locator("#customer-table")
    table.get_by_text("北京浏览器测试建设有限公司").wait_for()
    assert table.locator("tbody tr").count() == 1
