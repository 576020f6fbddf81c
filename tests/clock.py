"""The moment every test starts at, unless it travels elsewhere itself: no test may depend
on the real date. SALESDESK_TEST_NOW moves the whole suite to another moment (ISO, in the
company's time zone, on or after 2026-07-01, since fixtures post records dated up to
then); CI runs the suite once more on a leap day late in the evening."""

import datetime as dt
import os
from zoneinfo import ZoneInfo

TEST_NOW = dt.datetime.fromisoformat(
    os.environ.get("SALESDESK_TEST_NOW") or "2026-12-04T10:00"
).replace(tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = TEST_NOW.date()
