"""Where the time of `bench/load.py`'s requests goes: one request at a time, in process.

    python bench/load_profile.py [--repeat 5] [--profile "Today page" --role sales]

For each role and endpoint of the load test, the median CPU time of this process (the
machine is shared: CPU time is steadier than the clock), the median wall time and the
number of SQL queries per request, with production settings (Django's test client, the
database in DATABASE_URL, loaded by `bench/load.py` or `salesdesk demo`). With --profile, cProfile's 30 costliest functions of
that endpoint for that role.
"""

import argparse
import cProfile
import datetime as dt
import os
import pstats
import random
import secrets
import statistics
import time

from _load_common import ROLE_USERS
from _setup import django_setup

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/load_perf"


def measured(fn, repeat: int) -> tuple[float, float]:
    """Median CPU and wall milliseconds of `fn`, after one warm-up call."""
    fn()
    cpu, wall = [], []
    for _ in range(repeat):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        fn()
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started_wall) * 1000)
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", help="endpoint name, e.g. 'Today page'")
    parser.add_argument("--role", default="sales")
    parser.add_argument("--sort", default="cumulative", help="cProfile order: tottime, ...")
    args = parser.parse_args()
    os.environ.update(
        SALESDESK_ENV="production",
        SALESDESK_SECRET_KEY=secrets.token_urlsafe(50),
        SALESDESK_ALLOWED_HOSTS="127.0.0.1",
    )
    django_setup(os.environ.get("DATABASE_URL") or DEFAULT_URL)

    from django.db import connection
    from django.test import Client

    from salesdesk.core.models import User
    from salesdesk.customers.models import Customer

    random.seed(1)
    endpoints = {
        "customer list": lambda user: "/customers/",
        "customer page": lambda user: "/customers/{}/".format(
            Customer.objects.visible_to(user).order_by("code")[5].code
        ),
        "aging API": lambda user: "/api/v1/reports/aging",
        "Today page": lambda user: "/",
    }
    print(f"{'role':<10} {'endpoint':<15} {'cpu ms':>7} {'wall ms':>8} {'queries':>8}")
    for role, names in ROLE_USERS.items():
        if args.profile and role != args.role:
            continue
        user = User.objects.get(username=names[0])
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        for name, path_for in endpoints.items():
            if args.profile and name != args.profile:
                continue
            path = path_for(user)

            def get(path=path, client=client):
                response = client.get(path, secure=True)
                assert response.status_code == 200, (path, response.status_code)

            executed = []

            def record(run, sql, *rest, executed=executed):
                started = time.perf_counter()
                try:
                    return run(sql, *rest)
                finally:
                    executed.append((sql, (time.perf_counter() - started) * 1000))

            # A wrapper, not connection.queries: the pool hands out a new connection for
            # each request, and its query log starts empty.
            with connection.execute_wrapper(record):
                get()
            cpu, wall = measured(get, args.repeat)
            print(f"{role:<10} {name:<15} {cpu:>7.1f} {wall:>8.1f} {len(executed):>8}")
            if args.profile:
                profiler = cProfile.Profile()
                profiler.runcall(get)
                stats = pstats.Stats(profiler).sort_stats(args.sort)
                stats.print_stats(45)
                print("slowest queries (ms, first run):")
                for sql, ms in sorted(executed, key=lambda row: -row[1])[:25]:
                    print(f"{ms:>8.1f}  {' '.join(sql.split())[:220]}")
    print(f"as of {dt.date.today()}")


if __name__ == "__main__":
    main()
