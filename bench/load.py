"""Load test: 50 signed-in users against `salesdesk serve` in production mode on PostgreSQL.

    python bench/load.py [--users 50 --spawn-rate 10 --duration 60 --port 8105
                          --workers N --threads N --think 0 --skip-demo]

Prepares the database named by DATABASE_URL (default: postgres load_perf on 127.0.0.1;
created when missing) with `salesdesk migrate` and `salesdesk demo`, gives the demo users
of six roles a fresh random password (production refuses the demo one) and the finance user
an API token, starts `salesdesk serve` with SALESDESK_ENV=production on 127.0.0.1 only, and
runs Locust headless (bench/_load_locustfile.py): readers of six roles loop over the
customer list, a customer page, the aging API and the Today page; one writer posts payments
through the API under unique references. Statistics are reset once every user is running
and signed in, so the figures cover `--duration` seconds at full load.

Prints requests/s, p50/p95/p99 per endpoint, errors, the machine's load average, and the
ratio to the targets (>= 100 requests/s, 0 errors, p95 < 500 ms at 50 users); then checks
that every payment the server accepted is in the ledger exactly once. The server is always
stopped at the end. Exit status 1 when the ledger check fails or Locust could not run.
"""

import argparse
import csv
import datetime as dt
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from _load_common import ROLE_USERS, WRITER

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent
LOCUSTFILE = ROOT / "bench" / "_load_locustfile.py"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/load_perf"

TARGET_RPS = 100.0
TARGET_P95_MS = 500.0
ENDPOINTS = ("customer list", "customer page", "aging API", "Today page", "payment POST")
BENCH_USERS = [name for names in ROLE_USERS.values() for name in names]

# Run inside `salesdesk shell`: the bench password for the demo users, and the projects the
# writer pays into (open ones, spread over customers), as JSON on the last line.
PREPARE = """
import json
from salesdesk.core.models import User
from salesdesk.customers.models import Project
for user in User.objects.filter(username__in={users!r}):
    user.set_password({password!r})
    user.save(update_fields=["password"])
codes = list(Project.objects.order_by("code").values_list("code", flat=True)[:40])
print(json.dumps(codes))
"""

# Run inside `salesdesk shell`: how many times each reference of this run is in the ledger.
COUNT_POSTED = """
import json
from django.db.models import Count
from salesdesk.ledger.models import Payment
rows = (Payment.objects.filter(reference__startswith={prefix!r})
        .values("reference").annotate(n=Count("id")).values_list("reference", "n"))
print(json.dumps(dict(rows)))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10.0)
    parser.add_argument("--duration", type=int, default=60, help="seconds at full load")
    parser.add_argument("--port", type=int, default=8105)
    parser.add_argument("--workers", type=int, default=0, help="default: serve's own")
    parser.add_argument("--threads", type=int, default=0, help="default: serve's own")
    parser.add_argument("--think", type=float, default=0.0, help="mean seconds between requests")
    parser.add_argument("--skip-demo", action="store_true", help="database is loaded already")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        raise SystemExit("DATABASE_URL: the load test runs on PostgreSQL")
    OUT.mkdir(parents=True, exist_ok=True)
    run = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    base_env = {**os.environ, "DATABASE_URL": url, "SALESDESK_HOME": str(ROOT)}
    base_env.pop("SALESDESK_ENV", None)

    database_ensure(url)
    if not args.skip_demo:
        salesdesk(base_env, "migrate", "--verbosity", "0")
        salesdesk(base_env, "demo", quiet=True)
    analyze(url)
    password = secrets.token_urlsafe(24)
    projects = json.loads(
        shell(base_env, PREPARE.format(users=BENCH_USERS, password=password)).splitlines()[-1]
    )
    token = salesdesk(base_env, "token", "create", WRITER, "--name", "load-bench").strip()

    server_env = {
        **base_env,
        "SALESDESK_ENV": "production",
        "SALESDESK_SECRET_KEY": secrets.token_urlsafe(50),
        "SALESDESK_ALLOWED_HOSTS": "127.0.0.1",
        "SALESDESK_ACCESS_LOG": "",
    }
    serve = [str(BIN / "salesdesk"), "serve", "--host", "127.0.0.1", "--port", str(args.port)]
    if args.workers:
        serve += ["--workers", str(args.workers)]
    if args.threads:
        serve += ["--threads", str(args.threads)]
    server_log = OUT / f"load-{run}-server.log"
    posted_file = OUT / f"load-{run}-posted.json"
    cpu_file = OUT / f"load-{run}-cpu.json"
    csv_prefix = OUT / f"load-{run}"
    ramp = args.users / args.spawn_rate
    locust = [
        str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless",
        "--host", f"http://127.0.0.1:{args.port}",
        "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
        # The locustfile stops the run `duration` seconds after every user has signed in;
        # this is only the upper bound in case sign-in never completes.
        "--run-time", f"{int(ramp) + args.duration + 300}s",
        "--stop-timeout", "10", "--csv", str(csv_prefix), "--only-summary",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    locust_env = {
        **os.environ,
        "LOAD_PASSWORD": password,
        "LOAD_TOKEN": token,
        "LOAD_RUN": run,
        "LOAD_PROJECTS": ",".join(projects),
        "LOAD_POSTED": str(posted_file),
        "LOAD_PAYMENT_DATE": dt.date.today().isoformat(),
        "LOAD_THINK": str(args.think),
        "LOAD_CPU": str(cpu_file),
        "LOAD_DURATION": str(args.duration),
        "DATABASE_URL": url,
    }

    print(f"serving: {' '.join(serve[1:])} (production, {url.rsplit('/', 1)[-1]})")
    with open(server_log, "w") as log:
        server = subprocess.Popen(
            serve, env=server_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        locust_env["LOAD_SERVER_PID"] = str(server.pid)
        try:
            wait_until_up(args.port, server)
            loads = LoadSampler()
            loads.start()
            started = time.monotonic()
            # Locust stops itself; the time-out only guards against a hung client.
            result = subprocess.run(
                locust, env=locust_env, capture_output=True, text=True,
                timeout=ramp + args.duration + 420,
            )  # fmt: skip
            elapsed = time.monotonic() - started
            loads.stop()
        finally:
            stop(server)
    if not (csv_prefix.parent / f"{csv_prefix.name}_stats.csv").exists():
        print(result.stdout[-3000:], result.stderr[-3000:], sep="\n")
        return 1
    print(f"locust: {' '.join(locust[1:])}  ({elapsed:.0f} s in all)")
    report(csv_prefix, args, loads)
    cpu = json.loads(cpu_file.read_text()) if cpu_file.exists() else {}
    requests = int(stats_rows(csv_prefix)["Aggregated"]["Request Count"])
    print(
        "CPU per request at full load (ms): "
        + ", ".join(
            f"{who} {1000 * seconds / max(requests, 1):.1f}" for who, seconds in cpu.items()
        )
    )
    errors = failures(csv_prefix)
    if errors:
        print("errors:")
        for line in errors[:20]:
            print(f"  {line}")
    return 0 if ledger_check(base_env, run, posted_file) else 1


def database_ensure(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def analyze(url: str) -> None:
    """Planner statistics for the freshly loaded tables. A running server has them from
    autovacuum; where autovacuum is off (as on some development servers) the planner would
    guess row counts and choose nested loops over the ledger."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")


def salesdesk(env: dict, *args: str, quiet: bool = False) -> str:
    done = subprocess.run(
        [str(BIN / "salesdesk"), *args], env=env, check=True, capture_output=True, text=True
    )
    if not quiet and done.stderr:
        print(done.stderr, file=sys.stderr)
    return done.stdout


def shell(env: dict, code: str) -> str:
    return salesdesk(env, "shell", "--no-startup", "-c", code)


def wait_until_up(port: int, server: subprocess.Popen, limit: float = 60.0) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/login/", headers={"X-Forwarded-Proto": "https"}
    )
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit {server.returncode}); see bench/out")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"the server did not answer within {limit:.0f} s")


def stop(server: subprocess.Popen) -> None:
    """Stop gunicorn and its workers (their own process group), politely first."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


class LoadSampler(threading.Thread):
    """The 1-minute load average every few seconds, to show how busy the machine was."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self._done = threading.Event()

    def run(self):
        while not self._done.wait(5):
            self.samples.append(os.getloadavg()[0])

    def stop(self):
        self._done.set()
        self.join()


def stats_rows(csv_prefix: Path) -> dict[str, dict]:
    with open(f"{csv_prefix}_stats.csv") as handle:
        return {row["Name"]: row for row in csv.DictReader(handle)}


def failures(csv_prefix: Path) -> list[str]:
    path = Path(f"{csv_prefix}_failures.csv")
    if not path.exists():
        return []
    with open(path) as handle:
        return [
            f"{row['Occurrences']} x {row['Method']} {row['Name']}: {row['Error']}"
            for row in csv.DictReader(handle)
        ]


def report(csv_prefix: Path, args, loads: LoadSampler) -> None:
    rows = stats_rows(csv_prefix)
    print(
        f"{'endpoint':<15} {'requests':>9} {'errors':>7} {'req/s':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    )
    for name in (*ENDPOINTS, "Aggregated"):
        row = rows.get(name)
        if row is None:
            continue
        print(
            f"{name:<15} {row['Request Count']:>9} {row['Failure Count']:>7} "
            f"{float(row['Requests/s']):>7.1f} {row['50%']:>7} {row['95%']:>7} "
            f"{row['99%']:>7} {float(row['Max Response Time']):>7.0f}"
        )
    total = rows["Aggregated"]
    rps = float(total["Requests/s"])
    p95 = float(total["95%"])
    errors = int(total["Failure Count"])
    one, five, fifteen = os.getloadavg()
    peak = max(loads.samples, default=one)
    print(
        f"load average: {one:.2f} {five:.2f} {fifteen:.2f} (1-minute peak during the run "
        f"{peak:.2f}) on {os.cpu_count()} cores"
    )
    print(
        f"at {args.users} users: {rps:.1f} requests/s (target >= {TARGET_RPS:.0f}, ratio "
        f"{rps / TARGET_RPS:.2f}); p95 {p95:.0f} ms (target < {TARGET_P95_MS:.0f}, ratio "
        f"{p95 / TARGET_P95_MS:.2f}); {errors} errors (target 0)"
    )
    met = rps >= TARGET_RPS and p95 < TARGET_P95_MS and errors == 0
    print("targets met" if met else "targets NOT met")


def ledger_check(env: dict, run: str, posted_file: Path) -> bool:
    """Every payment the server accepted is in the ledger exactly once, and no other
    payment of this run is."""
    posted = json.loads(posted_file.read_text()) if posted_file.exists() else []
    prefix = f"LOAD-{run}-"
    stored = json.loads(shell(env, COUNT_POSTED.format(prefix=prefix)).splitlines()[-1])
    missing = [ref for ref in posted if ref not in stored]
    doubled = [ref for ref, n in stored.items() if n != 1]
    unknown = sorted(set(stored) - set(posted))
    # A payment whose answer was lost (a client time-out) may be stored without being
    # acknowledged: once is still right, so those are only counted.
    ok = bool(posted) and not missing and not doubled
    print(
        f"ledger: {len(posted)} payments accepted, {len(stored)} references of this run "
        f"stored; missing {len(missing)}, more than once {len(doubled)}, not acknowledged "
        f"{len(unknown)}: {'OK' if ok else 'FAILED'}"
    )
    return ok


if __name__ == "__main__":
    sys.exit(main())
