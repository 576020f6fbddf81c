"""Benchmark: the customer list page and GET /api/v1/customers with 100,000 customers.

    python bench/customer_list.py --engine sqlite|postgres [--customers 100000]

Prints, for a salesperson and an administrator, the median server time per request and
the SQL queries per request at two page sizes (the count must not grow with page size),
and the ratio of the median to the 100 ms target.
"""

import argparse

from _setup import database_url, django_setup, salesdesk, timed

TARGET_MS = 100.0


def count_queries(connection, fn) -> int:
    """How many SQL statements `fn` executes."""
    executed = []

    def record(run, sql, *rest):
        executed.append(sql)
        return run(sql, *rest)

    with connection.execute_wrapper(record):
        fn()
    return len(executed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    name = f"bench_customers_{args.customers}"
    url = database_url(args.engine, name)
    salesdesk(url, "migrate", "--verbosity", "0")
    django_setup(url)

    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from salesdesk.core.models import User
    from salesdesk.core.services import token_create
    from salesdesk.customers.models import Customer

    have = Customer.objects.count()
    if have < args.customers:
        salesdesk(
            url, "synth", "--customers", str(args.customers - have), "--projects-per-customer", "2"
        )
    total = Customer.objects.count()

    print(f"customer list benchmark: {args.engine}, {total} customers, median of {args.repeat}")
    print(
        f"{'who':<8} {'endpoint':<22} {'search':<7} {'page':>5} {'rows':>5} {'median ms':>10} {'queries':>8} {'ratio to 100 ms':>16}"
    )
    worst = 0.0
    for username in ("sales1", "admin"):
        user = User.objects.get(username=username)
        page_client = Client()
        page_client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        _token, key = token_create(user=user, name="bench", now=timezone.now())
        api_client = Client(headers={"Authorization": f"Bearer {key}"})
        for label, client, path in (
            ("page /customers/", page_client, "/customers/"),
            ("GET /api/v1/customers", api_client, "/api/v1/customers"),
        ):
            for page_size, query in ((25, ""), (100, ""), (25, "&q=建设"), (25, "&q=bjjs")):
                url_with_size = f"{path}?page_size={page_size}&page=2{query}"

                def request(client=client, url_with_size=url_with_size):
                    response = client.get(url_with_size)
                    assert response.status_code == 200, response.status_code

                request()  # warm: the token's last-use stamp is written once a minute
                executed = count_queries(connection, request)
                median, _samples = timed(request, args.repeat)
                worst = max(worst, median)
                rows = len(client.get(url_with_size).json()["items"]) if "api" in path else "-"
                print(
                    f"{username:<8} {label:<22} {query[3:]:<7} {page_size:>5} {rows:>5} {median:>10.1f} "
                    f"{executed:>8} {median / TARGET_MS:>16.2f}"
                )
    print(f"worst median {worst:.1f} ms; target {TARGET_MS:.0f} ms; ratio {worst / TARGET_MS:.2f}")


if __name__ == "__main__":
    main()
