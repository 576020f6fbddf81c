"""Shared set-up for benchmarks: a database per engine, filled once by `salesdesk synth`.

Benchmarks run in-process against Django (no network), so the figures are server time:
middleware, view, queries and template rendering.
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def database_url(engine: str, name: str) -> str:
    if engine == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{OUT / (name + '.sqlite3')}"
    if engine == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    raise SystemExit(f"unknown engine {engine!r}: sqlite or postgres")


def salesdesk(url: str, *args: str) -> None:
    """Run a salesdesk command against the benchmark database."""
    env = {**os.environ, "DATABASE_URL": url, "SALESDESK_HOME": str(ROOT)}
    subprocess.run([sys.executable, "-m", "salesdesk", *args], env=env, check=True)


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesdesk.settings")
    os.environ.setdefault("SALESDESK_LOGIN_THROTTLE", "false")
    import django

    django.setup()


def timed(fn, repeat: int) -> tuple[float, list[float]]:
    """Median and all timings in milliseconds, after one warm-up call."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), samples
