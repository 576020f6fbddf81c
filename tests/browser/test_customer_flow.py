"""One end-to-end check in a real browser: sign in, register a customer, find it listed."""

import random

import pytest

from salesdesk.lib import uscc
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


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
