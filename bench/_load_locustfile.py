"""Locust users for `bench/load.py`; started by it, not on its own.

Readers of six roles sign in through the login page and loop over the customer list, a
customer page, the aging API and the Today page; one writer posts payments through the API
with its bearer token, each under a fresh reference, and records the references the server
accepted so the driver can find each of them in the ledger exactly once.

Everything comes from the environment the driver sets: LOAD_PASSWORD (all bench users),
LOAD_TOKEN (the writer's API token), LOAD_RUN (a run id for payment references),
LOAD_PROJECTS (comma-separated project codes to pay into), LOAD_POSTED (file for the
accepted references), LOAD_PAYMENT_DATE, LOAD_THINK (seconds between a user's requests), LOAD_DURATION (seconds
measured), LOAD_SERVER_PID and LOAD_CPU (CPU time of the server and PostgreSQL, in a file).

The measured window opens when every user has started and signed in (sign-in hashes the
password with argon2 on purpose, and is not what is measured): the statistics are reset
then, and the run stops LOAD_DURATION seconds later.
"""

import itertools
import json
import os
import random
import re
import resource

import gevent
from _load_common import ROLE_USERS, cpu_seconds
from locust import FastHttpUser, between, events, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "")
TOKEN = os.environ.get("LOAD_TOKEN", "")
RUN = os.environ.get("LOAD_RUN", "run")
PROJECTS = [code for code in os.environ.get("LOAD_PROJECTS", "").split(",") if code]
POSTED_FILE = os.environ.get("LOAD_POSTED", "")
PAYMENT_DATE = os.environ.get("LOAD_PAYMENT_DATE", "")
THINK = float(os.environ.get("LOAD_THINK", "0"))
DURATION = float(os.environ.get("LOAD_DURATION", "60"))
SERVER_PID = int(os.environ.get("LOAD_SERVER_PID", "0"))
CPU_FILE = os.environ.get("LOAD_CPU", "")

# Production sits behind a TLS proxy that says so: without the header every request
# would be redirected to https, and the secure cookies would never come back.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
CUSTOMER_LINK = re.compile(r'href="/customers/([^/"]+)/"')
NOT_CUSTOMERS = {"new", "tiering"}

posted: list[str] = []
_sequence = itertools.count(1)


class Reader(FastHttpUser):
    abstract = True
    role = ""
    wait_time = between(THINK * 0.5, THINK * 1.5)

    def on_start(self):
        self.username = random.choice(ROLE_USERS[self.role])
        self._sign_in()
        page = self.client.get("/customers/", headers=PROXY_HEADERS, name="customer list")
        codes = [c for c in CUSTOMER_LINK.findall(page.text or "") if c not in NOT_CUSTOMERS]
        self.customers = sorted(set(codes)) or [None]
        _user_ready(self.environment)

    def _sign_in(self):
        self.client.get("/login/", headers=PROXY_HEADERS, name="login")
        csrf = self._cookies_for_plain_http()["csrftoken"]
        with self.client.post(
            "/login/",
            data={"username": self.username, "password": PASSWORD},
            headers={**PROXY_HEADERS, "Referer": f"https://{self._host()}/login/",
                     "X-CSRFToken": csrf},
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code != 302:
                response.failure(f"sign-in of {self.username}: {response.status_code}")
        self._cookies_for_plain_http()

    def _cookies_for_plain_http(self) -> dict[str, str]:
        """The cookies are marked Secure (production); the TLS proxy is left out here, so
        let the client send them over plain HTTP to the loopback address."""
        values = {}
        for cookie in self.client.cookiejar:
            cookie.secure = False
            values[cookie.name] = cookie.value
        return values

    def _host(self):
        return self.host.split("://", 1)[1].rstrip("/")

    def _get(self, path, name):
        with self.client.get(
            path, headers=PROXY_HEADERS, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")

    @task
    def customer_list(self):
        self._get("/customers/", "customer list")

    @task
    def customer_page(self):
        code = random.choice(self.customers)
        if code is not None:
            self._get(f"/customers/{code}/", "customer page")

    @task
    def aging_api(self):
        self._get("/api/v1/reports/aging", "aging API")

    @task
    def today_page(self):
        self._get("/", "Today page")


class Sales(Reader):
    role = "sales"
    weight = 6


class Manager(Reader):
    role = "manager"
    weight = 2


class Finance(Reader):
    role = "finance"


class Marketing(Reader):
    role = "marketing"


class Supply(Reader):
    role = "supply"


class Admin(Reader):
    role = "admin"


class PaymentWriter(FastHttpUser):
    fixed_count = 1
    wait_time = between(THINK * 0.5, THINK * 1.5)

    def on_start(self):
        _user_ready(self.environment)

    @task
    def post_payment(self):
        reference = f"LOAD-{RUN}-{next(_sequence):06d}"
        body = {
            "reference": reference,
            "project": random.choice(PROJECTS),
            "date": PAYMENT_DATE,
            "amount": "1.00",
            "method": "bank",
        }
        with self.client.post(
            "/api/v1/payments",
            json=body,
            headers={**PROXY_HEADERS, "Authorization": f"Bearer {TOKEN}"},
            name="payment POST",
            catch_response=True,
        ) as response:
            if response.status_code == 201:
                posted.append(reference)
            else:
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")


_cpu_at_full_load: dict[str, float] = {}


def _cpu_now() -> dict[str, float]:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return {
        **cpu_seconds(SERVER_PID, os.environ["DATABASE_URL"]),
        "Locust": used.ru_utime + used.ru_stime,
    }


_ready = 0


def _user_ready(environment):
    """Once every user is running: reset the statistics, note the CPU times, and stop the
    run DURATION seconds later."""
    global _ready
    _ready += 1
    runner = environment.runner
    if _ready != runner.target_user_count:
        return
    runner.stats.reset_all()
    if CPU_FILE and SERVER_PID:
        _cpu_at_full_load.update(_cpu_now())
    gevent.spawn_later(DURATION, runner.quit)


@events.test_stop.add_listener
def _cpu_write(environment, **_kwargs):
    if CPU_FILE and _cpu_at_full_load:
        now = _cpu_now()
        with open(CPU_FILE, "w") as out:
            json.dump({who: now[who] - _cpu_at_full_load[who] for who in now}, out)


@events.quitting.add_listener
def _write_posted(environment, **_kwargs):
    if POSTED_FILE:
        with open(POSTED_FILE, "w") as out:
            json.dump(posted, out)
