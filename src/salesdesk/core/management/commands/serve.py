import os
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve SalesDesk over HTTP with gunicorn (static files included)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("SALESDESK_HOST", "127.0.0.1"))
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("SALESDESK_PORT", "8000"))
        )
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("SALESDESK_WORKERS", "0")),
            help="worker processes (default: one per CPU core)",
        )  # fmt: skip
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("SALESDESK_THREADS", "4")),
            help="threads per worker (default: 4)",
        )  # fmt: skip
        parser.add_argument(
            "--access-log", default=os.environ.get("SALESDESK_ACCESS_LOG", "-"),
            help="access log file, '-' for standard output, '' for none",
        )  # fmt: skip

    def handle(self, *args, host, port, workers, threads, access_log, **options):
        from gunicorn.app.wsgiapp import run

        # One process per core with a few threads each (gunicorn's gthread worker), not
        # gunicorn's usual 2 x cores + 1 single-threaded processes. Measured with
        # bench/load.py (50 users, 2 cores): 5 sync workers cost 22 ms of server CPU per
        # request, 2 workers x 4 threads 17 ms. A thread waiting on PostgreSQL lets another
        # run Python, the threaded worker keeps connections alive instead of one TCP
        # connection per request, and fewer processes fight less over two cores. More
        # threads gained nothing; each thread holds one pooled database connection, so
        # threads must stay within SALESDESK_DB_POOL (10).
        workers = workers or os.cpu_count() or 1
        self.stdout.write(f"SalesDesk on http://{host}:{port}/  (Ctrl-C stops)")
        sys.argv = [
            "gunicorn",
            "salesdesk.wsgi:application",
            "--bind", f"{host}:{port}",
            "--workers", str(workers),
            "--threads", str(threads),
            "--timeout", "120",
        ]  # fmt: skip
        if access_log:
            sys.argv += ["--access-logfile", access_log]
        run()
