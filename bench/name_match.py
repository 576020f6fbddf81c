"""Benchmark: the duplicate check of claim protection, one new name against 100,000 customers.

    python bench/name_match.py --engine sqlite|postgres [--customers 100000] [--queries 300]

Fills a database once with `salesdesk synth` (the demo generator's realistic names), then
times `duplicates_find` for new names of three kinds: fresh names from the same
generator with another seed (mostly no match, but sharing name heads with many), spelling
variants of existing customers (region moved, legal form changed, traditional script,
homophone: each must be found), and existing names as they are. Prints the median and
95th percentile in milliseconds, cold (name caches cleared before every check, as in a
fresh process) and warm, with the candidates compared per check, and the ratio of the
worst median to the 50 ms target.
"""

import argparse
import datetime as dt
import random
import statistics
import time

from _setup import database_url, django_setup, salesdesk

TARGET_MS = 50.0


def variants(name: str, rng: random.Random) -> str:
    """A spelling of `name` that must match it."""
    from salesdesk.lib import names

    regions = sorted(names.REGION_PARENT, key=len, reverse=True)
    region = next((r for r in regions if name.startswith(r)), "")
    body = name[len(region) :]
    for suffix in ("集团有限公司", "股份有限公司", "有限责任公司", "有限公司"):
        if body.endswith(suffix):
            body = body[: -len(suffix)]
            break
    kind = rng.randrange(4)
    if kind == 0 and region:
        return f"{body}（{region}）有限公司"  # region moved into brackets
    if kind == 1:
        return f"{region}{body}有限责任公司"  # other legal form
    if kind == 2:
        return names.to_halfwidth(f"{region}市 {body} 有限公司")  # 市 and spaces
    homophones = {
        "宏": "鸿",
        "达": "答",
        "鑫": "新",
        "盛": "胜",
        "华": "化",
        "泰": "太",
        "恒": "衡",
        "建": "健",
    }
    for char, other in homophones.items():
        if char in body:
            return f"{region}{body.replace(char, other, 1)}有限公司"  # pinyin-input typo
    return f"{region}{body}有限公司"


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()

    url = database_url(args.engine, f"bench_names_{args.customers}")
    salesdesk(url, "migrate", "--verbosity", "0")
    django_setup(url)

    from django.db import connection, reset_queries
    from django.db.models import Q

    from salesdesk.customers.claims import selectors as claim_selectors
    from salesdesk.customers.models import Customer
    from salesdesk.demo.generator import generate
    from salesdesk.lib import names

    have = Customer.objects.count()
    if have < args.customers:
        salesdesk(
            url, "synth", "--customers", str(args.customers - have), "--projects", "0",
            "--contacts-per-customer", "1",
        )  # fmt: skip
    total = Customer.objects.count()
    rng = random.Random(7)
    existing = list(Customer.objects.order_by("?").values_list("name", flat=True)[: args.queries])
    fresh = [
        c.name
        for c in generate(seed=99, as_of=dt.date(2026, 1, 1), customers=args.queries, projects=0)
    ]
    kinds = {
        "fresh name": fresh,
        "variant of an existing name": [variants(name, rng) for name in existing],
        "existing name as is": existing,
    }

    print(
        f"duplicate check benchmark: {args.engine}, {total} customers, {args.queries} names per kind"
    )
    print(
        f"{'kind':<28} {'cache':<5} {'median ms':>10} {'p95 ms':>8} {'candidates':>11} {'found':>7} {'ratio to 50 ms':>15}"
    )
    worst = 0.0
    for label, queries in kinds.items():
        for cache in ("cold", "warm"):
            samples, found, candidates = [], 0, []
            for name in queries:
                if cache == "cold":
                    names.analyse.cache_clear()
                    names.to_simplified.cache_clear()
                reset_queries()
                start = time.perf_counter()
                check = claim_selectors.duplicates_find(name)
                samples.append((time.perf_counter() - start) * 1000)
                found += bool(check.matches)
                candidates.append(
                    Customer.objects.filter(
                        Q(name_key=names.name_key(name)) | Q(name_head=names.name_head(name))
                    ).count()
                )
            median = statistics.median(samples)
            worst = max(worst, median)
            print(
                f"{label:<28} {cache:<5} {median:>10.2f} {percentile(samples, 0.95):>8.2f} "
                f"{statistics.mean(candidates):>11.0f} {found:>4}/{len(queries):<3}"
                f"{median / TARGET_MS:>15.2f}"
            )
    # For scale: a fuzzy scan of every customer's key, which the indexed look-up avoids.
    from rapidfuzz import fuzz, process

    keys = list(Customer.objects.values_list("name_key", flat=True))
    start = time.perf_counter()
    for name in fresh[:20]:
        process.extract(names.name_key(name), keys, scorer=fuzz.ratio, score_cutoff=90, limit=10)
    scan = (time.perf_counter() - start) * 1000 / 20
    print(
        f"reference: rapidfuzz scan of all {len(keys)} keys, no pinyin or rules: {scan:.1f} ms per name"
    )
    print(f"worst median {worst:.2f} ms; target {TARGET_MS:.0f} ms; ratio {worst / TARGET_MS:.2f}")
    connection.close()


if __name__ == "__main__":
    main()
